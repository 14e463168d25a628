package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runIn runs the CLI with the working directory set to dir and returns the exit code and outputs.
func runIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	code := report(run(t.Context(), args, &stdout, &stderr), &stderr)
	return code, stdout.String(), stderr.String()
}

// writeModule writes files (path → content) into a fresh module m.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module m\n\ngo 1.26\n"
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckCommand(t *testing.T) {
	data, err := filepath.Abs("../../escape/testdata/check")
	if err != nil {
		t.Fatal(err)
	}
	pass := writeModule(t, map[string]string{"p/p.go": "package p\n\n//hotpath:inline,noescape,nobce\nfunc Sum(s []int) (n int) {\n\tfor _, x := range s {\n\t\tn += x\n\t}\n\treturn n\n}\n"})
	typo := writeModule(t, map[string]string{"p/p.go": "package p\n\n//hotpath:inlne\nfunc F() int { return 1 }\n"})
	broken := writeModule(t, map[string]string{"p/p.go": "package p\n\nfunc F() int { return x }\n"})
	tests := []struct {
		name     string
		dir      string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
	}{
		{"violations", data, []string{"check", "./..."}, exitFailed, []string{
			"inl/inl.go:13:1: hotpath:inline: Big cannot be inlined: function too complex: cost 89 exceeds budget 80\n",
			"inl/inl.go:44:13: hotpath:inline: eliminated: call to inl.Small is in dead code and was eliminated\n",
			"esc/esc.go:28:7: hotpath:noescape: (*T).Describe: parameter t leaks to the heap",
			"bce/bce.go:12:10: hotpath:nobce: Unhinted: bounds check left",
			"dev/dev.go:21:15: hotpath:devirt: interface call s.Area not devirtualised",
		}, "12 failed, 1 eliminated as dead code, 0 malformed"},
		{"github", data, []string{"check", "-format", "github", "./esc"}, exitFailed, []string{
			"::error file=esc/esc.go,line=28,col=7,title=hotpath%3Anoescape::(*T).Describe: parameter t leaks",
		}, ""},
		{"all hold", pass, []string{"check", "-v", "./..."}, exitOK, []string{
			"p/p.go:3:1: hotpath:inline: ok: Sum is inlinable", "p/p.go:3:1: hotpath:noescape: ok: nothing escapes",
		}, "3 verdicts: 0 failed"},
		{"typo", typo, []string{"check", "./..."}, exitFailed, []string{
			`p/p.go:3:1: hotpath:directive: unknown directive "inlne" (did you mean "inline"?)`,
		}, "1 malformed"},
		{"does not build", broken, []string{"check", "./..."}, exitUsage, nil, "undefined: x"},
		{"bad format", pass, []string{"check", "-format", "xml"}, exitUsage, nil, `-format "xml": want text, json, github or sarif`},
		{"no such package", pass, []string{"check", "./nope"}, exitUsage, nil, "hotpath: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runIn(t, tt.dir, tt.args...)
			if code != tt.wantCode {
				t.Errorf("hotpath %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tt.args, " "), code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("hotpath %s stdout = %q, want it to contain %q", strings.Join(tt.args, " "), out, w)
				}
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("hotpath %s stderr = %q, want it to contain %q", strings.Join(tt.args, " "), errOut, tt.wantErr)
			}
		})
	}
}

func TestCheckSARIF(t *testing.T) {
	data, err := filepath.Abs("../../escape/testdata/check")
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ := runIn(t, data, "check", "-format", "sarif", "./bce")
	if code != exitFailed {
		t.Fatalf("check -format sarif: exit %d, want %d", code, exitFailed)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI, URIBaseID string } `json:"artifactLocation"`
						Region           struct{ StartLine int }         `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("check -format sarif wrote invalid JSON: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 4 {
		t.Fatalf("SARIF log = %+v, want version 2.1.0 with one run of 4 results", log)
	}
	r := log.Runs[0].Results[0]
	loc := r.Locations[0].PhysicalLocation
	if r.RuleID != "hotpath:nobce" || r.Level != "error" || loc.ArtifactLocation.URI != "bce/bce.go" || loc.Region.StartLine != 12 {
		t.Errorf("first SARIF result = %+v, want hotpath:nobce error at bce/bce.go line 12", r)
	}
}
