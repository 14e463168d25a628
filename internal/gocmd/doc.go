// Package gocmd runs the go command for hotpath's packages and turns its failures into one clear error.
//
// Every hotpath feature that needs the toolchain (building with compiler diagnostics, go test -c,
// go build -pgo, temporary worktrees) goes through [Run], so that "go is not installed", "not inside a
// module" and "no such package" read the same everywhere and match the same sentinels.
//
// # Usage
//
//	res, err := gocmd.Run(ctx, gocmd.Cmd{Dir: dir, Args: []string{"build", "./..."}})
//	if errors.Is(err, gocmd.ErrNoPackage) { … }
//
// A command that ran and failed returns a [*Error] holding its exit code and its complete stderr, so a caller
// can show compiler errors exactly as the compiler printed them.
//
// # Cancellation
//
// Cancelling the context interrupts the go command (os.Interrupt) and kills it only after [WaitDelay];
// the error says "interrupted" and wraps the context's error. Each command runs with a private GOTMPDIR
// that Run removes afterwards, because go build and go list exit on an interrupt without removing their
// work directory.
//
// # Environment
//
// The child inherits the parent's environment plus [Cmd.Env], and GOTMPDIR set to a private directory
// inside the GOTMPDIR or TMPDIR that environment names; the package reads no environment variables of its
// own process otherwise. [Env] asks the go command for its settings (go env -json), which is how callers learn GOVERSION,
// GOOS, GOARCH, GOCACHE and GOFLAGS without reading the environment themselves.
//
// # Concurrency
//
// All functions are safe for concurrent use; each call starts its own process and waits for it.
package gocmd
