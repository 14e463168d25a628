package main

// The go commands that "hotpath bench" and "hotpath coldstart" run, on top of internal/gocmd.

import (
	"context"
	"fmt"
	"strings"

	"github.com/hotpath-dev/hotpath/internal/gocmd"
)

func goRun(ctx context.Context, dir string, args ...string) (string, error) {
	res, err := gocmd.Run(ctx, gocmd.Cmd{Dir: dir, Args: args})
	return string(res.Stdout), err
}

// goListDirs returns the directory of each package matched by patterns, resolved in dir.
func goListDirs(ctx context.Context, dir string, patterns []string) ([]string, error) {
	out, err := goRun(ctx, dir, append([]string{"list", "-f", "{{.Dir}}"}, patterns...)...)
	if err != nil {
		return nil, err
	}
	// One directory a line: a directory name may hold spaces (but never a newline: go list refuses
	// such paths).
	return strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }), nil
}

// goTestCompile builds the test binary of the package in dir to out. When the package has no test
// files go test -c succeeds and writes nothing: callers check that out exists.
func goTestCompile(ctx context.Context, dir, out string) error {
	_, err := goRun(ctx, dir, "test", "-c", "-o", out, ".")
	return err
}

// goBuild builds the main package pkg (resolved in dir) to out.
func goBuild(ctx context.Context, dir, pkg, out string) error {
	_, err := goRun(ctx, dir, "build", "-o", out, pkg)
	return err
}

// interrupted replaces err with "<command>: interrupted" (exit 2) when ctx was cancelled, which is
// how main delivers SIGINT and SIGTERM. Whatever was running when the signal came fails with its own
// symptom ("signal: killed", "context canceled"); the user asked for a stop and is told that, once.
func interrupted(ctx context.Context, command string, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	return &exitError{code: exitUnknown, err: fmt.Errorf("%s: interrupted", command)}
}
