package profiling

import (
	"errors"
	"testing"
	"time"
)

// feed runs values through a rule one second apart and returns the indexes that fired.
func feed(t *testing.T, r Rule, values []float64) ([]int, *ruleState) {
	t.Helper()
	if err := r.normalize(); err != nil {
		t.Fatalf("normalize(%+v) error %v", r, err)
	}
	s := newRuleState(r)
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	var fired []int
	for i, v := range values {
		if _, ok := s.observe(t0.Add(time.Duration(i)*time.Second), v); ok {
			fired = append(fired, i)
		}
	}
	return fired, s
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestRuleEvaluation(t *testing.T) {
	tests := []struct {
		name          string
		rule          Rule
		values        []float64
		want          []int
		wantCooldown  uint64
		wantCapped    uint64
		wantBaseline0 float64 // baseline at the first firing, for Relative
	}{
		{"absolute waits for the warm-up",
			Rule{Name: "a", Signal: "goroutines", Threshold: 5, WarmUp: 3, Cooldown: time.Hour},
			[]float64{9, 9, 9, 9, 1}, []int{3}, 0, 0, 0},
		{"cooldown holds while the anomaly lasts",
			Rule{Name: "a", Signal: "goroutines", Threshold: 5, WarmUp: 1, Cooldown: 5 * time.Second},
			[]float64{1, 9, 9, 9, 9, 9, 9, 9}, []int{1, 6}, 5, 0, 0},
		{"cap per hour",
			Rule{Name: "a", Signal: "goroutines", Threshold: 5, WarmUp: 1, Cooldown: time.Second, MaxPerHour: 2},
			[]float64{1, 9, 9, 9, 9}, []int{1, 2}, 0, 2, 0},
		{"below",
			Rule{Name: "a", Signal: "memory.headroom", Kind: Below, Threshold: 100, WarmUp: 1},
			[]float64{500, 400, 50}, []int{2}, 0, 0, 0},
		{"relative against the moving mean",
			Rule{Name: "r", Signal: "goroutines", Kind: Relative, Threshold: 2, Baseline: 4, Cooldown: time.Hour},
			[]float64{10, 10, 10, 10, 19, 25, 50}, []int{5}, 1, 0, 11.5}, // 25 > 2×mean(10,10,10,19)
		{"relative floor ignores noise on a tiny baseline",
			Rule{Name: "r", Signal: "goroutines", Kind: Relative, Threshold: 2, Baseline: 2, Min: 10},
			[]float64{1, 1, 5, 5, 30}, []int{4}, 0, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, s := feed(t, tt.rule, tt.values)
			if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) || (len(got) > 1 && got[1] != tt.want[1]) {
				t.Errorf("fired at %v, want %v", got, tt.want)
			}
			if s.st.Cooldown != tt.wantCooldown || s.st.Capped != tt.wantCapped {
				t.Errorf("suppressed cooldown=%d capped=%d, want %d, %d", s.st.Cooldown, s.st.Capped, tt.wantCooldown, tt.wantCapped)
			}
			if s.st.Fired != uint64(len(tt.want)) {
				t.Errorf("status Fired = %d, want %d", s.st.Fired, len(tt.want))
			}
		})
	}
}

func TestRelativeFiringCarriesBaseline(t *testing.T) {
	r := Rule{Name: "r", Signal: "goroutines", Kind: Relative, Threshold: 2, Baseline: 4}
	if err := r.normalize(); err != nil {
		t.Fatal(err)
	}
	s := newRuleState(r)
	t0 := time.Unix(0, 0)
	var f Firing
	for i, v := range []float64{10, 10, 10, 10, 30} {
		f, _ = s.observe(t0.Add(time.Duration(i)*time.Second), v)
	}
	want := Firing{Rule: "r", Signal: "goroutines", Kind: "relative", Threshold: 2, Value: 30, Baseline: 10, Time: t0.Add(4 * time.Second)}
	if f != want {
		t.Errorf("observe(30) = %+v, want %+v", f, want)
	}
}

func TestBaselineLongRun(t *testing.T) {
	r := Rule{Name: "r", Signal: "goroutines", Kind: Relative, Threshold: 2, Baseline: 3}
	r.normalize()
	s := newRuleState(r)
	for i := range 1000 {
		s.push(float64(i % 7))
	}
	want := float64(997%7+998%7+999%7) / 3
	if got := s.baseline(); got != want {
		t.Errorf("baseline() = %v, want %v", got, want)
	}
}

func TestRuleValidation(t *testing.T) {
	tests := []Rule{
		{Signal: "goroutines"},
		{Name: "x", Signal: "nope"},
		{Name: "x", Signal: "goroutines", Route: "GET /"},
		{Name: "x", Signal: "goroutines", Kind: Relative, Threshold: 0.5},
		{Name: "x", Signal: "goroutines", Kind: 7},
		{Name: "x", Signal: "goroutines", Cooldown: -time.Second},
		{Name: "x", Signal: "goroutines", Capture: []Kind{KindMutex}},
	}
	for _, r := range tests {
		if err := r.normalize(); !errors.Is(err, ErrInvalidRule) {
			t.Errorf("normalize(%+v) = %v, want ErrInvalidRule", r, err)
		}
	}
	if _, err := StartMonitor(MonitorConfig{Rules: []Rule{{Name: "a", Signal: "goroutines"}, {Name: "a", Signal: "goroutines"}}}); !errors.Is(err, ErrInvalidRule) {
		t.Errorf("StartMonitor(duplicate rules) = %v, want ErrInvalidRule", err)
	}
}

func TestSignalValueCoversEveryName(t *testing.T) {
	sat := Saturation{MemoryLimit: 1}
	routes := []RouteSignals{{}}
	for _, name := range SignalNames() {
		if _, ok := signalValue(name, &sat, routes, ""); !ok {
			t.Errorf("signalValue(%q) not found", name)
		}
	}
}
