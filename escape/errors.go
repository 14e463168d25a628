package escape

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels matched with errors.Is on the errors Analyze and the parsers return.
var (
	// ErrInvalidConfig: a Config field holds a value Analyze cannot use.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrBuild: the packages did not compile; the *BuildError holds the compiler's output.
	ErrBuild = errors.New("packages do not build")
	// ErrParse: compiler output could not be decoded (JSON log records only; unknown text lines are
	// counted in the report instead of failing).
	ErrParse = errors.New("cannot parse compiler output")
	// ErrNotReport: a file given as a report is not a hotpath.escape/v1 report (ReadReport).
	ErrNotReport = errors.New("not a hotpath escape report (write one with hotpath escape -format json)")
)

// BuildError reports packages that failed to compile. Output holds the compiler's error lines exactly as it
// printed them (with their "# package" headers), with hotpath's own diagnostics removed.
type BuildError struct {
	Output []byte
	Err    error // the go command's error (wraps a gocmd sentinel)
}

func (e *BuildError) Error() string {
	for _, line := range strings.Split(string(e.Output), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			return "escape: build: " + line
		}
	}
	return fmt.Sprintf("escape: build: %v", e.Err)
}

// Unwrap returns both ErrBuild and the go command's error, so errors.Is works for either.
func (e *BuildError) Unwrap() []error { return []error{ErrBuild, e.Err} }
