package escape

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStampPGO checks that the report names the PGO profile and its hash, for -pgo=auto (default.pgo
// beside a main package) and for an explicit file.
func TestStampPGO(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":      "module pg\n\ngo 1.26\n",
		"cmd/m/m.go":  "package main\n\nfunc main() { println(1) }\n",
		"lib/lib.go":  "package lib\n\nfunc F() int { return 1 }\n",
		"README.keep": "",
	})
	prof := filepath.Join(dir, "cmd", "m", "default.pgo")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), profileEnv+"="+prof)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("writing a CPU profile in a child: %v\n%s", err, out)
	}
	data, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	tests := []struct {
		name     string
		cfg      Config
		pgo, sum string
	}{
		{"auto", Config{Dir: dir}, "auto: " + prof, want},
		{"file", Config{Dir: dir, Patterns: []string{"./lib"}, PGO: prof}, prof, want},
		{"off", Config{Dir: dir, PGO: "off"}, "off", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Analyze(t.Context(), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Stamp.PGO != tt.pgo || rep.Stamp.PGOHash != tt.sum {
				t.Errorf("Analyze(%s) stamp pgo = %q %q, want %q %q", tt.name, rep.Stamp.PGO, rep.Stamp.PGOHash, tt.pgo, tt.sum)
			}
		})
	}
}
