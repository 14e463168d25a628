package main

// The go and git commands that "hotpath bench" and "hotpath coldstart" run, in one place so they can
// be folded into a shared go-command package later. Each returns the command's stderr in its error.

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// runTool runs name args in dir and returns its stdout; on failure the error carries stderr.
func runTool(ctx context.Context, dir, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.String(), fmt.Errorf("%s %s: %s", name, strings.Join(args, " "), msg)
	}
	return stdout.String(), nil
}

// goListDirs returns the directory of each package matched by patterns, resolved in dir.
func goListDirs(ctx context.Context, dir string, patterns []string) ([]string, error) {
	out, err := runTool(ctx, dir, "go", append([]string{"list", "-f", "{{.Dir}}"}, patterns...)...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// goTestCompile builds the test binary of the package in dir to out. When the package has no test
// files go test -c succeeds and writes nothing: callers check that out exists.
func goTestCompile(ctx context.Context, dir, out string) error {
	_, err := runTool(ctx, dir, "go", "test", "-c", "-o", out, ".")
	return err
}

// goBuild builds the main package pkg (resolved in dir) to out.
func goBuild(ctx context.Context, dir, pkg, out string) error {
	_, err := runTool(ctx, dir, "go", "build", "-o", out, pkg)
	return err
}

// git runs git in dir and returns its trimmed stdout.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	out, err := runTool(ctx, dir, "git", args...)
	return strings.TrimSpace(out), err
}
