package escape

import (
	"fmt"
	"strings"
)

// Config says what to analyse. The zero value analyses ./... in the current directory with no persistent
// cache.
type Config struct {
	// Dir is the directory the go command runs in (the module or GOPATH directory the patterns are
	// relative to). "" means the current directory. Fact file paths are relative to it.
	Dir string
	// Patterns are go package patterns ("./...", "net/http"). Empty means "./...".
	Patterns []string
	// Tags are build tags (go build -tags).
	Tags []string
	// Tests includes the packages' _test.go files (in-package and external test packages) by compiling
	// the test variants (go list -test -export) instead of the plain packages.
	Tests bool
	// PGO is the -pgo setting: "" leaves the go command's default (auto), "off" disables PGO, anything
	// else names a profile file, whose sha256 is stamped on the report.
	PGO string
	// Go is the go command to run; "" means "go" from PATH.
	Go string
	// Env holds extra KEY=VALUE entries for the go command (GOOS, GOARCH, GOFLAGS, …).
	Env []string
	// CacheDir keeps the compiler's JSON optimisation logs keyed by the go command's action ID, so a re-run
	// on unchanged code is served from the go build cache and stays complete. "" means no persistent
	// cache: the JSON log goes to a fresh temporary directory and the named packages are recompiled on
	// every run (their dependencies still come from the build cache). At most MaxStoreEntries logs are
	// kept; the least recently used are removed first.
	CacheDir string
	// External keeps facts whose file lies outside the analysed packages' directories and modules (see
	// Fact.External): generic code of the standard library or of other modules instantiated in the
	// analysed packages. false, the default, leaves them out of the report and counts them in
	// Report.ExternalOmitted. When a standard-library package is analysed, its own directory is its code.
	External bool
	// Progress, if set, is called after each package's compiler output has arrived, with the package's
	// import path, the number done and the total. It is called from the goroutine reading the go
	// command's output and must not block.
	Progress func(pkg string, done, total int)
}

// MaxStoreEntries bounds the JSON-log store in Config.CacheDir (one entry per compiled package version).
const MaxStoreEntries = 2048

func (c *Config) normalise() error {
	if len(c.Patterns) == 0 {
		c.Patterns = []string{"./..."}
	}
	for _, p := range c.Patterns {
		if p == "" || strings.HasPrefix(p, "-") || strings.ContainsAny(p, " \t\n=") {
			return fmt.Errorf("escape: analyze: pattern %q: %w", p, ErrInvalidConfig)
		}
	}
	for _, t := range c.Tags {
		if t == "" || strings.ContainsAny(t, ", \t\n") {
			return fmt.Errorf("escape: analyze: tag %q: %w", t, ErrInvalidConfig)
		}
	}
	if strings.HasPrefix(c.PGO, "-") {
		return fmt.Errorf("escape: analyze: pgo %q: %w", c.PGO, ErrInvalidConfig)
	}
	return nil
}
