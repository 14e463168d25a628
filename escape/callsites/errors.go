package callsites

import "errors"

var (
	// ErrInvalidConfig is wrapped by errors about a Config that cannot work.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrNoPackages means the patterns matched no package.
	ErrNoPackages = errors.New("no packages")
	// ErrUnsupported means the Go toolchain cannot report what is asked (PGO call stats before go1.21).
	ErrUnsupported = errors.New("unsupported toolchain")
)

// BuildError is returned when the packages do not build; Output is what the go command or the type
// checker printed.
type BuildError struct {
	Output []byte
}

func (e *BuildError) Error() string { return "callsites: build failed" }
