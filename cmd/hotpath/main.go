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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}
