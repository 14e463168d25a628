package profiling

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// RuleKind says how a Rule compares a signal with its Threshold.
type RuleKind int

const (
	// Above fires when the signal is greater than Threshold.
	Above RuleKind = iota
	// Below fires when the signal is less than Threshold (memory headroom, throughput).
	Below
	// Relative fires when the signal is greater than Threshold times its
	// moving baseline: the mean of the previous Baseline samples.
	Relative
)

func (k RuleKind) String() string {
	switch k {
	case Above:
		return "above"
	case Below:
		return "below"
	case Relative:
		return "relative"
	}
	return fmt.Sprintf("RuleKind(%d)", int(k))
}

// triggerKinds are the kinds a Rule can capture, all of them by default.
var triggerKinds = []Kind{KindCPU, KindGoroutine, KindHeap, KindTrace}

// Rule watches one signal and captures evidence when it goes wrong. The
// zero values of the optional fields are documented defaults, chosen like
// holmes' (a 10-sample warm-up, minutes of cooldown) because a trigger that
// fires on every blip costs more than the anomaly it records.
type Rule struct {
	// Name identifies the rule in captures and metrics; required, unique.
	Name string
	// Signal is one of SignalNames(): "sched.latency.p99", "goroutines", ...
	Signal string
	// Route restricts an "http.*" signal to one route; "" means all routes.
	Route string
	// Kind and Threshold: fire when the value is Above/Below Threshold, or
	// (Relative) above Threshold × baseline (Threshold > 1, e.g. 2 = double).
	Kind      RuleKind
	Threshold float64
	// Min is a floor for Relative rules: the value must also reach Min, so a
	// baseline near zero does not fire on noise. Zero means no floor.
	Min float64
	// Baseline is the number of samples in the moving average of a Relative
	// rule. Zero means 60 (a minute at the default interval).
	Baseline int
	// WarmUp is the number of samples seen before the rule may fire. Zero
	// means Baseline for Relative rules and 10 for the others.
	WarmUp int
	// Cooldown is the least time between two firings. Zero means 5 minutes.
	Cooldown time.Duration
	// MaxPerHour caps firings in any sliding hour. Zero means 4.
	MaxPerHour int
	// Capture lists what to capture: KindCPU (a profile of the next
	// CaptureConfig.CPUDuration), KindGoroutine and KindHeap (the state at
	// the firing), KindTrace (the flight recorder's execution trace of the
	// seconds before). Nil means all four.
	Capture []Kind
}

// Firing describes why a rule fired: the evidence stored with its capture.
type Firing struct {
	Rule      string    `json:"rule"`
	Signal    string    `json:"signal"`
	Route     string    `json:"route,omitempty"`
	Kind      string    `json:"kind"`
	Threshold float64   `json:"threshold"`
	Value     float64   `json:"value"`
	Baseline  float64   `json:"baseline,omitempty"` // moving mean (Relative rules)
	Time      time.Time `json:"time"`
}

// RuleStatus is a rule's state for the index page and /api/signals.
type RuleStatus struct {
	Rule       string    `json:"rule"`
	Signal     string    `json:"signal"`
	Value      float64   `json:"value"`
	Baseline   float64   `json:"baseline,omitempty"`
	Seen       int       `json:"seen"`
	Fired      uint64    `json:"fired"`
	Cooldown   uint64    `json:"suppressed_cooldown"` // matches inside the cooldown
	Capped     uint64    `json:"suppressed_cap"`      // matches over MaxPerHour
	LastFiring time.Time `json:"last_firing,omitzero"`
}

func (r *Rule) normalize() error {
	bad := func(what string) error {
		return fmt.Errorf("profiling: rule %q: %s: %w", r.Name, what, ErrInvalidRule)
	}
	switch {
	case r.Name == "":
		return bad("empty name")
	case !slices.Contains(signalNames, r.Signal):
		return bad(fmt.Sprintf("unknown signal %q (want one of %s)", r.Signal, strings.Join(signalNames, ", ")))
	case r.Route != "" && !strings.HasPrefix(r.Signal, "http."):
		return bad("Route set on a non-http signal")
	case r.Kind < Above || r.Kind > Relative:
		return bad("unknown kind " + r.Kind.String())
	case r.Kind == Relative && r.Threshold <= 1:
		return bad(fmt.Sprintf("relative threshold %g is not above 1", r.Threshold))
	case r.Baseline < 0 || r.WarmUp < 0 || r.Cooldown < 0 || r.MaxPerHour < 0:
		return bad("negative Baseline, WarmUp, Cooldown or MaxPerHour")
	}
	for _, c := range r.Capture {
		if !slices.Contains(triggerKinds, c) {
			return bad(fmt.Sprintf("unknown capture kind %q", c))
		}
	}
	if r.Baseline == 0 {
		r.Baseline = 60
	}
	if r.WarmUp == 0 {
		r.WarmUp = 10
		if r.Kind == Relative {
			r.WarmUp = r.Baseline
		}
	}
	if r.Cooldown == 0 {
		r.Cooldown = 5 * time.Minute
	}
	if r.MaxPerHour == 0 {
		r.MaxPerHour = 4
	}
	if r.Capture == nil {
		r.Capture = triggerKinds
	}
	return nil
}

// ruleState evaluates one rule, sample by sample. Only the monitor
// goroutine touches it; the status copy is guarded by the monitor's lock.
type ruleState struct {
	rule  Rule
	kinds []Kind
	ring  []float64 // the last Baseline values
	next  int
	sum   float64
	seen  int
	fires []time.Time // firings in the last hour, oldest first
	st    RuleStatus
}

func newRuleState(r Rule) *ruleState {
	return &ruleState{rule: r, kinds: r.Capture, ring: make([]float64, 0, r.Baseline), st: RuleStatus{Rule: r.Name, Signal: r.Signal}}
}

// observe feeds one value at now and reports whether the rule fires. The
// value joins the baseline after the comparison, so an anomaly is measured
// against the time before it.
func (s *ruleState) observe(now time.Time, v float64) (Firing, bool) {
	base := s.baseline()
	s.push(v)
	s.seen++
	s.st.Value, s.st.Baseline, s.st.Seen = v, base, s.seen
	r := &s.rule
	var match bool
	switch r.Kind {
	case Above:
		match = v > r.Threshold
	case Below:
		match = v < r.Threshold
	case Relative:
		match = s.seen > r.Baseline && v > r.Threshold*base && v >= r.Min
	}
	if !match || s.seen <= r.WarmUp {
		return Firing{}, false
	}
	if len(s.fires) > 0 && now.Sub(s.fires[len(s.fires)-1]) < r.Cooldown {
		s.st.Cooldown++
		return Firing{}, false
	}
	for len(s.fires) > 0 && now.Sub(s.fires[0]) >= time.Hour {
		s.fires = s.fires[1:]
	}
	if len(s.fires) >= r.MaxPerHour {
		s.st.Capped++
		return Firing{}, false
	}
	s.fires = append(s.fires, now)
	s.st.Fired++
	s.st.LastFiring = now
	f := Firing{Rule: r.Name, Signal: r.Signal, Route: r.Route, Kind: r.Kind.String(), Threshold: r.Threshold, Value: v, Time: now}
	if r.Kind == Relative {
		f.Baseline = base
	}
	return f, true
}

func (s *ruleState) baseline() float64 {
	if len(s.ring) == 0 {
		return 0
	}
	return s.sum / float64(len(s.ring))
}

func (s *ruleState) push(v float64) {
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, v)
		s.sum += v
		return
	}
	s.sum += v - s.ring[s.next]
	s.ring[s.next] = v
	s.next = (s.next + 1) % len(s.ring)
	if s.next == 0 { // resum once per lap so rounding cannot drift
		s.sum = 0
		for _, x := range s.ring {
			s.sum += x
		}
	}
}

// DefaultRules returns a starting set of rules, each a sign that a service
// is in trouble rather than busy. The thresholds are reasons, not tuning:
//
//   - sched-latency: runnable goroutines waited more than 50 ms for a thread
//     at p99 — every request in that interval stalled for that long;
//   - gc-cpu: GC took over a quarter of the CPU the runtime had;
//   - goroutine-growth: goroutines doubled over the last minute's mean and
//     passed 1000 — the shape of a leak or a pile-up behind a slow dependency;
//   - heap-growth: the live heap doubled over the last minute's mean and
//     passed 64 MiB;
//   - http-p99: HTTP p99 latency tripled over the last minute's mean and
//     passed 100 ms.
//
// All use the defaults for warm-up, cooldown (5 minutes) and cap (4 an hour).
func DefaultRules() []Rule {
	return []Rule{
		{Name: "sched-latency", Signal: "sched.latency.p99", Threshold: 0.050},
		{Name: "gc-cpu", Signal: "gc.cpu_fraction", Threshold: 0.25},
		{Name: "goroutine-growth", Signal: "goroutines", Kind: Relative, Threshold: 2, Min: 1000},
		{Name: "heap-growth", Signal: "heap.live", Kind: Relative, Threshold: 2, Min: 64 << 20},
		{Name: "http-p99", Signal: "http.latency.p99", Kind: Relative, Threshold: 3, Min: 0.1},
	}
}
