package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/hotpath-dev/hotpath/internal/annotate"
)

// findingFormats are the output forms of the commands that report findings at source positions.
const findingFormats = "text, json, github or sarif"

func checkFindingFormat(cmd, format string) error {
	switch format {
	case "text", "json", "github", "sarif":
		return nil
	}
	return usageError("%s: -format %q: want %s", cmd, format, findingFormats)
}

// writeFindings writes findings as vet-style text, GitHub workflow commands or SARIF 2.1.0. File names
// are shown relative to the working directory when they are under it, so editors can jump to them.
func writeFindings(w io.Writer, format string, rules []annotate.Rule, fs []annotate.Finding) error {
	wd, _ := os.Getwd()
	for i := range fs {
		fs[i].File = relToWD(wd, fs[i].File)
	}
	switch format {
	case "github":
		return annotate.WriteGitHub(w, fs)
	case "sarif":
		return annotate.WriteSARIF(w, annotate.Tool{Name: "hotpath", Version: hotpathVersion(),
			InformationURI: "https://github.com/hotpath-dev/hotpath"}, rules, fs, wd)
	}
	return annotate.WriteText(w, fs)
}

func relToWD(wd, file string) string {
	if wd == "" || !filepath.IsAbs(file) {
		return file
	}
	if rel, err := filepath.Rel(wd, file); err == nil && filepath.IsLocal(rel) {
		return rel
	}
	return file
}

// hotpathVersion is the module version hotpath was built as, "(devel)" from a source tree.
func hotpathVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// createOutput opens file for writing, or returns stdout when file is "". The returned close function
// reports the error of closing the file.
func createOutput(file string, stdout io.Writer) (io.Writer, func() error, error) {
	if file == "" {
		return stdout, func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, nil, fmt.Errorf("create output: %w", err)
	}
	return f, f.Close, nil
}

// userCacheDir is where hotpath keeps the compiler's JSON logs between runs, or "" when the user has no
// cache directory (each run then recompiles the named packages).
func userCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "hotpath")
}
