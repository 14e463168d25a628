package profiling

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	xtrace "golang.org/x/exp/trace"
)

// The proof of the trigger path: with GOMAXPROCS=1 (process-wide, hence a
// fresh subprocess), CPU-bound goroutines make runnable goroutines wait for
// the only P. The scheduler-latency rule fires once, the cooldown holds while
// the load lasts, and the capture holds a CPU profile (through the
// Profiler's CPU owner), goroutine and heap profiles, and a flight-recorder
// trace that parses and reaches back before the load began.
func TestTriggerSchedLatency(t *testing.T) {
	if !inSubprocess(t) {
		return
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := startTest(t, Config{Kinds: []Kind{KindHeap}})
	m, err := StartMonitor(MonitorConfig{Profiler: p, Interval: 50 * time.Millisecond, Limits: &ContainerLimits{},
		// The median, not p99: in a quiet 50 ms interval p99 rests on a handful
		// of wake-ups and one stall of the host could fire it; the median
		// moves only when most goroutines wait.
		Rules:   []Rule{{Name: "sched-p50", Signal: "sched.latency.p50", Threshold: 0.020, WarmUp: 10, Cooldown: time.Hour}},
		Capture: CaptureConfig{CPUDuration: time.Second, TraceMinAge: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop(context.Background())

	waitFor(t, "2s of quiet samples", func() bool { return len(m.History(time.Time{})) >= 40 })
	if st := m.Rules()[0]; st.Fired != 0 {
		t.Fatalf("rule fired before any load: %+v (the host is too loaded for this test)", st)
	}
	loadStart := time.Now()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for !stop.Load() {
				sigBurn(time.Millisecond)
			}
		})
	}
	waitFor(t, "the rule to fire and then be held by its cooldown", func() bool {
		st := m.Rules()[0]
		return st.Fired >= 1 && st.Cooldown >= 5
	})
	stop.Store(true)
	wg.Wait()
	waitFor(t, "the capture to finish", func() bool { return len(m.Captures()) == 1 })
	st := m.Rules()[0]
	if st.Fired != 1 {
		t.Errorf("rule fired %d times, want 1 (cooldown 1h)", st.Fired)
	}
	c := m.Captures()[0]
	t.Logf("capture %s: firing %+v, files %+v, errors %v", c.ID, c.Firing, c.Files, c.Errors)
	if c.Firing.Time.Before(loadStart) || c.Firing.Value <= 0.020 {
		t.Errorf("firing = %+v, want after the load began (%v) with p50 > 20ms", c.Firing, loadStart)
	}
	if len(c.Errors) != 0 || len(c.Files) != 4 {
		t.Fatalf("capture files %d, errors %v; want trace, goroutine, heap and cpu", len(c.Files), c.Errors)
	}
	for _, f := range c.Files {
		b, err := p.Store().Read(f.Entry)
		if err != nil || len(b) == 0 {
			t.Fatalf("Store().Read(%s) = %d bytes, %v", f.Entry.Name, len(b), err)
		}
		if f.Kind == KindTrace {
			from, to := traceSpan(t, b)
			t.Logf("trace %s: %d bytes, %v .. %v; load began %v, fired %v", f.Entry.Name, len(b), from, to, loadStart, c.Firing.Time)
			if from.After(loadStart.Add(-time.Second)) || to.Before(c.Firing.Time) {
				t.Errorf("trace covers %v .. %v, want from ≥1s before the load (%v) to the firing (%v)", from, to, loadStart, c.Firing.Time)
			}
			continue
		}
		if _, err := profile.Parse(bytes.NewReader(b)); err != nil {
			t.Errorf("profile.Parse(%s) error %v", f.Entry.Name, err)
		}
	}
}

// traceSpan parses an execution trace with golang.org/x/exp/trace and
// returns the wall-clock times of its first and last events, through the
// clock snapshots the runtime writes at each sync point.
func traceSpan(t *testing.T, b []byte) (from, to time.Time) {
	t.Helper()
	r, err := xtrace.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("trace.NewReader() error %v", err)
	}
	var first, last xtrace.Time
	var snap *xtrace.ClockSnapshot
	n := 0
	for {
		ev, err := r.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("ReadEvent() after %d events: %v", n, err)
		}
		if n == 0 {
			first = ev.Time()
		}
		last = ev.Time()
		n++
		if ev.Kind() == xtrace.EventSync && snap == nil {
			snap = ev.Sync().ClockSnapshot
		}
	}
	if n == 0 || snap == nil {
		t.Fatalf("trace has %d events and no clock snapshot", n)
	}
	wall := func(tt xtrace.Time) time.Time { return snap.Wall.Add(tt.Sub(snap.Trace)) }
	return wall(first), wall(last)
}

// waitFor polls cond every 10ms for at most a minute: a bound on a hang,
// not a timing assertion.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 6000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}
