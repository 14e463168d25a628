package sharedmem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// newTestRing creates a region holding one ring at offset 0, plus 4 KiB after it.
func newTestRing(t *testing.T, cfg RingConfig) (*Region, string, *Ring) {
	t.Helper()
	r, name := mustCreate(t, RingSize(cfg)+4096, Options{})
	g, err := NewRing(r, 0, cfg)
	if err != nil {
		t.Fatalf("NewRing(%+v) = %v", cfg, err)
	}
	return r, name, g
}

// consume reads n records, checks each against its sequence number and returns an FNV-64a
// checksum of all payloads.
func consume(t *testing.T, c *Consumer, n int) uint64 {
	t.Helper()
	h := fnv.New64a()
	for i := range uint64(n) {
		b, err := c.Read()
		if err != nil {
			t.Fatalf("Read() record %d = %v", i, err)
		}
		if err := checkRecord(b, i); err != nil {
			t.Fatal(err)
		}
		h.Write(b)
		if err := c.Release(); err != nil {
			t.Fatalf("Release() = %v", err)
		}
	}
	return h.Sum64()
}

// expectedSum is the checksum consume must return for records 0..n-1.
func expectedSum(n int) uint64 { return recordsSum(uint64(n), recordLen) }

// recordsSum is the checksum of records 0..n-1 filled by fillRecord, record i being size(i) bytes.
func recordsSum(n uint64, size func(uint64) int) uint64 {
	h := fnv.New64a()
	b := make([]byte, 256)
	for i := range n {
		rec := b[:size(i)]
		fillRecord(rec, i)
		h.Write(rec)
	}
	return h.Sum64()
}

func TestRingGoroutines(t *testing.T) {
	const n = 50_000
	tests := []struct {
		name string
		ring RingConfig
		prod EndpointConfig
		cons EndpointConfig
	}{
		{"spsc", RingConfig{Capacity: 4096}, EndpointConfig{}, EndpointConfig{}},
		{"spsc batch 16", RingConfig{Capacity: 4096}, EndpointConfig{Batch: 16}, EndpointConfig{}},
		{"spsc futex only", RingConfig{Capacity: 8192}, EndpointConfig{Spin: -1}, EndpointConfig{Spin: -1}},
		{"spsc unguarded", RingConfig{Capacity: 4096}, EndpointConfig{Unguarded: true}, EndpointConfig{Unguarded: true}},
		{"mpsc one producer", RingConfig{Capacity: 4096, MPSC: true}, EndpointConfig{}, EndpointConfig{Spin: -1}},
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
			go func() { errc <- produce(g, tt.prod, 0, n) }()
			if got, want := consume(t, c, n), expectedSum(n); got != want {
				t.Errorf("checksum = %#x, want %#x", got, want)
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if _, err := c.Read(); !errors.Is(err, ErrClosed) {
				t.Errorf("Read() after the producer closed = %v, want ErrClosed", err)
			}
		})
	}
}

// produce sends records first..first+n-1 and closes the producer.
func produce(g *Ring, cfg EndpointConfig, first, n uint64) error {
	p, err := g.NewProducer(cfg)
	if err != nil {
		return err
	}
	for i := first; i < first+n; i++ {
		b, err := p.Reserve(recordLen(i))
		if err != nil {
			return err
		}
		fillRecord(b, i)
		if err := p.Commit(); err != nil {
			return err
		}
	}
	return p.Close()
}

func TestRingMPSCGoroutines(t *testing.T) {
	const producers, per = 4, 20_000
	_, _, g := newTestRing(t, RingConfig{Capacity: 8192, MPSC: true})
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	var failed atomic.Value
	var started sync.WaitGroup
	started.Add(producers)
	for k := range producers {
		wg.Go(func() {
			p, err := g.NewProducer(EndpointConfig{})
			started.Done()
			if err != nil {
				failed.Store(err)
				return
			}
			started.Wait() // all attached before any closes, so the ring closes only at the end
			for i := range uint64(per) {
				b, err := p.Reserve(16)
				if err != nil {
					failed.Store(err)
					return
				}
				copy(b, fmt.Sprintf("%02d:%012d", k, i))
				p.Commit()
			}
			p.Close()
		})
	}
	next := make([]int, producers)
	for range producers * per {
		b, err := c.Read()
		if err != nil {
			t.Fatalf("Read() = %v", err)
		}
		var k, i int
		if _, err := fmt.Sscanf(string(b), "%02d:%012d", &k, &i); err != nil || k >= producers || i != next[k] {
			t.Fatalf("record %q: producer %d sequence %d, want %d", b, k, i, next[k])
		}
		next[k]++
		c.Release()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(); !errors.Is(err, ErrClosed) {
		t.Errorf("Read() after all producers closed = %v, want ErrClosed", err)
	}
}

func TestRingCrossProcess(t *testing.T) {
	for _, mode := range []string{"spsc", "mpsc"} {
		t.Run(mode, func(t *testing.T) {
			_, name, g := newTestRing(t, RingConfig{Capacity: 1 << 16, MPSC: mode == "mpsc"})
			c, err := g.NewConsumer(EndpointConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			p := startPeer(t, "produce", fmt.Sprintf("%s,%d,%s", name, ringRecords, mode))
			if got, want := consume(t, c, ringRecords), expectedSum(ringRecords); got != want {
				t.Errorf("checksum of %d records = %#x, want %#x", ringRecords, got, want)
			}
			p.wait(t)
			if _, err := c.Read(); !errors.Is(err, ErrClosed) {
				t.Errorf("Read() after the producer process closed = %v, want ErrClosed", err)
			}
		})
	}
}

// TestRingProducerKilled kills a producer process between Reserve and Commit: the consumer must
// get every committed record, never the half-written one, learn that the producer died, recover,
// and carry on with a new producer.
func TestRingProducerKilled(t *testing.T) {
	const committed = 1000
	for _, mode := range []string{"spsc", "mpsc"} {
		t.Run(mode, func(t *testing.T) {
			cfg := RingConfig{Capacity: 1 << 17, MPSC: mode == "mpsc"}
			r, name, g := newTestRing(t, cfg)
			c, err := g.NewConsumer(EndpointConfig{Spin: -1, Poll: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			marker, _ := r.Int32s(RingSize(cfg), 1)
			p := startPeer(t, "produce-die", fmt.Sprintf("%s,%d,%s", name, committed, mode))
			consume(t, c, committed)
			for marker.Load(0) == 0 {
				marker.Wait(0, 0, time.Second)
			}
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			p.cmd.Wait()
			if infos := g.Producers(); len(infos) != 1 || infos[0].Alive || infos[0].PID != p.cmd.Process.Pid {
				t.Errorf("Producers() = %+v, want one dead producer pid %d", infos, p.cmd.Process.Pid)
			}
			b, err := c.Read()
			if !errors.Is(err, ErrPeerDead) {
				t.Fatalf("Read() after the producer died mid-record = %q, %v, want ErrPeerDead", b, err)
			}
			discarded, err := c.Recover()
			if err != nil {
				t.Fatalf("Recover() = %v", err)
			}
			if want := int64(0); mode == "mpsc" {
				if discarded != 8+104 {
					t.Errorf("Recover() discarded %d bytes, want %d (the claimed record)", discarded, 8+104)
				}
			} else if discarded != want {
				t.Errorf("Recover() discarded %d bytes, want %d", discarded, want)
			}
			errc := make(chan error, 1)
			go func() { errc <- produce(g, EndpointConfig{}, committed, 10) }()
			for i := uint64(committed); i < committed+10; i++ {
				b, err := c.Read()
				if err != nil {
					t.Fatalf("Read() after recovery = %v", err)
				}
				if err := checkRecord(b, i); err != nil {
					t.Fatalf("after recovery: %v", err)
				}
				c.Release()
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRingErrors(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096})
	p, err := g.NewProducer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	check := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s = %v, want %v", what, err, want)
		}
	}
	_, err = g.NewProducer(EndpointConfig{})
	check("second producer on an SPSC ring", err, ErrState)
	_, err = g.NewConsumer(EndpointConfig{})
	check("second consumer", err, ErrState)
	check("Commit without Reserve", p.Commit(), ErrState)
	_, err = p.Reserve(g.MaxRecord() + 1)
	check("Reserve(MaxRecord+1)", err, ErrTooLarge)
	_, err = c.TryRead()
	check("TryRead on empty ring", err, ErrEmpty)
	for i := 0; ; i++ {
		if _, err = p.TryReserve(100); err != nil {
			break
		}
		p.Commit()
	}
	check("TryReserve on a full ring", err, ErrFull)
	// Draining the ring (Read until empty publishes the consumer's position) makes room again.
	for {
		if _, err := c.TryRead(); err != nil {
			check("TryRead draining", err, ErrEmpty)
			break
		}
		c.Release()
	}
	if _, err := p.TryReserve(100); err != nil {
		t.Errorf("TryReserve after draining = %v, want nil", err)
	}
	check("Commit", p.Commit(), nil)
	check("Close", p.Close(), nil)
	_, err = p.Reserve(1)
	check("Reserve after Close", err, ErrClosed)
}

func TestRingAbort(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096})
	p, _ := g.NewProducer(EndpointConfig{})
	c, _ := g.NewConsumer(EndpointConfig{})
	defer c.Close()
	b, _ := p.Reserve(5)
	copy(b, "xxxxx")
	p.Abort()
	b, _ = p.Reserve(5)
	copy(b, "hello")
	p.Commit()
	p.Close()
	got, err := c.Read()
	if err != nil || string(got) != "hello" {
		t.Errorf("Read() after an aborted record = %q, %v, want %q", got, err, "hello")
	}
}

// TestRingHostile writes impossible positions and lengths into the shared control blocks, as a
// buggy or hostile peer could: every one must become ErrCorrupt, never a read out of bounds.
func TestRingHostile(t *testing.T) {
	tests := []struct {
		name   string
		mpsc   bool
		poke   func(g *Ring)
		action string
	}{
		{"length beyond max record", false, func(g *Ring) { *g.hdrAt(0) = makeHeader(0, 3000, 0) }, "read"},
		{"length beyond buffer", true, func(g *Ring) { *g.hdrAt(0) = makeHeader(0, 1<<29, 0) }, "read"},
		{"bad padding", true, func(g *Ring) { *g.hdrAt(0) = makeHeader(0, 100, padFlag) }, "read"},
		{"bad padding, single producer", false, func(g *Ring) { *g.hdrAt(0) = makeHeader(0, 100, padFlag) }, "read"},
		{"misaligned head", false, func(g *Ring) { *g.u64(rHead) = 12 }, "attach consumer"},
		{"misaligned head, MPSC", true, func(g *Ring) { *g.u64(rHead) = 12 }, "attach producer"},
		{"zeroed behind head", true, func(g *Ring) { *g.u64(rHead) = 64; *g.u64(rZeroed) = 8 }, "attach consumer"},
		{"zeroed beyond capacity", true, func(g *Ring) { *g.u64(rZeroed) = 1 << 40 }, "attach consumer"},
		{"head beyond tail, MPSC", true, func(g *Ring) { *g.u64(rHead) = 1 << 30 }, "attach producer"},
		{"records over the free word", false, func(g *Ring) {
			for pos := uint64(0); pos < 4096; pos += 1024 {
				*g.hdrAt(pos) = makeHeader(pos, 1016, 0)
			}
		}, "attach producer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, g := newTestRing(t, RingConfig{Capacity: 4096, MPSC: tt.mpsc})
			if tt.action == "attach consumer" {
				tt.poke(g)
				c, err := g.NewConsumer(EndpointConfig{})
				if err == nil {
					_, err = c.TryRead()
					c.Close()
				}
				if !errors.Is(err, ErrCorrupt) {
					t.Errorf("TryRead() = %v, want ErrCorrupt", err)
				}
				return
			}
			if tt.action == "attach producer" {
				tt.poke(g)
				if _, err := g.NewProducer(EndpointConfig{}); !errors.Is(err, ErrCorrupt) {
					t.Errorf("NewProducer() = %v, want ErrCorrupt", err)
				}
				return
			}
			c, err := g.NewConsumer(EndpointConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tt.poke(g)
			if b, err := c.TryRead(); !errors.Is(err, ErrCorrupt) {
				t.Errorf("TryRead() = %d bytes, %v, want ErrCorrupt", len(b), err)
			}
		})
	}
}

func TestOpenRingCorrupt(t *testing.T) {
	tests := []struct {
		name string
		poke func(g *Ring)
		off  int
		want error
	}{
		{"ok", func(g *Ring) {}, 0, nil},
		{"magic", func(g *Ring) { *g.u32(rMagic) = 1 }, 0, ErrCorrupt},
		{"version", func(g *Ring) { *g.u32(rVersion) = 9 }, 0, ErrCorrupt},
		{"capacity not power of two", func(g *Ring) { *g.u64(rCapacity) = 5000 }, 0, ErrInvalidConfig},
		{"capacity beyond region", func(g *Ring) { *g.u64(rCapacity) = 1 << 30 }, 0, ErrInvalidConfig},
		{"mode", func(g *Ring) { *g.u32(rMode) = 7 }, 0, ErrCorrupt},
		{"max record", func(g *Ring) { *g.u32(rMaxRecord) = 1 << 20 }, 0, ErrInvalidConfig},
		{"misaligned offset", func(g *Ring) {}, 64, ErrMisaligned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, g := newTestRing(t, RingConfig{Capacity: 4096})
			tt.poke(g)
			if _, err := OpenRing(r, tt.off); !errors.Is(err, tt.want) {
				t.Errorf("OpenRing() = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestRingNoWakeWithoutSleeper checks that the fast path makes no wake system call while nobody
// sleeps, and that a sleeping consumer is woken by exactly the producer's call.
func TestRingNoWakeWithoutSleeper(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 1 << 16})
	p, _ := g.NewProducer(EndpointConfig{})
	c, _ := g.NewConsumer(EndpointConfig{Spin: -1})
	defer c.Close()
	for i := range uint64(100) {
		b, _ := p.Reserve(recordLen(i))
		fillRecord(b, i)
		p.Commit()
		if _, err := c.Read(); err != nil {
			t.Fatal(err)
		}
		c.Release()
	}
	if ps, cs := p.Stats(), c.Stats(); ps.Wakes != 0 || cs.Wakes != 0 || ps.Records != 100 || cs.Records != 100 {
		t.Errorf("Stats() = producer %+v, consumer %+v, want 100 records and 0 wakes each", ps, cs)
	}
	got := make(chan error, 1)
	go func() {
		_, err := c.Read() // sleeps on the futex at once (Spin < 0)
		got <- err
	}()
	for atomic.LoadUint32(g.u32(rConsWaiting)) == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	b, _ := p.Reserve(recordLen(100))
	fillRecord(b, 100)
	p.Commit()
	if err := <-got; err != nil {
		t.Fatalf("Read() woken = %v", err)
	}
	if ps := p.Stats(); ps.Wakes != 1 {
		t.Errorf("producer Stats().Wakes = %d after waking a sleeper, want 1", ps.Wakes)
	}
	if cs := c.Stats(); cs.Sleeps < 1 || cs.Blocked != 1 {
		t.Errorf("consumer Stats() = %+v, want 1 blocked call with at least 1 sleep", cs)
	}
	p.Close()
}

// TestRingMPSCProcesses has three producer processes claim space in one ring by compare-and-swap:
// every record arrives intact and in order per producer.
func TestRingMPSCProcesses(t *testing.T) {
	const producers = 3
	n := ringRecords / 10
	_, name, g := newTestRing(t, RingConfig{Capacity: 1 << 16, MPSC: true})
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var peers []*peer
	for k := range producers {
		peers = append(peers, startPeer(t, "produce-id", fmt.Sprintf("%s,%d,%d", name, n, k+1)))
	}
	next := make([]uint64, producers+1)
	for range producers * n {
		b, err := c.Read()
		if err != nil {
			t.Fatalf("Read() = %v", err)
		}
		if len(b) < 8 {
			t.Fatalf("record of %d bytes", len(b))
		}
		v := binary.LittleEndian.Uint64(b)
		k, i := v>>40, v&(1<<40-1)
		if k < 1 || k > producers || i != next[k] {
			t.Fatalf("record from producer %d numbered %d, want %d", k, i, next[min(k, producers)])
		}
		if err := checkRecord(b, v); err != nil {
			t.Fatal(err)
		}
		next[k]++
		c.Release()
	}
	for _, p := range peers {
		p.wait(t)
	}
}

// TestRingStaleHeader leaves, in an earlier lap's payload, a word that is a valid header for the
// position the consumer reaches in the next lap: the consumer must report an empty ring there,
// not a record. A single producer zeroes free space ahead of its records and, when a record
// reaches past that, the word after it as it publishes; an MPSC consumer zeroes what it releases.
func TestRingStaleHeader(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		lap1     int // payload of the records filling the first lap
		stale    int // data offset of the stale word, reached by one record in the second lap
	}{
		{"zeroed ahead", 4096, 1016, 512},
		{"zeroed at publication", 8192, 2040, 1536}, // beyond zeroAheadBytes
	}
	for _, tt := range tests {
		for _, mode := range []string{"spsc", "mpsc"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				cfg := RingConfig{Capacity: tt.capacity, MaxRecord: tt.lap1, MPSC: mode == "mpsc"}
				_, _, g := newTestRing(t, cfg)
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
				zero := func(b []byte) { clear(b) }
				send := func(n int, fill func([]byte)) {
					t.Helper()
					b, err := p.Reserve(n)
					if err != nil {
						t.Fatalf("Reserve(%d) = %v", n, err)
					}
					fill(b)
					if err := p.Commit(); err != nil {
						t.Fatal(err)
					}
				}
				recv := func(n int) {
					t.Helper()
					b, err := c.TryRead()
					if err != nil || len(b) != n {
						t.Fatalf("TryRead() = %d bytes, %v, want %d", len(b), err, n)
					}
					c.Release()
				}
				// Lap 1: the record at 0 carries, at data offset stale, the header a record of 8
				// bytes at position capacity+stale would have.
				stalePos := uint64(tt.capacity + tt.stale)
				send(tt.lap1, func(b []byte) {
					clear(b)
					binary.LittleEndian.PutUint64(b[tt.stale-recHeader:], makeHeader(stalePos, 8, 0))
				})
				for range tt.capacity/(tt.lap1+recHeader) - 1 {
					recv(tt.lap1)
					send(tt.lap1, zero)
				}
				// Lap 2: one record brings the consumer to stalePos. A single producer's consumer
				// looks as soon as the record is published, before the producer zeroes ahead.
				recv(tt.lap1)
				checked := false
				check := func() {
					checked = true
					recv(tt.stale - recHeader)
					if b, err := c.TryRead(); !errors.Is(err, ErrEmpty) {
						t.Fatalf("TryRead() at %d = %d bytes, %v, want ErrEmpty: a stale word read as a record", stalePos, len(b), err)
					}
				}
				zeroAheadHook = check
				send(tt.stale-recHeader, zero)
				zeroAheadHook = nil
				if !checked {
					check()
				}
				send(8, func(b []byte) { copy(b, "fresh!!!") })
				if b, err := c.TryRead(); err != nil || string(b) != "fresh!!!" {
					t.Fatalf("TryRead() = %q, %v, want %q", b, err, "fresh!!!")
				}
			})
		}
	}
}

// TestRingTakeoverUnpublished stops a single producer with three commits of a batch unpublished:
// their headers are in shared memory, but not the run's first. The consumer never sees them, and
// the next producer continues where the published records end.
func TestRingTakeoverUnpublished(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 1 << 16})
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := g.NewProducer(EndpointConfig{Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := range uint64(13) {
		b, err := p.Reserve(recordLen(i))
		if err != nil {
			t.Fatal(err)
		}
		fillRecord(b, i)
		p.Commit()
	}
	if got := consumeAvailable(t, c); got != "0-9" {
		t.Fatalf("records visible with 3 commits unpublished = %s, want 0-9", got)
	}
	atomic.StoreUint32(g.slot(0), 0) // the producer is gone, as Recover leaves a dead one
	if err := produce(g, EndpointConfig{}, 100, 2); err != nil {
		t.Fatal(err)
	}
	if got := consumeAvailable(t, c); got != "100-101" {
		t.Fatalf("records after the takeover = %s, want 100-101", got)
	}
}

// consumeAvailable reads, checks and releases the records available, and returns the range of
// their sequence numbers as "first-last", or "none".
func consumeAvailable(t *testing.T, c *Consumer) string {
	t.Helper()
	var seq []uint64
	for {
		b, err := c.TryRead()
		if errors.Is(err, ErrEmpty) || errors.Is(err, ErrClosed) {
			break
		}
		if err != nil {
			t.Fatalf("TryRead() = %v", err)
		}
		i := binary.LittleEndian.Uint64(b)
		if err := checkRecord(b, i); err != nil {
			t.Fatal(err)
		}
		if len(seq) > 0 && i != seq[len(seq)-1]+1 {
			t.Fatalf("record %d after %d", i, seq[len(seq)-1])
		}
		seq = append(seq, i)
		c.Release()
	}
	if len(seq) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d-%d", seq[0], seq[len(seq)-1])
}
