package annotate

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

var findings = []Finding{
	{File: "/repo/pkg/a.go", Line: 12, Col: 6, Rule: "hotpath:inline", Level: LevelError, Message: "F: cannot inline: function too complex: cost 89 exceeds budget 80"},
	{File: "/repo/pkg/b.go", Line: 3, Rule: "hotpath:noescape", Level: LevelError, Message: "x escapes to heap, from: a, b\nsecond line 100%"},
	{File: "/elsewhere/c.go", Rule: "hotpath:directive", Level: LevelWarning, Message: "unknown directive"},
	{File: "rel dir/d.go", Line: 1, Col: 1, Rule: "hotpath:nobce", Message: "bounds check left"},
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, findings[:3]); err != nil {
		t.Fatal(err)
	}
	want := "/repo/pkg/a.go:12:6: hotpath:inline: F: cannot inline: function too complex: cost 89 exceeds budget 80\n" +
		"/repo/pkg/b.go:3: hotpath:noescape: x escapes to heap, from: a, b\nsecond line 100%\n" +
		"/elsewhere/c.go: hotpath:directive: unknown directive\n"
	if b.String() != want {
		t.Errorf("WriteText = %q, want %q", b.String(), want)
	}
}

func TestWriteGitHub(t *testing.T) {
	var b bytes.Buffer
	if err := WriteGitHub(&b, findings[1:2]); err != nil {
		t.Fatal(err)
	}
	want := "::error file=/repo/pkg/b.go,line=3,title=hotpath%3Anoescape::x escapes to heap, from: a, b%0Asecond line 100%25\n"
	if b.String() != want {
		t.Errorf("WriteGitHub = %q, want %q", b.String(), want)
	}
}

// TestWriteSARIFRequired checks the output against what SARIF 2.1.0 requires of each object it writes:
// sarifLog.version and runs (§3.13), run.tool (§3.14), tool.driver (§3.18), toolComponent.name (§3.19),
// reportingDescriptor.id (§3.49), result.message (§3.27) with text or id (§3.11), a valid ruleIndex
// (§3.27.6), level in its enumeration (§3.27.10), physicalLocation with an artifactLocation (§3.29),
// artifactLocation.uri a URI reference, relative when uriBaseId is given (§3.4), region.startLine ≥ 1
// and startColumn ≥ 1 (§3.30), and originalUriBaseIds values absolute and ending in "/" (§3.14.14).
func TestWriteSARIFRequired(t *testing.T) {
	var b bytes.Buffer
	tool := Tool{Name: "hotpath", Version: "v1.0.0"}
	rules := []Rule{{ID: "hotpath:inline", Short: "the function or call must be inlined"}}
	if err := WriteSARIF(&b, tool, rules, findings, "/repo"); err != nil {
		t.Fatal(err)
	}
	var log map[string]any
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatalf("WriteSARIF wrote invalid JSON: %v", err)
	}
	if log["version"] != "2.1.0" {
		t.Errorf("version = %v, want 2.1.0", log["version"])
	}
	runs := asSlice(t, log, "runs")
	if len(runs) != 1 {
		t.Fatalf("len(runs) = %d, want 1", len(runs))
	}
	run := runs[0].(map[string]any)
	driver := asMap(t, asMap(t, run, "tool"), "driver")
	if name, _ := driver["name"].(string); name != "hotpath" {
		t.Errorf("tool.driver.name = %q, want hotpath", name)
	}
	ruleList := asSlice(t, driver, "rules")
	for i, r := range ruleList {
		if id, _ := r.(map[string]any)["id"].(string); id == "" {
			t.Errorf("rules[%d] has no id", i)
		}
	}
	for base, v := range asMap(t, run, "originalUriBaseIds") {
		u, err := url.Parse(v.(map[string]any)["uri"].(string))
		if err != nil || !u.IsAbs() || !strings.HasSuffix(u.Path, "/") {
			t.Errorf("originalUriBaseIds[%s] = %v, want an absolute URI ending in /", base, v)
		}
	}
	results := asSlice(t, run, "results")
	if len(results) != len(findings) {
		t.Fatalf("len(results) = %d, want %d", len(results), len(findings))
	}
	wantURIs := []string{"pkg/a.go", "pkg/b.go", "file:///elsewhere/c.go", "rel%20dir/d.go"}
	for i, r := range results {
		res := r.(map[string]any)
		msg := asMap(t, res, "message")
		if _, ok := msg["text"].(string); !ok {
			t.Errorf("results[%d].message has no text", i)
		}
		switch res["level"] {
		case "none", "note", "warning", "error":
		default:
			t.Errorf("results[%d].level = %v, not in the enumeration", i, res["level"])
		}
		idx := int(res["ruleIndex"].(float64))
		if idx < 0 || idx >= len(ruleList) || ruleList[idx].(map[string]any)["id"] != res["ruleId"] {
			t.Errorf("results[%d].ruleIndex %d does not name ruleId %v", i, idx, res["ruleId"])
		}
		phys := asMap(t, asSlice(t, res, "locations")[0].(map[string]any), "physicalLocation")
		art := asMap(t, phys, "artifactLocation")
		uri, _ := art["uri"].(string)
		u, err := url.Parse(uri)
		if err != nil {
			t.Errorf("results[%d] uri %q: %v", i, uri, err)
		}
		if uri != wantURIs[i] {
			t.Errorf("results[%d] uri = %q, want %q", i, uri, wantURIs[i])
		}
		if _, ok := art["uriBaseId"]; ok && u.IsAbs() {
			t.Errorf("results[%d] has uriBaseId with absolute uri %q", i, uri)
		}
		if reg, ok := phys["region"].(map[string]any); ok {
			if l, _ := reg["startLine"].(float64); l < 1 {
				t.Errorf("results[%d] startLine = %v, want ≥ 1", i, reg["startLine"])
			}
			if c, ok := reg["startColumn"].(float64); ok && c < 1 {
				t.Errorf("results[%d] startColumn = %v, want ≥ 1", i, c)
			}
		}
	}
	if got := results[3].(map[string]any)["level"]; got != "warning" {
		t.Errorf("level of a finding without one = %v, want warning", got)
	}
}

func asMap(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("missing required object %q in %v", key, m)
	}
	return v
}

func asSlice(t *testing.T, m map[string]any, key string) []any {
	t.Helper()
	v, ok := m[key].([]any)
	if !ok {
		t.Fatalf("missing required array %q in %v", key, m)
	}
	return v
}
