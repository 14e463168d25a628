package gocmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Cmd describes one invocation of the go command. The zero value (plus Args) runs "go" from PATH in the
// current directory with the parent's environment.
type Cmd struct {
	Go   string   // the go executable; "" means "go" looked up on PATH
	Dir  string   // working directory; "" means the current directory
	Args []string // arguments after "go", e.g. {"build", "-gcflags=-m", "./..."}
	Env  []string // extra KEY=VALUE entries appended to the inherited environment (later entries win)

	// Stderr, if non-nil, receives a copy of stderr as it is produced (for progress); Result.Stderr
	// holds it in full either way.
	Stderr io.Writer
}

// Result is what a finished command produced.
type Result struct {
	Stdout []byte
	Stderr []byte
}

// Run runs the go command and waits for it. A missing go binary gives an error wrapping ErrGoNotFound; a
// non-zero exit gives a *Error (wrapping ErrNoModule, ErrNoPackage or ErrFailed) together with the Result
// holding everything the command printed. Cancelling ctx kills the process.
func Run(ctx context.Context, c Cmd) (Result, error) {
	goBin := c.Go
	if goBin == "" {
		goBin = "go"
	}
	path, err := exec.LookPath(goBin)
	if err != nil {
		return Result{}, fmt.Errorf("gocmd: run %q: %w (install Go or put it on PATH)", goBin, ErrGoNotFound)
	}
	cmd := exec.CommandContext(ctx, path, c.Args...)
	cmd.Dir = c.Dir
	if len(c.Env) > 0 {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(&stderr, c.Stderr)
	}
	err = cmd.Run()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("gocmd: go %s: %w", first(c.Args), ctx.Err())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return res, fmt.Errorf("gocmd: go %s: %w", first(c.Args), err)
	}
	kind, line := classify(res.Stderr)
	return res, &Error{Args: c.Args, ExitCode: ee.ExitCode(), Stderr: res.Stderr, Kind: kind, Line: line}
}

func first(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// Env returns the go command's view of the named variables (go env -json NAME…), as the go command in dir
// resolves them (go.env, GOENV file, environment).
func Env(ctx context.Context, c Cmd, names ...string) (map[string]string, error) {
	c.Args = append([]string{"env", "-json"}, names...)
	res, err := Run(ctx, c)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(names))
	if err := json.Unmarshal(res.Stdout, &m); err != nil {
		return nil, fmt.Errorf("gocmd: go env: decode %q: %w", strings.TrimSpace(string(res.Stdout)), err)
	}
	return m, nil
}
