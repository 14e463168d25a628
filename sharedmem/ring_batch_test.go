package sharedmem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// consumeBatches reads records 0..n-1 of batchLen, mostly with ReadBatch (stopping a batch early
// now and then) and every fifth call with Read and Release, checks each and returns an FNV-64a
// checksum of all payloads.
func consumeBatches(t *testing.T, c *Consumer, n uint64) uint64 {
	t.Helper()
	h := fnv.New64a()
	var next uint64
	var failed error
	for call := 0; next < n; call++ {
		if call%5 == 4 {
			b, err := c.Read()
			if err != nil {
				t.Fatalf("Read() record %d = %v", next, err)
			}
			if err := checkRecordLen(b, next, batchLen(next)); err != nil {
				t.Fatal(err)
			}
			h.Write(b)
			next++
			if err := c.Release(); err != nil {
				t.Fatalf("Release() = %v", err)
			}
			continue
		}
		limit := next + uint64(1+call%50) // stop the batch after a few records, or take all
		if call%3 == 0 {
			limit = n
		}
		got, err := c.ReadBatch(func(b []byte) bool {
			if failed == nil {
				failed = checkRecordLen(b, next, batchLen(next))
			}
			h.Write(b)
			next++
			return next < limit
		})
		if err != nil {
			t.Fatalf("ReadBatch() at record %d = %d, %v", next, got, err)
		}
		if failed != nil {
			t.Fatal(failed)
		}
		if got == 0 {
			t.Fatalf("ReadBatch() at record %d = 0 records, nil error", next)
		}
	}
	return h.Sum64()
}

// batchSum is the checksum consumeBatches must return for records 0..n-1.
func batchSum(n uint64) uint64 { return recordsSum(n, batchLen) }

func TestRingBatchGoroutines(t *testing.T) {
	const n = 50_000
	tests := []struct {
		name string
		ring RingConfig
		prod EndpointConfig
		cons EndpointConfig
	}{
		{"default", RingConfig{Capacity: 4096}, EndpointConfig{}, EndpointConfig{}},
		{"publish every 64", RingConfig{Capacity: 1 << 16}, EndpointConfig{Batch: 64}, EndpointConfig{}},
		{"futex only", RingConfig{Capacity: 8192}, EndpointConfig{Spin: -1}, EndpointConfig{Spin: -1}},
		{"unguarded", RingConfig{Capacity: 4096}, EndpointConfig{Unguarded: true}, EndpointConfig{Unguarded: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, g := newTestRing(t, tt.ring)
			c, err := g.NewConsumer(tt.cons)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			errc := make(chan error, 1)
			go func() {
				p, err := g.NewProducer(tt.prod)
				if err == nil {
					err = produceBatches(p, 0, n)
					p.Close()
				}
				errc <- err
			}()
			if got, want := consumeBatches(t, c, n), batchSum(n); got != want {
				t.Errorf("checksum = %#x, want %#x", got, want)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if got, err := c.ReadBatch(func([]byte) bool { return true }); !errors.Is(err, ErrClosed) || got != 0 {
				t.Errorf("ReadBatch() after the producer closed = %d, %v, want 0, ErrClosed", got, err)
			}
			if cs := c.Stats(); cs.Records != n {
				t.Errorf("consumer Stats().Records = %d, want %d", cs.Records, n)
			}
		})
	}
}

func TestRingBatchCrossProcess(t *testing.T) {
	n := uint64(ringRecords)
	_, name, g := newTestRing(t, RingConfig{Capacity: 1 << 16})
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := startPeer(t, "produce-batch", fmt.Sprintf("%s,%d", name, n))
	if got, want := consumeBatches(t, c, n), batchSum(n); got != want {
		t.Errorf("checksum of %d records = %#x, want %#x", n, got, want)
	}
	p.wait(t)
	if _, err := c.ReadBatch(func([]byte) bool { return true }); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadBatch() after the producer process closed = %v, want ErrClosed", err)
	}
}

// TestRingBatchProducerKilled kills a producer process while it fills a batch: the consumer gets
// every committed record and none of the batch, learns that the producer died, and a new
// producer continues.
func TestRingBatchProducerKilled(t *testing.T) {
	const committed = 1000
	cfg := RingConfig{Capacity: 1 << 17}
	r, name, g := newTestRing(t, cfg)
	c, err := g.NewConsumer(EndpointConfig{Spin: -1, Poll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	marker, _ := r.Int32s(RingSize(cfg), 1)
	p := startPeer(t, "produce-batch-die", fmt.Sprintf("%s,%d", name, committed))
	consumeBatches(t, c, committed)
	for marker.Load(0) == 0 {
		marker.Wait(0, 0, time.Second)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	got, err := c.ReadBatch(func([]byte) bool { return true })
	if !errors.Is(err, ErrPeerDead) || got != 0 {
		t.Fatalf("ReadBatch() after the producer died mid-batch = %d, %v, want 0, ErrPeerDead", got, err)
	}
	if _, err := c.Recover(); err != nil {
		t.Fatalf("Recover() = %v", err)
	}
	errc := make(chan error, 1)
	go func() {
		p, err := g.NewProducer(EndpointConfig{})
		if err == nil {
			err = produceBatches(p, committed, 100)
			p.Close()
		}
		errc <- err
	}()
	for i := uint64(committed); i < committed+100; i++ {
		b, err := c.Read()
		if err != nil {
			t.Fatalf("Read() after recovery = %v", err)
		}
		if err := checkRecordLen(b, i, batchLen(i)); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
		c.Release()
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestRingBatchErrors(t *testing.T) {
	check := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s = %v, want %v", what, err, want)
		}
	}
	t.Run("mpsc", func(t *testing.T) {
		_, _, g := newTestRing(t, RingConfig{Capacity: 4096, MPSC: true})
		p, err := g.NewProducer(EndpointConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		_, err = p.ReserveBatch(4, 64)
		check("ReserveBatch on an MPSC ring", err, ErrState)
		c, err := g.NewConsumer(EndpointConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := range uint64(3) {
			b, _ := p.Reserve(recordLen(i))
			fillRecord(b, i)
			p.Commit()
		}
		var next uint64
		n, err := c.ReadBatch(func(b []byte) bool {
			if err := checkRecord(b, next); err != nil {
				t.Error(err)
			}
			next++
			return true
		})
		if n != 3 || err != nil {
			t.Errorf("ReadBatch() on an MPSC ring = %d, %v, want 3, nil", n, err)
		}
	})

	_, _, g := newTestRing(t, RingConfig{Capacity: 4096})
	p, _ := g.NewProducer(EndpointConfig{})
	c, _ := g.NewConsumer(EndpointConfig{})
	defer c.Close()
	_, err := p.ReserveBatch(0, 64)
	check("ReserveBatch(0, 64)", err, ErrInvalidConfig)
	_, err = p.ReserveBatch(1, g.MaxRecord()+1)
	check("ReserveBatch(1, MaxRecord+1)", err, ErrTooLarge)
	check("CommitBatch without ReserveBatch", p.CommitBatch(0), ErrState)
	_, err = c.TryReadBatch(func([]byte) bool { return true })
	check("TryReadBatch on an empty ring", err, ErrEmpty)

	b, err := p.ReserveBatch(10, 64)
	if err != nil || b.Len() != 10 {
		t.Fatalf("ReserveBatch(10, 64) = %d records, %v, want 10", b.Len(), err)
	}
	_, err = p.Reserve(8)
	check("Reserve during a batch", err, ErrState)
	check("Commit during a batch", p.Commit(), ErrState)
	check("CommitBatch(11) of 10", p.CommitBatch(11), ErrInvalidConfig)
	for k := range b.Len() {
		binary.LittleEndian.PutUint64(b.Record(k), uint64(k))
	}
	check("CommitBatch(3) of 10", p.CommitBatch(3), nil)
	var got []uint64
	n, err := c.TryReadBatch(func(rec []byte) bool {
		got = append(got, binary.LittleEndian.Uint64(rec))
		return len(rec) == 64
	})
	if err != nil || n != 3 || fmt.Sprint(got) != "[0 1 2]" {
		t.Errorf("TryReadBatch() after CommitBatch(3) = %d %v, %v, want 3 [0 1 2]", n, got, err)
	}

	// A batch stops at the buffer's end; the next one starts at the beginning after padding.
	// 3 records of 72 bytes are used; 4096/72 = 56 fit in all, 53 before the end.
	b, _ = p.ReserveBatch(100, 64)
	if b.Len() != 53 {
		t.Errorf("ReserveBatch(100, 64) after 3 records = %d records, want 53 (up to the buffer's end)", b.Len())
	}
	p.CommitBatch(b.Len())
	if b, err = p.TryReserveBatch(100, 64); !errors.Is(err, ErrFull) {
		t.Errorf("TryReserveBatch on a full ring = %d records, %v, want ErrFull", b.Len(), err)
	}
	if n, err := c.ReadBatch(func([]byte) bool { return true }); n != 53 || err != nil {
		t.Errorf("ReadBatch() = %d, %v, want 53, nil", n, err)
	}
	// The 64 bytes of padding before the wrap are not released yet, and the word after the last
	// record stays free: (4096-64-8)/72 = 55.
	b, err = p.ReserveBatch(100, 64)
	if err != nil || b.Len() != 55 {
		t.Errorf("ReserveBatch(100, 64) on an empty ring after the wrap = %d records, %v, want 55", b.Len(), err)
	}
	if want := unsafe.Pointer(uintptr(g.data) + recHeader); unsafe.Pointer(unsafe.SliceData(b.Record(0))) != want {
		t.Errorf("batch after the wrap starts at %p, want the buffer's start %p", b.Record(0), want)
	}
	p.CommitBatch(1)
	b, _ = p.ReserveBatch(2, 8)
	copy(b.Record(0), "unsent")
	check("Close with a batch reserved", p.Close(), nil)
	n, err = c.ReadBatch(func([]byte) bool { return true })
	check("ReadBatch after the wrap", err, nil)
	if n != 1 {
		t.Errorf("ReadBatch() after the wrap = %d records, want 1", n)
	}
	_, err = c.ReadBatch(func([]byte) bool { return true })
	check("ReadBatch after Close with an uncommitted batch", err, ErrClosed)
	_, err = p.ReserveBatch(1, 8)
	check("ReserveBatch after Close", err, ErrClosed)
	if ps, cs := p.Stats(), c.Stats(); ps.Wakes != 0 || cs.Wakes != 0 || ps.Records != 57 || cs.Records != 57 {
		t.Errorf("Stats() = producer %+v, consumer %+v, want 57 records and no wake system call", ps, cs)
	}
}

// TestRingBatchHostile writes impossible headers and positions: ReadBatch delivers the good
// records before them and then ErrCorrupt, never a slice outside the buffer.
func TestRingBatchHostile(t *testing.T) {
	tests := []struct {
		name string
		poke func(g *Ring)
		want int // good records delivered before the error
	}{
		{"length beyond max record", func(g *Ring) {
			*g.hdrAt(0) = makeHeader(0, 8, 0)
			*g.hdrAt(16) = makeHeader(16, 3000, 0)
		}, 1},
		{"length beyond buffer", func(g *Ring) {
			*g.hdrAt(4088) = makeHeader(4088, 1000, 0)
			*g.u64(rHead) = 4088
		}, 0},
		{"record over the unreleased ones", func(g *Ring) {
			for pos := uint64(0); pos < 4096; pos += 1024 {
				*g.hdrAt(pos) = makeHeader(pos, 1016, 0)
			}
		}, 3},
		{"bad padding", func(g *Ring) { *g.hdrAt(0) = makeHeader(0, 100, padFlag) }, 0},
		{"both flags", func(g *Ring) { *g.hdrAt(0) = makeHeader(0, 8, padFlag|skipFlag) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, g := newTestRing(t, RingConfig{Capacity: 4096, MaxRecord: 1024})
			tt.poke(g)
			c, err := g.NewConsumer(EndpointConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			n, err := c.TryReadBatch(func(b []byte) bool {
				if len(b) > 1024 {
					t.Errorf("ReadBatch passed %d bytes, max record 1024", len(b))
				}
				return true
			})
			if n != tt.want || !errors.Is(err, ErrCorrupt) {
				t.Errorf("TryReadBatch() = %d, %v, want %d, ErrCorrupt", n, err, tt.want)
			}
		})
	}
}
