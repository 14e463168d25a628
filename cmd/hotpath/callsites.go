package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotpath-dev/hotpath/escape/callsites"
	"github.com/hotpath-dev/hotpath/internal/gocmd"
	"github.com/hotpath-dev/hotpath/internal/hotlines"
)

func runCallsites(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("callsites", "-profile cpu.pprof [-format text|json] [-tags T] [-nopgo] [packages]", stderr)
	format := fs.String("format", "text", "output format: text or json")
	prof := fs.String("profile", "", "CPU profile (pprof) of the program; required")
	tags := fs.String("tags", "", "comma-separated build tags")
	noPGO := fs.Bool("nopgo", false, "skip the -pgo build (no compiler verdicts)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError("callsites: -format %q: want text or json", *format)
	}
	if *prof == "" {
		return usageError("callsites: -profile is required (a CPU profile, e.g. from go test -cpuprofile)")
	}
	cfg := callsites.Config{Patterns: fs.Args(), Profile: *prof, NoPGO: *noPGO}
	if *tags != "" {
		cfg.Tags = strings.Split(*tags, ",")
	}
	rep, err := callsites.Analyze(ctx, cfg)
	if err != nil {
		var be *callsites.BuildError
		switch {
		case errors.As(err, &be):
			stderr.Write(be.Output)
			return silent(exitUsage)
		case errors.Is(err, hotlines.ErrProfile), errors.Is(err, callsites.ErrInvalidConfig),
			errors.Is(err, callsites.ErrNoPackages), errors.Is(err, callsites.ErrUnsupported),
			errors.Is(err, gocmd.ErrGoNotFound), errors.Is(err, gocmd.ErrNoModule), errors.Is(err, gocmd.ErrNoPackage):
			return usageError("%v", err)
		}
		return err
	}
	if *format == "json" {
		return rep.WriteJSON(stdout)
	}
	wd, _ := os.Getwd()
	wd, _ = filepath.Abs(wd)
	return rep.WriteText(stdout, wd)
}
