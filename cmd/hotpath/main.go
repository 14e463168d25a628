// Command hotpath shows what the Go compiler and runtime did to a program's hot paths, and keeps them fast.
//
// Usage:
//
//	hotpath <command> [flags] [arguments]
//
// Run "hotpath help" for the list of commands and "hotpath <command> -h" for one command's flags.
package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(ctx)
	// A write to a closed stdout or stderr ("hotpath bench … | head") stops the command like an
	// interrupt, so that it still removes what it created. SIGPIPE is taken only so that it does
	// not kill the process at that write; a broken socket elsewhere stays an ordinary error.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	stdout, stderr := &pipeWriter{os.Stdout, cancel}, &pipeWriter{os.Stderr, cancel}
	err := run(ctx, os.Args[1:], stdout, stderr)
	cancel()
	stop()
	os.Exit(report(err, stderr))
}

// pipeWriter is a standard stream that cancels the command when its reader has gone away. It has
// only Write and Stat (for isTerminal), so that every write goes through the check.
type pipeWriter struct {
	f      *os.File
	cancel context.CancelFunc
}

func (w *pipeWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if errors.Is(err, syscall.EPIPE) {
		w.cancel()
	}
	return n, err
}

func (w *pipeWriter) Stat() (os.FileInfo, error) { return w.f.Stat() }
