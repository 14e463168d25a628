package gocmd

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
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

// WaitDelay is how long [Run] waits, after interrupting the go command because its context was cancelled,
// before it kills it. go test and go run stop their child and clean up on an interrupt; go build and
// go list have no handler and exit at once, so their work directory is removed by Run (see [Run]).
const WaitDelay = 5 * time.Second

// Result is what a finished command produced.
type Result struct {
	Stdout []byte
	Stderr []byte
}

// Run runs the go command and waits for it. A missing go binary gives an error wrapping ErrGoNotFound; a
// non-zero exit gives a *Error (wrapping ErrNoModule, ErrNoPackage or ErrFailed) together with the Result
// holding everything the command printed.
//
// Cancelling ctx sends the go command os.Interrupt and kills it only if it has not exited [WaitDelay]
// later; the error then reads "gocmd: go VERB interrupted" and wraps ctx.Err(). Whatever way the command
// ends, it leaves no work directory behind: each command gets a private GOTMPDIR (inside the GOTMPDIR or
// TMPDIR its environment names, else [os.TempDir]), removed once the command has exited. go build and
// go list exit on an interrupt without removing their go-build… directory themselves.
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
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = WaitDelay
	cmd.Dir = c.Dir
	env := append(cmd.Environ(), c.Env...)
	private, err := os.MkdirTemp(tempParent(env), "hotpath-go-")
	if err != nil {
		return Result{}, fmt.Errorf("gocmd: go %s: work directory: %w", first(c.Args), err)
	}
	defer os.RemoveAll(private)
	cmd.Env = append(env, "GOTMPDIR="+private)
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
		return res, fmt.Errorf("gocmd: go %s interrupted: %w", first(c.Args), ctx.Err())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return res, fmt.Errorf("gocmd: go %s: %w", first(c.Args), err)
	}
	kind, line := classify(res.Stderr)
	return res, &Error{Args: c.Args, ExitCode: ee.ExitCode(), Stderr: res.Stderr, Kind: kind, Line: line}
}

// tempParent is where the private GOTMPDIR of a command with environment env goes: the GOTMPDIR the
// environment names (so a user's choice, such as an exec-enabled file system, still holds), else its
// TMPDIR, else os.TempDir. Later entries win, as they do for the child.
func tempParent(env []string) string {
	var gotmp, tmp string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GOTMPDIR="); ok {
			gotmp = v
		} else if v, ok := strings.CutPrefix(kv, "TMPDIR="); ok {
			tmp = v
		}
	}
	return cmp.Or(gotmp, tmp)
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
