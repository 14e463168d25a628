package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotpath-dev/hotpath/escape"
)

func TestEscapeCommand(t *testing.T) {
	golden, err := filepath.Abs("../../escape/testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	broken := t.TempDir()
	writeEscapeFiles(t, broken, map[string]string{
		"go.mod": "module broken\n\ngo 1.26\n",
		"x.go":   "package broken\n\nfunc F() *int { x := 1; return &y }\n",
	})
	// user is a module with a test file and a call to the standard library's generic code.
	user := t.TempDir()
	writeEscapeFiles(t, user, map[string]string{
		"go.mod":    "module user\n\ngo 1.26\n",
		"p.go":      "package user\n\nimport \"slices\"\n\nfunc Sorted(s []int) []int { s = slices.Clone(s); slices.Sort(s); return s }\n",
		"p_test.go": "package user\n\nimport \"testing\"\n\ntype big struct{ a [32]int64 }\n\nvar sink big\n\nfunc cp(b *big) { x := *b; x.a[0]++; sink = x }\n\nfunc TestCopy(t *testing.T) { cp(&big{}) }\n",
	})
	tests := []struct {
		name       string
		dir        string
		args       []string
		wantCode   int
		wantOut    string // substring of stdout
		wantStderr string // stderr exactly, when not ""
		notOut     string // must not be in stdout, when not ""
	}{
		{"text", golden, []string{"-nocache", "./kinds"}, exitOK, "kinds/kinds.go:11:2: heap: p moved to heap (return)\n", "", ""},
		{"kinds filter", golden, []string{"-nocache", "-kinds", "copy", "./..."}, exitOK, "b/util.go:10:32: copy: 320 bytes\n", "", ""},
		{"kinds counts", golden, []string{"-nocache", "-kinds", "heap", "./kinds"}, exitOK, "\n       package  heap\n  golden/kinds     3\n\n", "", "leak"},
		{"test copies", user, []string{"-nocache", "-test", "-kinds", "copy"}, exitOK, "# user\np_test.go:9:21: copy: 256 bytes\np_test.go:9:43: copy: 256 bytes\n", "", "warning"},
		{"own code only", user, []string{"-nocache", "./..."}, exitOK, "in code outside the analysed packages, left out)", "", "slices.go"},
		{"external", user, []string{"-nocache", "-external", "./..."}, exitOK, "/src/slices/slices.go:", "", "left out"},
		{"bad kind", golden, []string{"-kinds", "heap,bogus"}, exitUsage, "",
			"hotpath: escape: -kinds: unknown kind \"bogus\" (known: heap,leak,inlinable,not-inlinable,inlined-call,devirtualized,bounds-check,nil-check,copy)\n", ""},
		{"bad format", golden, []string{"-format", "xml"}, exitUsage, "", "hotpath: escape: -format \"xml\": want text or json (github and sarif go with -baseline or -rev)\n", ""},
		{"no such package", golden, []string{"./nosuch"}, exitUsage, "", "", ""},
		{"does not build", broken, []string{"-nocache"}, exitUsage, "",
			"# broken\n./x.go:3:17: declared and not used: x\n./x.go:3:33: undefined: y\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(tt.dir)
			var stdout, stderr bytes.Buffer
			code := report(run(t.Context(), append([]string{"escape"}, tt.args...), &stdout, &stderr), &stderr)
			if code != tt.wantCode {
				t.Errorf("escape %q exit = %d, want %d (stderr %q)", tt.args, code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("escape %q stdout = %q, want it to contain %q", tt.args, stdout.String(), tt.wantOut)
			}
			if tt.notOut != "" && strings.Contains(stdout.String(), tt.notOut) {
				t.Errorf("escape %q stdout = %q, want no %q", tt.args, stdout.String(), tt.notOut)
			}
			if tt.wantStderr != "" && stderr.String() != tt.wantStderr {
				t.Errorf("escape %q stderr = %q, want %q", tt.args, stderr.String(), tt.wantStderr)
			}
			if tt.wantCode != exitOK && strings.Count(stderr.String(), "\n") > 3 {
				t.Errorf("escape %q stderr = %q, want a short message", tt.args, stderr.String())
			}
		})
	}
}

func writeEscapeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEscapeHelp checks that -h states the exit codes and lists every kind.
func TestEscapeHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := report(run(t.Context(), []string{"escape", "-h"}, &stdout, &stderr), &stderr); code != exitOK {
		t.Errorf("escape -h exit = %d, want %d", code, exitOK)
	}
	help := stderr.String()
	want := []string{"Exit codes: 0 report printed; 2 usage error, or the packages do not build", "-external"}
	for _, k := range escape.Kinds {
		want = append(want, "\n\t"+string(k)+" ")
	}
	for _, w := range want {
		if !strings.Contains(help, w) {
			t.Errorf("escape -h = %q, want it to contain %q", help, w)
		}
	}
}

func TestEscapeJSONFile(t *testing.T) {
	golden, err := filepath.Abs("../../escape/testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(golden)
	out := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	if code := report(run(t.Context(), []string{"escape", "-nocache", "-format", "json", "-o", out, "./kinds"}, &stdout, &stderr), &stderr); code != exitOK {
		t.Fatalf("escape -format json exit = %d, stderr %q", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("escape -o wrote %d bytes to stdout, want 0", stdout.Len())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Schema string `json:"schema"`
		Stamp  struct {
			GoVersion string `json:"go_version"`
		} `json:"stamp"`
		Facts []struct {
			Kind, File, Subject, Key string
			Line                     int
		} `json:"facts"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("escape -format json output does not decode: %v", err)
	}
	if rep.Schema != "hotpath.escape/v1" || !strings.HasPrefix(rep.Stamp.GoVersion, "go1.") || len(rep.Facts) < 20 {
		t.Errorf("escape json = schema %q, go %q, %d facts; want hotpath.escape/v1, go1.x, at least 20", rep.Schema, rep.Stamp.GoVersion, len(rep.Facts))
	}
}

func TestEscapeGoMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var stdout, stderr bytes.Buffer
	code := report(run(t.Context(), []string{"escape", "./..."}, &stdout, &stderr), &stderr)
	want := "hotpath: escape: analyze: gocmd: run \"go\": go command not found (install Go or put it on PATH)\n"
	if code != exitUsage || stderr.String() != want {
		t.Errorf("escape without go on PATH = exit %d, stderr %q; want %d, %q", code, stderr.String(), exitUsage, want)
	}
}
