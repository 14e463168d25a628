package main

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
)

// TestPipeWriterCancels writes to a pipe whose reader is gone, as "hotpath … | head" does once head
// exits: the write fails with EPIPE and the command's context is cancelled, so that it stops and
// cleans up like an interrupted one. A write that succeeds cancels nothing.
func TestPipeWriterCancels(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pw := &pipeWriter{w, cancel}
	if _, err := pw.Write([]byte("kept\n")); err != nil || ctx.Err() != nil {
		t.Fatalf("Write to an open pipe = %v, context %v; want no error, not cancelled", err, ctx.Err())
	}
	if isTerminal(pw) {
		t.Error("isTerminal(pipe) = true")
	}
	r.Close()
	if _, err := pw.Write([]byte("lost\n")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Write to a pipe without reader = %v, want EPIPE", err)
	}
	if ctx.Err() == nil {
		t.Error("context not cancelled after EPIPE on the output")
	}
}
