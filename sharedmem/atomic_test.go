package sharedmem

import (
	"errors"
	"testing"
	"time"
)

func TestViewsAlignment(t *testing.T) {
	r, _ := mustCreate(t, 4096, Options{})
	tests := []struct {
		name string
		make func() error
		want error
	}{
		{"int32 aligned", func() error { _, err := r.Int32s(4, 10); return err }, nil},
		{"int32 misaligned", func() error { _, err := r.Int32s(2, 1); return err }, ErrMisaligned},
		{"uint32 misaligned", func() error { _, err := r.Uint32s(5, 1); return err }, ErrMisaligned},
		{"int64 misaligned", func() error { _, err := r.Int64s(4, 1); return err }, ErrMisaligned},
		{"uint64 misaligned", func() error { _, err := r.Uint64s(12, 1); return err }, ErrMisaligned},
		{"uint64 aligned", func() error { _, err := r.Uint64s(8, 1); return err }, nil},
		{"past end", func() error { _, err := r.Int64s(r.Len()-8, 2); return err }, ErrInvalidConfig},
		{"negative", func() error { _, err := r.Int32s(-4, 1); return err }, ErrInvalidConfig},
		{"exact fit", func() error { _, err := r.Int64s(r.Len()-8, 1); return err }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.make(); !errors.Is(err, tt.want) {
				t.Errorf("view = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestViewOps(t *testing.T) {
	r, _ := mustCreate(t, 4096, Options{})
	i32, _ := r.Int32s(0, 4)
	u32, _ := r.Uint32s(16, 4)
	i64, _ := r.Int64s(32, 4)
	u64, _ := r.Uint64s(64, 4)
	i32.Store(1, -5)
	if got := i32.Add(1, 2); got != -3 {
		t.Errorf("Int32s.Add = %d, want -3", got)
	}
	if old := u32.Swap(2, 9); old != 0 || u32.Load(2) != 9 {
		t.Errorf("Uint32s.Swap = %d (now %d), want 0 (now 9)", old, u32.Load(2))
	}
	if !i64.CompareAndSwap(3, 0, 1<<40) || i64.CompareAndSwap(3, 0, 1) || i64.Load(3) != 1<<40 {
		t.Errorf("Int64s.CompareAndSwap: cell = %d, want %d", i64.Load(3), int64(1)<<40)
	}
	u64.Store(0, 7)
	if got := u64.Add(0, ^uint64(0)); got != 6 {
		t.Errorf("Uint64s.Add(-1) = %d, want 6", got)
	}
	// The views alias the same bytes as Bytes.
	if got := r.Bytes()[64]; got != 6 {
		t.Errorf("Bytes()[64] = %d, want 6", got)
	}
}

func TestWaitResults(t *testing.T) {
	r, _ := mustCreate(t, 4096, Options{})
	v, _ := r.Int32s(0, 1)
	v.Store(0, 5)
	if res, err := v.Wait(0, 4, time.Second); res != NotEqual || err != nil {
		t.Errorf("Wait(expected 4, cell 5) = %v, %v, want not-equal", res, err)
	}
	if res, err := v.Wait(0, 5, time.Millisecond); res != TimedOut || err != nil {
		t.Errorf("Wait(1ms) = %v, %v, want timed-out", res, err)
	}
	if n := v.Notify(0, 1); n != 0 {
		t.Errorf("Notify with no waiters = %d, want 0", n)
	}
}

// TestAddCrossProcess hammers one counter from two processes: the sum must be exact.
func TestAddCrossProcess(t *testing.T) {
	r, name := mustCreate(t, 4096, Options{})
	v, _ := r.Int64s(0, 1)
	p := startPeer(t, "add", name+","+itoa(addIters))
	for v.Load(0) == 0 { // start once the peer is adding, so that the two really overlap
		time.Sleep(50 * time.Microsecond)
	}
	for range addIters {
		v.Add(0, 1)
	}
	p.wait(t)
	if got := v.Load(0); got != 2*addIters {
		t.Errorf("counter after 2 processes × %d Add = %d, want %d", addIters, got, 2*addIters)
	}
}

// TestWaitNotifyCrossProcess sleeps on a futex that another process wakes without changing the
// value: only a shared (not private) futex can deliver that.
func TestWaitNotifyCrossProcess(t *testing.T) {
	r, name := mustCreate(t, 4096, Options{})
	v, _ := r.Int32s(0, 2)
	startPeer(t, "notify", name)
	res, err := v.Wait(0, 0, 30*time.Second)
	if res != Woken || err != nil {
		t.Fatalf("Wait(0, 0, 30s) = %v, %v, want ok", res, err)
	}
	for v.Load(1) == 0 {
		time.Sleep(time.Millisecond)
	}
	if got := v.Load(1); got != 1 {
		t.Errorf("peer's Notify woke %d, want 1", got)
	}
}
