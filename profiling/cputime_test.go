package profiling

import (
	"runtime"
	"testing"
	"time"
)

func TestCPUMeter(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the thread CPU clock is read on Linux only")
	}
	m := startCPU()
	x := 0
	for start := time.Now(); time.Since(start) < 30*time.Millisecond; {
		x++ // busy: the thread is on CPU the whole time, unless the machine steals it
	}
	got := m.stop()
	if got <= 0 || got > time.Second {
		t.Errorf("cpuMeter over a 30ms busy loop = %v (x=%d), want a positive CPU time", got, x)
	}
}

func TestCollectChargesCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the thread CPU clock is read on Linux only")
	}
	c := newCollector(&Config{})
	now := time.Now()
	if _, skip := c.collect(KindGoroutine, now.Add(-time.Minute), now, 0); skip != "" {
		t.Fatalf("collect(goroutine) skipped: %s", skip)
	}
	if ks := c.snapshotStats().Kinds[KindGoroutine]; ks.CPUTime <= 0 || ks.CPUTime > ks.CollectTime+time.Millisecond {
		t.Errorf("goroutine KindStats = %+v, want 0 < CPUTime ≤ CollectTime", ks)
	}
}
