package sharedmem

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

// TestRingGivenUpBatchBytes fills a reserved batch, gives it up with CommitBatch(0), and then
// publishes a shorter record at the same place: the bytes written into the given-up records (here
// a valid header for the position after it) must not read as a record. Space ahead of the tail is
// no longer known to be zero once a caller wrote into it.
func TestRingGivenUpBatchBytes(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096})
	p, err := g.NewProducer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(s string) {
		t.Helper()
		b, err := p.Reserve(len(s))
		if err != nil {
			t.Fatal(err)
		}
		copy(b, s)
		if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	send("first!!!") // at 0, next at 16; zeroAhead zeroes [16, 1040)
	if b, err := c.TryRead(); err != nil || string(b) != "first!!!" {
		t.Fatalf("TryRead() = %q, %v", b, err)
	}
	c.Release()
	// A batch at 16: record 0's payload starts at 24. The caller fills it, then gives it up.
	bt, err := p.ReserveBatch(4, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i := range bt.Len() {
		clear(bt.Record(i))
	}
	// Any payload word can hold this value; here it is the header of a 4-byte record at 24.
	binary.LittleEndian.PutUint64(bt.Record(0), makeHeader(24, 4, 0))
	if err := p.CommitBatch(0); err != nil {
		t.Fatal(err)
	}
	send("") // an empty record at 16, next at 24
	if b, err := c.TryRead(); err != nil || len(b) != 0 {
		t.Fatalf("TryRead() = %q, %v, want the empty record", b, err)
	}
	if b, err := c.TryRead(); !errors.Is(err, ErrEmpty) {
		t.Fatalf("TryRead() after the last record = %q, %v, want ErrEmpty: bytes of a given-up batch record read as a record", b, err)
	}
}

// TestRingTryReadPublishesForBlockedProducer polls with TryRead (never the blocking Read) and
// releases every record. The producer blocks for room after the last record was read, so that
// Release has no reason to publish; TryRead finding the ring empty must publish what was released,
// or the producer sleeps forever on room the consumer already freed.
func TestRingTryReadPublishesForBlockedProducer(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096, MaxRecord: 2040})
	p, err := g.NewProducer(EndpointConfig{Spin: -1, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	send := func(n int) error {
		b, err := p.Reserve(n)
		if err != nil {
			return err
		}
		clear(b)
		return p.Commit()
	}
	recv := func(n int) {
		t.Helper()
		b, err := c.TryRead()
		if err != nil || len(b) != n {
			t.Fatalf("TryRead() = %d bytes, %v, want %d", len(b), err, n)
		}
	}
	if err := send(1192); err != nil { // [0, 1200)
		t.Fatal(err)
	}
	recv(1192)
	c.Release()                        // 1200 >= capacity/4: published
	if err := send(1000); err != nil { // [1200, 2208)
		t.Fatal(err)
	}
	recv(1000) // no producer waiting yet
	done := make(chan error, 1)
	// 2040 bytes pad to the end and need the consumer's head at 2208; it is published at 1200.
	go func() { done <- send(2040) }()
	for atomic.LoadUint32(g.u32(rProdWaiting)) == 0 {
		time.Sleep(time.Millisecond)
	}
	c.Release() // everything read is released
	deadline := time.Now().Add(2 * time.Second)
	got := false
	for time.Now().Before(deadline) {
		b, err := c.TryRead()
		if err == nil {
			got = len(b) == 2040
			c.Release()
			break
		}
		if !errors.Is(err, ErrEmpty) {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	c.Close() // publishes, unblocking the producer so the test can end
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.Close()
	if !got {
		t.Fatal("producer still blocked after 2s although the polling consumer released every record")
	}
}

// TestRingGuardInsideOtherRegionsGuard runs a ring call of truncated region B inside region A's
// Guard (as a relay from one ring to another does): the call must return ErrTruncated itself, since
// A's Guard does not recognise B's fault and would re-raise it.
func TestRingGuardInsideOtherRegionsGuard(t *testing.T) {
	_, nameB, g := newTestRing(t, RingConfig{Capacity: 1 << 16})
	a, err := Create(nameB+"-a", 4096, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer Remove(nameB + "-a")
	defer a.Close()
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join("/dev/shm", nameB), 0); err != nil {
		t.Fatal(err)
	}
	var readErr, guardErr error
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		guardErr = a.Guard(func() { _, readErr = c.TryRead() })
	}()
	debug.SetPanicOnFault(false)
	if panicked != nil || !errors.Is(readErr, ErrTruncated) {
		t.Fatalf("TryRead on truncated region B inside A.Guard: panic %v, TryRead err %v, Guard err %v; want TryRead to return ErrTruncated", panicked, readErr, guardErr)
	}
}

// TestRingGuardWithFaultModeOn turns fault-to-panic on for the goroutine before a guarded ring
// call on a truncated region: the call must still return ErrTruncated, not panic.
func TestRingGuardWithFaultModeOn(t *testing.T) {
	_, name, g := newTestRing(t, RingConfig{Capacity: 1 << 16})
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join("/dev/shm", name), 0); err != nil {
		t.Fatal(err)
	}
	var readErr error
	var panicked any
	func() {
		old := debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(old)
		defer func() { panicked = recover() }()
		_, readErr = c.TryRead()
	}()
	if panicked != nil || !errors.Is(readErr, ErrTruncated) {
		t.Fatalf("guarded TryRead with fault-to-panic already on: panic %v, err %v; want ErrTruncated", panicked, readErr)
	}
}

// TestRingBatchFlushAbortPadding mixes Batch > 1, Flush and Abort with a reservation outstanding
// (often padded), Close with a batch reserved, and a takeover after it: records arrive in order,
// none lost, duplicated or seen from a given-up reservation.
func TestRingBatchFlushAbortPadding(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096, MaxRecord: 1000})
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := g.NewProducer(EndpointConfig{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	for lap := 0; lap < 200; lap++ {
		for range 3 {
			b, err := p.Reserve(recordLen(seq))
			if err != nil {
				t.Fatal(err)
			}
			fillRecord(b, seq)
			p.Commit()
			seq++
		}
		b, err := p.Reserve(900) // often pads
		if err != nil {
			t.Fatal(err)
		}
		fillRecord(b, 1<<40)
		p.Flush()
		if got := consumeAvailable(t, c); lap == 0 && got != "0-2" {
			t.Fatalf("lap %d: %s", lap, got)
		}
		if lap%2 == 0 {
			p.Abort()
		} else {
			bt, err := p.ReserveBatch(3, 0)
			_ = bt
			if err == nil {
				t.Fatal("ReserveBatch while reserved succeeded")
			}
			p.Abort()
		}
		p.Flush()
		consumeAvailable(t, c)
	}
	bt, err := p.ReserveBatch(5, 40)
	if err != nil {
		t.Fatal(err)
	}
	for i := range bt.Len() {
		fillRecord(bt.Record(i), 7777)
	}
	p.Close()
	if got := consumeAvailable(t, c); got != "none" {
		t.Fatalf("after Close with a batch reserved: %s", got)
	}
	if err := produce(g, EndpointConfig{Batch: 4}, 5000, 3); err != nil {
		t.Fatal(err)
	}
	if got := consumeAvailable(t, c); got != "5000-5002" {
		t.Fatalf("after takeover: %s", got)
	}
}
