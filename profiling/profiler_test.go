package profiling

import (
	"bytes"
	"context"
	"errors"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// spin burns CPU in a function the tests look for in CPU profiles.
func spin(ctx context.Context) {
	x := 0
	for ctx.Err() == nil {
		for i := range 100000 {
			x += i * i
		}
	}
	_ = x
}

func startTest(t *testing.T, cfg Config) *Profiler {
	t.Helper()
	if cfg.Dir == "" && !cfg.NoStore {
		cfg.Dir = t.TempDir()
	}
	p, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start(%+v) = %v, want nil", cfg, err)
	}
	t.Cleanup(func() {
		if err := p.Stop(context.Background()); err != nil {
			t.Errorf("Stop() = %v, want nil", err)
		}
	})
	return p
}

func TestConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"short period", Config{Period: time.Millisecond}},
		{"cpu longer than period", Config{Period: time.Second, CPUDuration: 2 * time.Second}},
		{"trace is not windowed", Config{Kinds: []Kind{KindTrace}}},
		{"unknown kind", Config{Kinds: []Kind{"bogus"}}},
		{"duplicate kind", Config{Kinds: []Kind{KindHeap, KindHeap}}},
		{"reserved label", Config{Labels: map[string]string{"service": "x"}}},
		{"negative bytes", Config{MaxBytes: -2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.NoStore = true
			_, err := Start(tt.cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Start(%+v) = %v, want ErrInvalidConfig", tt.cfg, err)
			}
		})
	}
}

func TestFlushStoresEveryKindWithLabels(t *testing.T) {
	var mu sync.Mutex
	var got []*Batch
	sink := SinkFunc(func(ctx context.Context, b *Batch) error {
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
		return nil
	})
	p := startTest(t, Config{
		Service: "orders", Version: "v1.2.3", Labels: map[string]string{"region": "eu"},
		Kinds: []Kind{KindHeap, KindGoroutine, KindMutex, KindBlock}, Sinks: []Sink{sink},
	})
	if err := p.Flush(t.Context()); err != nil {
		t.Fatalf("Flush() = %v, want nil", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("sink got %d batches, want 1", len(got))
	}
	b := got[0]
	if b.Labels["service"] != "orders" || b.Labels["version"] != "v1.2.3" || b.Labels["region"] != "eu" || b.Labels["pgo"] == "" {
		t.Errorf("Batch.Labels = %v, want service, version, region and pgo", b.Labels)
	}
	kinds := map[Kind]bool{}
	for _, pr := range b.Profiles {
		kinds[pr.Kind] = true
		parsed, err := profile.ParseData(pr.Data)
		if err != nil {
			t.Fatalf("profile %s: ParseData = %v", pr.Kind, err)
		}
		if l := labelsFromComments(parsed.Comments); l["service"] != "orders" || l["instance"] == "" {
			t.Errorf("profile %s labels = %v, want service=orders and an instance", pr.Kind, l)
		}
		if parsed.TimeNanos != pr.Start.UnixNano() || parsed.TimeNanos+parsed.DurationNanos != pr.End.UnixNano() {
			t.Errorf("profile %s span = %d+%d, want %v..%v", pr.Kind, parsed.TimeNanos, parsed.DurationNanos, pr.Start, pr.End)
		}
	}
	for _, k := range []Kind{KindHeap, KindGoroutine, KindMutex, KindBlock} {
		if !kinds[k] {
			t.Errorf("batch lacks %s (skipped: %q)", k, b.Skipped[k])
		}
	}
	if n := len(p.Store().List("", time.Time{}, time.Time{})); n != 4 {
		t.Errorf("Store().List() = %d entries, want 4", n)
	}
}

func TestStopIsIdempotentAndStopsFlush(t *testing.T) {
	p, err := Start(Config{NoStore: true, Kinds: []Kind{KindHeap}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := p.Stop(t.Context()); err != nil {
			t.Fatalf("Stop() #%d = %v, want nil", i, err)
		}
	}
	if err := p.Flush(t.Context()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Flush() after Stop = %v, want ErrStopped", err)
	}
	if _, err := p.CaptureCPU(t.Context(), time.Second); !errors.Is(err, ErrStopped) {
		t.Fatalf("CaptureCPU() after Stop = %v, want ErrStopped", err)
	}
}

// TestCPUCaptureWhileWindowRuns: an on-demand capture overlapping the continuous window gets its own
// profile, and the window still gets one.
func TestCPUCaptureWhileWindowRuns(t *testing.T) {
	if !inSubprocess(t) {
		return
	}
	p := startTest(t, Config{Kinds: []Kind{KindCPU}, Period: time.Hour, CPUDuration: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go spin(ctx)
	b, err := p.CaptureCPU(t.Context(), 500*time.Millisecond)
	if err != nil {
		t.Fatalf("CaptureCPU() = %v, want nil", err)
	}
	cp, err := profile.ParseData(b)
	if err != nil {
		t.Fatalf("CaptureCPU() profile: %v", err)
	}
	if d := time.Duration(cp.DurationNanos); d < 500*time.Millisecond || d > 2*time.Second {
		t.Errorf("CaptureCPU() duration = %v, want about 500ms", d)
	}
	if !hasFunction(cp, "spin") {
		t.Errorf("CaptureCPU() profile lacks spin")
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	m, _, err := p.Store().Merge(KindCPU, time.Time{}, time.Time{})
	if err != nil {
		t.Fatalf("Merge(cpu) = %v, want the window", err)
	}
	if !hasFunction(m, "spin") {
		t.Errorf("window cpu profile lacks spin")
	}
}

// TestCPUHeldElsewhere: when another owner holds the CPU profiler the window is skipped with a reason
// and the next window, after it is released, has a profile.
func TestCPUHeldElsewhere(t *testing.T) {
	if !inSubprocess(t) {
		return
	}
	var other bytes.Buffer
	if err := pprof.StartCPUProfile(&other); err != nil {
		t.Fatal(err)
	}
	var batches []*Batch
	var mu sync.Mutex
	p := startTest(t, Config{NoStore: true, Kinds: []Kind{KindCPU}, Period: time.Hour, Sinks: []Sink{SinkFunc(func(_ context.Context, b *Batch) error {
		mu.Lock()
		batches = append(batches, b)
		mu.Unlock()
		return nil
	})}})
	if err := p.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CaptureCPU(t.Context(), 10*time.Millisecond); !errors.Is(err, ErrCPUProfilerInUse) {
		t.Errorf("CaptureCPU() while held = %v, want ErrCPUProfilerInUse", err)
	}
	pprof.StopCPUProfile()
	// Window 2 opened while the profiler was still held; window 3 opens after it was released.
	for range 2 {
		if err := p.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 3 {
		t.Fatalf("got %d batches, want 3", len(batches))
	}
	if why := batches[0].Skipped[KindCPU]; !strings.Contains(why, "in use") || !strings.Contains(why, "retrying") {
		t.Errorf("window 1 Skipped[cpu] = %q, want in use, retrying", why)
	}
	if len(batches[2].Profiles) != 1 {
		t.Errorf("window 3 profiles = %d (skipped %q), want 1 cpu profile", len(batches[2].Profiles), batches[2].Skipped)
	}
	if st := p.Stats(); st.CPUHeld < 1 {
		t.Errorf("Stats().CPUHeld = %d, want >= 1", st.CPUHeld)
	}
}

func hasFunction(p *profile.Profile, substr string) bool {
	for _, f := range p.Function {
		if strings.Contains(f.Name, substr) {
			return true
		}
	}
	return false
}
