package gocmd

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels matched with errors.Is on the errors returned by [Run] and [Env].
var (
	// ErrGoNotFound: the go command is not on PATH (or Cmd.Go names no executable).
	ErrGoNotFound = errors.New("go command not found")
	// ErrNoModule: the directory is not inside a Go module and the command needs one.
	ErrNoModule = errors.New("not inside a go module")
	// ErrNoPackage: a package pattern matched nothing or names a package that does not exist.
	ErrNoPackage = errors.New("no such package")
	// ErrFailed: the go command ran and exited with a non-zero status for another reason
	// (a build failure, say); the *Error carries its stderr.
	ErrFailed = errors.New("go command failed")
)

// Error is a go command that ran and failed. Its Error method gives one line; Stderr keeps everything the
// command printed so a caller can show compiler errors verbatim.
type Error struct {
	Args     []string // the arguments after "go"
	ExitCode int      // the process exit status (-1 if it was killed)
	Stderr   []byte   // everything the command wrote to stderr
	Kind     error    // ErrNoModule, ErrNoPackage or ErrFailed
	Line     string   // the line of Stderr that explains the failure best (without the "go: " prefix)
}

func (e *Error) Error() string {
	verb := "go"
	if len(e.Args) > 0 {
		verb = "go " + e.Args[0]
	}
	if e.Line == "" {
		return fmt.Sprintf("gocmd: %s: exit status %d", verb, e.ExitCode)
	}
	return fmt.Sprintf("gocmd: %s: %s", verb, e.Line)
}

// Unwrap makes errors.Is(err, ErrNoPackage) and friends work.
func (e *Error) Unwrap() error { return e.Kind }

// classify picks the sentinel and the one explanatory line for a failed command's stderr.
// The patterns are the go command's own wording (cmd/go/internal/modload and load), stable for years.
func classify(stderr []byte) (kind error, line string) {
	lines := strings.Split(strings.TrimSpace(string(stderr)), "\n")
	for _, l := range lines {
		msg := strings.TrimPrefix(strings.TrimSpace(l), "go: ")
		switch {
		case strings.Contains(msg, "go.mod file not found"),
			strings.Contains(msg, "cannot find main module"),
			strings.Contains(msg, "not in a module"),
			strings.Contains(msg, "does not contain main module"):
			return ErrNoModule, firstSentence(msg)
		case strings.Contains(msg, "matched no packages"),
			strings.Contains(msg, "no required module provides package"),
			strings.Contains(msg, "is not in std"),
			strings.Contains(msg, "cannot find package"),
			strings.Contains(msg, "directory not found"),
			strings.Contains(msg, "no Go files in"),
			strings.Contains(msg, "outside main module or its selected dependencies"),
			strings.Contains(msg, "malformed import path"),
			strings.Contains(msg, "is not a main package"),
			strings.Contains(msg, "does not contain package"):
			return ErrNoPackage, msg
		}
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return ErrFailed, strings.TrimPrefix(l, "go: ")
		}
	}
	return ErrFailed, ""
}

// firstSentence trims the go command's multi-line advice ("go.mod file not found …; see 'go help modules'").
func firstSentence(s string) string {
	if i := strings.Index(s, "; see 'go help"); i > 0 {
		return s[:i]
	}
	return s
}
