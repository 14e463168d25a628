package hotlines

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/pprof/profile"
)

// testProfile builds a heap profile with a runtime leaf, an inlined frame and two callees below one site.
//
//	main.main (main.go:10) → main.work (work.go:20, with main.helper inlined at work.go:5) → runtime.mallocgc
//	main.main (main.go:11) → (*A).Run / (*B).Run via one interface call line
func testProfile() *profile.Profile {
	fn := func(id uint64, name, file string) *profile.Function {
		return &profile.Function{ID: id, Name: name, SystemName: name, Filename: file}
	}
	mainFn := fn(1, "main.main", "/src/app/main.go")
	work := fn(2, "main.work", "/src/app/work.go")
	helper := fn(3, "main.helper", "/src/app/work.go")
	malloc := fn(4, "runtime.mallocgc", "/go/src/runtime/malloc.go")
	runA := fn(5, "main.(*A).Run", "/src/app/a.go")
	runB := fn(6, "main.(*B).Run", "/src/app/b.go")
	loc := func(id uint64, lines ...profile.Line) *profile.Location {
		return &profile.Location{ID: id, Line: lines}
	}
	lMalloc := loc(1, profile.Line{Function: malloc, Line: 1000})
	lWork := loc(2, profile.Line{Function: helper, Line: 5}, profile.Line{Function: work, Line: 20})
	lMain10 := loc(3, profile.Line{Function: mainFn, Line: 10})
	lMain11 := loc(4, profile.Line{Function: mainFn, Line: 11})
	lA := loc(5, profile.Line{Function: runA, Line: 3})
	lB := loc(6, profile.Line{Function: runB, Line: 4})
	return &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
		},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{lMalloc, lWork, lMain10}, Value: []int64{4, 400, 0, 0}},
			{Location: []*profile.Location{lA, lMain11}, Value: []int64{1, 30, 0, 0}},
			{Location: []*profile.Location{lB, lMain11}, Value: []int64{1, 70, 0, 0}},
		},
		Location: []*profile.Location{lMalloc, lWork, lMain10, lMain11, lA, lB},
		Function: []*profile.Function{mainFn, work, helper, malloc, runA, runB},
	}
}

func TestWeights(t *testing.T) {
	p, err := FromProfile(testProfile())
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != "alloc" || p.Unit != "bytes" || p.Total != 500 {
		t.Fatalf("FromProfile() = kind %q unit %q total %d, want alloc bytes 500", p.Kind, p.Unit, p.Total)
	}
	tests := []struct {
		name      string
		file      string
		line      int
		self, cum int64
		objs      int64
	}{
		{"inlined body line", "/src/app/work.go", 5, 400, 400, 4},
		{"line it was inlined into", "/src/app/work.go", 20, 400, 400, 4},
		{"caller is cum only", "/src/app/main.go", 10, 0, 400, 0},
		{"runtime charged to caller", "/go/src/runtime/malloc.go", 1000, 0, 400, 0},
		{"relative path matches by suffix", "./work.go", 20, 400, 400, 4},
		{"trimpath name matches", "example.com/app/work.go", 5, 400, 400, 4},
		{"callee line", "/src/app/b.go", 4, 70, 70, 1},
		{"unknown line", "/src/app/main.go", 99, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Self(tt.file, tt.line); got != tt.self {
				t.Errorf("Self(%q, %d) = %d, want %d", tt.file, tt.line, got, tt.self)
			}
			if got := p.Cum(tt.file, tt.line); got != tt.cum {
				t.Errorf("Cum(%q, %d) = %d, want %d", tt.file, tt.line, got, tt.cum)
			}
			if got := p.Objects(tt.file, tt.line); got != tt.objs {
				t.Errorf("Objects(%q, %d) = %d, want %d", tt.file, tt.line, got, tt.objs)
			}
		})
	}
	got := p.CalleesAt("/src/app/main.go", 11)
	want := []Callee{{"main.(*B).Run", 70}, {"main.(*A).Run", 30}}
	if !slices.Equal(got, want) {
		t.Errorf("CalleesAt(main.go, 11) = %v, want %v", got, want)
	}
	if got := p.LeafCalleesAt("/src/app/main.go", 11); !slices.Equal(got, want) {
		t.Errorf("LeafCalleesAt(main.go, 11) = %v, want %v", got, want)
	}
	// main.go:10 → main.work is the third location of its sample: not a leaf edge.
	if got := p.LeafCalleesAt("/src/app/main.go", 10); len(got) != 0 {
		t.Errorf("LeafCalleesAt(main.go, 10) = %v, want none", got)
	}
	if got := p.CalleesAt("/src/app/main.go", 10); !slices.Equal(got, []Callee{{"main.work", 400}}) {
		t.Errorf("CalleesAt(main.go, 10) = %v, want main.work", got)
	}
	if got := p.CalleesAt("/src/app/work.go", 20); !slices.Equal(got, []Callee{{"main.helper", 400}}) {
		t.Errorf("CalleesAt(work.go, 20) = %v, want the inlined helper", got)
	}
	if got, want := p.Func("main.helper"), int64(400); got != want {
		t.Errorf("Func(main.helper) = %d, want %d", got, want)
	}
	if got, want := p.Lines()[0], (Line{"/src/app/work.go", 5}); got != want {
		t.Errorf("Lines()[0] = %v, want %v", got, want)
	}
	if got, want := p.Share(100), 0.2; got != want {
		t.Errorf("Share(100) = %v, want %v", got, want)
	}
}

func TestParseRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := testProfile().Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "heap.pprof")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Self("/src/app/work.go", 20), int64(400); got != want {
		t.Errorf("Read(%q).Self(work.go, 20) = %d, want %d", path, got, want)
	}
}

func TestBadProfiles(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"garbage", []byte("not a profile\x00\x01")},
		{"truncated gzip", []byte{0x1f, 0x8b, 0x08, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(bytes.NewReader(tt.data))
			if !errors.Is(err, ErrProfile) {
				t.Errorf("Parse(%q) error = %v, want ErrProfile", tt.data, err)
			}
		})
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrProfile) {
		t.Errorf("Read(missing) error = %v, want ErrProfile", err)
	}
}

func FuzzParse(f *testing.F) {
	var buf bytes.Buffer
	if err := testProfile().Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrProfile) {
				t.Fatalf("Parse error = %v, want ErrProfile", err)
			}
			return
		}
		lines := p.Lines()
		for i := 1; i < len(lines); i++ {
			if a, b := p.self[lines[i-1]], p.self[lines[i]]; a < b {
				t.Fatalf("Lines() not sorted: %v (%d) before %v (%d)", lines[i-1], a, lines[i], b)
			}
		}
	})
}
