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
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGPIPE too: "hotpath bench … | head" then stops like an interrupt and still removes its
	// temporary worktree, instead of being killed by the first write after head exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}
