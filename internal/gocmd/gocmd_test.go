package gocmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestClassify(t *testing.T) {
	tests := []struct {
		stderr string
		want   error
		line   string
	}{
		{"go: go.mod file not found in current directory or any parent directory; see 'go help modules'\n", ErrNoModule, "go.mod file not found in current directory or any parent directory"},
		{"pattern ./...: directory prefix . does not contain main module or its selected dependencies\n", ErrNoModule, "pattern ./...: directory prefix . does not contain main module or its selected dependencies"},
		{"package nosuch/pkg is not in std (/usr/local/go/src/nosuch/pkg)\n", ErrNoPackage, "package nosuch/pkg is not in std (/usr/local/go/src/nosuch/pkg)"},
		{"go: warning: \"./x/...\" matched no packages\n", ErrNoPackage, "warning: \"./x/...\" matched no packages"},
		{"no required module provides package example.com/x; to add it:\n\tgo get example.com/x\n", ErrNoPackage, "no required module provides package example.com/x; to add it:"},
		{"# p\n./p.go:3:1: syntax error: unexpected }\n", ErrFailed, "./p.go:3:1: syntax error: unexpected }"},
		{"", ErrFailed, ""},
	}
	for _, tt := range tests {
		kind, line := classify([]byte(tt.stderr))
		if kind != tt.want || line != tt.line {
			t.Errorf("classify(%q) = %v, %q, want %v, %q", tt.stderr, kind, line, tt.want, tt.line)
		}
	}
}

func TestRun(t *testing.T) {
	mod := t.TempDir()
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module m\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cmd  Cmd
		want error
	}{
		{"ok", Cmd{Dir: mod, Args: []string{"list", "-m"}}, nil},
		{"go missing", Cmd{Go: filepath.Join(t.TempDir(), "go"), Args: []string{"version"}}, ErrGoNotFound},
		{"no module", Cmd{Dir: t.TempDir(), Args: []string{"list", "./..."}}, ErrNoModule},
		{"no package", Cmd{Dir: mod, Args: []string{"list", "nosuch/pkg"}}, ErrNoPackage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(t.Context(), tt.cmd)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Run(%q) = %v, want %v", tt.cmd.Args, err, tt.want)
			}
			if tt.want == nil && strings.TrimSpace(string(res.Stdout)) != "m" {
				t.Errorf("Run(%q) stdout = %q, want m", tt.cmd.Args, res.Stdout)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("Run(%q) error %q spans lines, want one", tt.cmd.Args, err)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	env, err := Env(t.Context(), Cmd{Env: []string{"GOOS=plan9"}}, "GOOS", "GOVERSION")
	if err != nil {
		t.Fatal(err)
	}
	if env["GOOS"] != "plan9" || !strings.HasPrefix(env["GOVERSION"], "go1.") {
		t.Errorf("Env(GOOS, GOVERSION) = %v, want plan9 and go1.x", env)
	}
}

// TestRunInterrupt cancels a real go build shortly after it started: the go command must be interrupted,
// and its work directory (go-build…, inside the private GOTMPDIR Run makes in the TMPDIR it was given) removed.
func TestRunInterrupt(t *testing.T) {
	tmp := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	started := make(chan struct{})
	go func() {
		defer close(started)
		// The go command creates its work directory before starting any compile; wait for it (bounded).
		for range 2000 {
			if ents, _ := filepath.Glob(filepath.Join(tmp, "*", "go-build*")); len(ents) > 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	// -a rebuilds net/http's whole closure: the build is still running when it is cancelled.
	cmd := Cmd{Args: []string{"build", "-a", "-o", os.DevNull, "net/http"}, Env: []string{"TMPDIR=" + tmp}}
	_, err := Run(ctx, cmd)
	<-started
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "gocmd: go build interrupted") {
		t.Errorf("Run(%q) cancelled = %v, want \"gocmd: go build interrupted\" wrapping context.Canceled", cmd.Args, err)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("Run(%q) cancelled left %q behind in its TMPDIR, want nothing", cmd.Args, left)
	}
}
