package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layoutTestdata is the analyzer's test packages, shared with escape/layout.
const layoutTestdata = "../../escape/layout/testdata/src"

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = report(run(t.Context(), args, &out, &errb), &errb)
	return out.String(), errb.String(), code
}

func TestLayoutGolden(t *testing.T) {
	golden, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(layoutTestdata)
	tests := []struct {
		name string
		args []string
	}{
		{"layout.golden", []string{"layout", "./padding", "./order", "./sharing", "./explicitpad", "./generics"}},
		{"layout-all.golden", []string{"layout", "-all", "./padding", "./allorders"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCmd(t, tt.args...)
			if code != exitOK {
				t.Fatalf("run(%q) exit = %d, stderr %q", tt.args, code, errOut)
			}
			checkGolden(t, filepath.Join(golden, tt.name), []byte(out))
		})
	}
}

func TestLayoutJSON(t *testing.T) {
	t.Chdir(layoutTestdata)
	out, errOut, code := runCmd(t, "layout", "-format", "json", "./order", "./sharing")
	if code != exitOK {
		t.Fatalf("layout -format json exit = %d, stderr %q", code, errOut)
	}
	var rep struct {
		Schema  string `json:"schema"`
		GOARCH  string `json:"goarch"`
		Structs []struct {
			Name     string `json:"name"`
			Size     int64  `json:"size"`
			PtrBytes int64  `json:"ptr_bytes"`
			Best     *struct {
				Size     int64    `json:"size"`
				PtrBytes int64    `json:"ptr_bytes"`
				Fields   []string `json:"fields"`
			} `json:"best"`
			Sharing []struct {
				Line   int64    `json:"line"`
				Fields []string `json:"fields"`
			} `json:"false_sharing"`
			Suggestion string `json:"suggestion"`
		} `json:"structs"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("layout -format json: %v\n%s", err, out)
	}
	if rep.Schema != "hotpath.layout/v1" {
		t.Errorf("schema = %q, want hotpath.layout/v1", rep.Schema)
	}
	byName := map[string]int{}
	for i, s := range rep.Structs {
		byName[s.Name] = i
	}
	node := rep.Structs[byName["Node"]]
	if node.Size != 48 || node.PtrBytes != 32 || node.Best == nil || node.Best.Size != 32 || node.Best.PtrBytes != 16 {
		t.Errorf("Node = size %d ptr %d best %+v, want 48/32 → 32/16", node.Size, node.PtrBytes, node.Best)
	}
	if !strings.Contains(node.Suggestion, "// a is documented") {
		t.Errorf("Node suggestion = %q, want the field's doc comment kept", node.Suggestion)
	}
	q, ok := byName["Queue"]
	if !ok || len(rep.Structs[q].Sharing) != 1 || !slices.Equal(rep.Structs[q].Sharing[0].Fields, []string{"head", "tail"}) {
		t.Errorf("Queue false sharing = %+v, want head and tail on line 0", rep.Structs[q].Sharing)
	}
	if _, ok := byName["Padded"]; ok {
		t.Errorf("Padded is reported, want it hidden (its atomics are on separate lines)")
	}
}

// TestLayoutProfile takes a real heap profile of a small package and checks the ranking.
func TestLayoutProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	prof := filepath.Join(t.TempDir(), "heap.pprof")
	cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-run=TestAlloc", "-memprofilerate=1",
		"-memprofile="+prof, "-o="+filepath.Join(t.TempDir(), "layoutprof.test"), ".")
	cmd.Dir = "testdata/layoutprof"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -memprofile: %v\n%s", err, out)
	}
	t.Chdir("testdata/layoutprof")
	out, errOut, code := runCmd(t, "layout", "-format", "json", "-profile", prof, ".")
	if code != exitOK {
		t.Fatalf("layout -profile exit = %d, stderr %q", code, errOut)
	}
	var rep struct {
		Structs []struct {
			Name    string `json:"name"`
			Objects int64  `json:"objects"`
			Score   int64  `json:"score"`
		} `json:"structs"`
		MapRecords []struct {
			Pos  struct{ Line int } `json:"pos"`
			Keys []string           `json:"keys"`
		} `json:"map_records"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Structs) != 2 {
		t.Fatalf("layout -profile structs = %+v, want Event and Rare", rep.Structs)
	}
	// The runtime now and then charges one map literal's allocations (4 objects) from the next
	// line to the &Event line: 2 runs in 26 on go1.26.8 gave 20004. The count may run over by that
	// much, never under, and the score must follow the count.
	if s := rep.Structs[0]; s.Name != "Event" || s.Objects < 20000 || s.Objects > 20000+8 || s.Score != s.Objects*8 {
		t.Errorf("first = %+v, want Event with 20000 objects (at most 8 more) saving 8 bytes each", s)
	}
	if s := rep.Structs[1]; s.Name != "Rare" || s.Objects != 1 || s.Score != 8 {
		t.Errorf("second = %+v, want Rare with 1 object saving 8 bytes", s)
	}
	src, err := os.ReadFile("layoutprof.go")
	if err != nil {
		t.Fatal(err)
	}
	wantLine := 1 + bytes.Count(src[:bytes.Index(src, []byte(`map[string]any{"id"`))], []byte("\n"))
	if len(rep.MapRecords) != 1 || rep.MapRecords[0].Pos.Line != wantLine || !slices.Equal(rep.MapRecords[0].Keys, []string{"id", "name"}) {
		t.Errorf("map records = %+v, want keys id, name at line %d", rep.MapRecords, wantLine)
	}
}

func TestLayoutBadInput(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"bad format", []string{"layout", "-format", "xml", "."}, `unknown -format "xml"`},
		{"missing profile", []string{"layout", "-profile", "/nonexistent/heap.pprof", "."}, "bad profile"},
		{"not a profile", []string{"layout", "-profile", "layout.go", "."}, "bad profile"},
		{"no such package", []string{"layout", "./nonexistent"}, "nonexistent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCmd(t, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("run(%q) = exit %d, stderr %q; want exit %d containing %q", tt.args, code, errOut, exitUsage, tt.wantErr)
			}
		})
	}
}
