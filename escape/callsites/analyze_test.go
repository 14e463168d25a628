package callsites

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// cpuProfile takes a real CPU profile of testdata/shapes by running its test in a child go test.
func cpuProfile(t *testing.T) string {
	t.Helper()
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	cmd := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-run=TestHot", "-cpuprofile="+prof,
		"-o="+filepath.Join(t.TempDir(), "shapes.test"), ".")
	cmd.Dir = "testdata/shapes"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -cpuprofile: %v\n%s", err, out)
	}
	return prof
}

// profilePeriod reads the sampling period (ns per sample) of a CPU profile.
func profilePeriod(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := profile.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if p.PeriodType == nil || p.PeriodType.Unit != "nanoseconds" || p.Period <= 0 {
		t.Fatalf("profile period = %d %v, want nanoseconds", p.Period, p.PeriodType)
	}
	return p.Period
}

// rawDevirts runs the compiler the plain way (-m only) and returns what it says it devirtualised, by line.
func rawDevirts(t *testing.T, prof string) map[int]string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "build", "-pgo="+prof, "-gcflags=-m", "-o", "/dev/null", ".")
	cmd.Dir = "testdata/shapes"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build -pgo -gcflags=-m: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`^\./shapes\.go:(\d+):\d+: PGO devirtualizing (?:interface|function) call \S+ to (\S+)$`)
	got := map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			var line int
			for _, c := range m[1] {
				line = line*10 + int(c-'0')
			}
			got[line] = m[2]
		}
	}
	return got
}

// TestAnalyzeShapes is the proof on real input: a real CPU profile of mono-, poly- and megamorphic loops,
// a real -pgo build, and the classification and PGO verdicts checked against what the compiler says.
func TestAnalyzeShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("profiles a test binary for a few seconds")
	}
	prof := cpuProfile(t)
	period := profilePeriod(t, prof)
	rep, err := Analyze(t.Context(), Config{Dir: "testdata/shapes", Patterns: []string{"."}, Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	if rep.PGOUnknown != 0 || rep.UnknownFields != 0 {
		t.Errorf("pgodebug output: %d unknown lines %q, %d unknown fields; want none from %s", rep.PGOUnknown, rep.UnknownLines, rep.UnknownFields, rep.GoVersion)
	}
	bySite := map[string]Site{}
	for _, s := range rep.Sites {
		bySite[s.Func] = s
	}
	const pkg = "github.com/hotpath-dev/hotpath/escape/callsites/testdata/shapes."
	tests := []struct {
		fn      string
		kind    string
		class   Class
		callees []string
	}{
		{"SumMono", "interface", Monomorphic, []string{"(*Sq).Area"}},
		{"SumPoly", "interface", Polymorphic, []string{"(*Circ).Area", "(*Sq).Area"}},
		{"SumMega", "interface", Megamorphic, []string{"(*Circ).Area", "(*Hex).Area", "(*Oct).Area", "(*Rect).Area", "(*Sq).Area", "(*Tri).Area"}},
		{"Apply", "func-value", Monomorphic, []string{"Double"}},
	}
	raw := rawDevirts(t, prof)
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			s, ok := bySite[tt.fn]
			if !ok {
				t.Fatalf("no hot site in %s; sites %+v", tt.fn, rep.Sites)
			}
			var names []string
			for _, c := range s.Callees {
				names = append(names, strings.TrimPrefix(c.Name, pkg))
			}
			slices.Sort(names)
			if s.Kind != tt.kind || s.Class != tt.class || !slices.Equal(names, tt.callees) {
				t.Errorf("site in %s = %s %s %v, want %s %s %v", tt.fn, s.Kind, s.Class, names, tt.kind, tt.class, tt.callees)
			}
			if s.PGO == nil {
				t.Fatalf("site in %s has no compiler call stat", tt.fn)
			}
			// The verdict must be exactly what a plain -m build prints for this line.
			want := raw[s.Line]
			got := strings.TrimPrefix(s.PGO.Devirtualized, pkg)
			if got != want || s.PGO.Confirmed != (want != "") {
				t.Errorf("PGO verdict in %s = %q (confirmed %v), the compiler's -m says %q", tt.fn, got, s.PGO.Confirmed, want)
			}
			// The compiler's weights are the profile's innermost call edges, in samples: the site's leaf
			// weight, and for the chosen callee its leaf weight, which is the largest at the site.
			// One sample in 56 has been seen to land on the compiler's side only (56 against 55, once
			// in many runs, on a freshly taken profile); a sample of slack keeps the check exact in
			// every other respect.
			near := func(samples, ns int64) bool { return abs(samples*period-ns) <= period }
			if !near(s.PGO.Weight, s.LeafWeight) {
				t.Errorf("site in %s: compiler weight %d samples, profile leaf weight %d ns (period %d)", tt.fn, s.PGO.Weight, s.LeafWeight, period)
			}
			if got != "" {
				var topLeaf, chosen int64
				for _, c := range s.Callees {
					topLeaf = max(topLeaf, c.LeafWeight)
					if strings.TrimPrefix(c.Name, pkg) == got {
						chosen = c.LeafWeight
					}
				}
				if chosen != topLeaf || !near(s.PGO.CalleeWeight, chosen) {
					t.Errorf("PGO devirtualized %s to %s with weight %d; profile leaf weights %+v", tt.fn, got, s.PGO.CalleeWeight, s.Callees)
				}
				if s.PGO.Note != "" {
					t.Errorf("site in %s has note %q, want none for a leaf call", tt.fn, s.PGO.Note)
				}
				if s.PGO.Share <= 0 || s.PGO.Share > 1 {
					t.Errorf("PGO share in %s = %v, want in (0, 1]", tt.fn, s.PGO.Share)
				}
			}
		})
	}
	if ws := []int64{bySite["SumMega"].Weight, bySite["SumPoly"].Weight}; ws[0] <= ws[1] {
		t.Errorf("SumMega weight %d <= SumPoly weight %d, want the four-times-run loop first", ws[0], ws[1])
	}
	if rep.Sites[0].Func != "SumMega" {
		t.Errorf("first site = %s, want SumMega (ranked by samples)", rep.Sites[0].Func)
	}
}

func TestAnalyzeBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"no profile", Config{Dir: "testdata/shapes"}, ErrInvalidConfig},
		{"flag as pattern", Config{Dir: "testdata/shapes", Profile: "x", Patterns: []string{"-toolexec=x"}}, ErrInvalidConfig},
		{"heap profile", Config{Dir: "testdata/shapes", Profile: "testdata/heap.pb.gz", Patterns: []string{"."}}, ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Analyze(t.Context(), tt.cfg)
			if !errors.Is(err, tt.want) {
				t.Errorf("Analyze(%+v) error = %v, want %v", tt.cfg, err, tt.want)
			}
		})
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
