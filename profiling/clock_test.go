package profiling

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand. After registers a waiter and announces it on armed.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	armed   chan struct{}
}

type fakeWaiter struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, armed: make(chan struct{}, 100)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(chan time.Time, 1)
	f.waiters = append(f.waiters, fakeWaiter{f.now.Add(d), c})
	f.armed <- struct{}{}
	return c, func() {}
}

// set moves the clock to t and fires the waiters that are due; early fires every waiter regardless
// (a timer that ticks too soon).
func (f *fakeClock) set(t time.Time, early bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
	keep := f.waiters[:0]
	for _, w := range f.waiters {
		if early || !w.at.After(t) {
			w.c <- t
			continue
		}
		keep = append(keep, w)
	}
	f.waiters = keep
}

// TestWindowsAlignToTheClock drives the scheduler with a fake clock through a partial first window, an
// early tick, a late tick and a long stall.
func TestWindowsAlignToTheClock(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 10, 0, 30, 0, time.UTC)
	clk := newFakeClock(t0)
	batches := make(chan *Batch, 10)
	p := startTest(t, Config{
		NoStore: true, Kinds: []Kind{KindHeap, KindGoroutine}, Period: time.Minute, clock: clk,
		Sinks: []Sink{SinkFunc(func(_ context.Context, b *Batch) error { batches <- b; return nil })},
	})
	_ = p
	at := func(h, m, s, ms int) time.Time { return time.Date(2026, 1, 2, h, m, s, ms*1e6, time.UTC) }
	steps := []struct {
		name       string
		now        time.Time
		early      bool
		start, end time.Time // zero: no window closes
		skipHeap   bool
	}{
		{name: "early tick waits for the boundary", now: at(10, 0, 59, 0), early: true},
		{name: "first window is partial", now: at(10, 1, 0, 500), start: t0, end: at(10, 1, 0, 0)},
		{name: "late tick keeps the window one period", now: at(10, 2, 3, 0), start: at(10, 1, 0, 0), end: at(10, 2, 0, 0)},
		{name: "stall cuts the window to one period", now: at(10, 5, 0, 100), start: at(10, 4, 0, 0), end: at(10, 5, 0, 0), skipHeap: true},
	}
	for _, st := range steps {
		<-clk.armed
		clk.set(st.now, st.early)
		if st.start.IsZero() {
			continue
		}
		b := <-batches
		if !b.Start.Equal(st.start) || !b.End.Equal(st.end) {
			t.Errorf("%s: window = %v..%v, want %v..%v", st.name, b.Start, b.End, st.start, st.end)
		}
		for _, pr := range b.Profiles {
			if !pr.End.Equal(st.end) || !pr.Start.Equal(st.start) {
				t.Errorf("%s: %s profile span = %v..%v, want %v..%v", st.name, pr.Kind, pr.Start, pr.End, st.start, st.end)
			}
		}
		if _, skipped := b.Skipped[KindHeap]; skipped != st.skipHeap {
			t.Errorf("%s: heap skipped = %v (%q), want %v", st.name, skipped, b.Skipped[KindHeap], st.skipHeap)
		}
	}
	if got := p.Stats().MissedWindows; got != 2 {
		t.Errorf("Stats().MissedWindows = %d, want 2", got)
	}
	select {
	case b := <-batches:
		t.Errorf("unexpected window %v..%v", b.Start, b.End)
	default:
	}
}
