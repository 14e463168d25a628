package sharedmem

import (
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fillRing commits 64-byte records until the ring is full and returns how many went in; the
// ErrFull publishes them and leaves the producer's position in shared memory.
func fillRing(t *testing.T, p *Producer) int {
	t.Helper()
	for n := 0; ; n++ {
		b, err := p.TryReserve(64)
		if errors.Is(err, ErrFull) {
			return n
		}
		if err != nil {
			t.Fatalf("TryReserve after %d records = %v", n, err)
		}
		b[0] = byte(n)
		if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRingMissingRecord zeroes the header of a published record the consumer has not read, as a
// buggy or hostile process could. The consumer must report ErrCorrupt at that record, whether it
// reads one record at a time, in batches or blocking, and whether the producer waits on the full
// ring or closed it; it must not wait for the record while the producer waits for room.
func TestRingMissingRecord(t *testing.T) {
	for _, tt := range []struct {
		name  string
		read  string // try, batch, block
		close bool   // the producer closes instead of waiting on the full ring
	}{
		{"try", "try", false},
		{"batch", "batch", false},
		{"block", "block", false},
		{"block-after-close", "block", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, g := newTestRing(t, RingConfig{Capacity: 4096})
			cfg := EndpointConfig{Spin: -1, Poll: 10 * time.Millisecond}
			c, err := g.NewConsumer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			p, err := g.NewProducer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			var n int
			if tt.close {
				for n = 0; n < 10; n++ {
					b, err := p.Reserve(64)
					if err != nil {
						t.Fatal(err)
					}
					b[0] = byte(n)
					p.Commit()
				}
				if err := p.Close(); err != nil {
					t.Fatal(err)
				}
			} else if n = fillRing(t, p); n < 10 {
				t.Fatalf("ring took %d records, want at least 10", n)
			}
			const lost = 3 // records 0-2 are read, record 3 loses its header
			atomic.StoreUint64(g.hdrAt(lost*72), 0)

			for i := range lost {
				b, err := c.TryRead()
				if err != nil || b[0] != byte(i) {
					t.Fatalf("record %d = %v, %v", i, b, err)
				}
			}
			done := make(chan error, 1)
			go func() {
				switch tt.read {
				case "try":
					_, err := c.TryRead()
					done <- err
				case "batch":
					_, err := c.TryReadBatch(func([]byte) bool { return true })
					done <- err
				default:
					_, err := c.Read()
					done <- err
				}
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "no record at 216") {
					t.Fatalf("read at the missing record = %v, want ErrCorrupt naming position 216", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("read at the missing record still waits after 10s, want ErrCorrupt")
			}
		})
	}
}

// TestRingAfterRegionClose uses a ring, its endpoints, a record slice and a view after the
// region was closed: every call reports ErrClosed, and nothing faults (the mapping is replaced
// by private memory, not removed).
func TestRingAfterRegionClose(t *testing.T) {
	for _, kind := range []string{"named", "memfd"} {
		t.Run(kind, func(t *testing.T) {
			cfg := RingConfig{Capacity: 4096}
			var r *Region
			var err error
			if kind == "named" {
				r, _ = mustCreate(t, RingSize(cfg)+4096, Options{})
			} else if r, err = NewAnonymous(RingSize(cfg)+4096, Options{}); err != nil {
				t.Fatal(err)
			}
			g, err := NewRing(r, 0, cfg)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := g.NewProducer(EndpointConfig{})
			c, _ := g.NewConsumer(EndpointConfig{})
			held, _ := p.Reserve(64) // a reserved slice outlives the region
			view, err := r.Int64s(RingSize(cfg), 4)
			if err != nil {
				t.Fatal(err)
			}
			view.Store(0, 42)
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}

			closed := map[string]error{}
			_, closed["Reserve"] = p.Reserve(8)
			_, closed["TryReserve"] = p.TryReserve(8)
			closed["Commit"] = p.Commit()
			closed["Abort"] = p.Abort()
			closed["Flush"] = p.Flush()
			_, closed["ReserveBatch"] = p.ReserveBatch(2, 8)
			closed["CommitBatch"] = p.CommitBatch(0)
			_, closed["Read"] = c.Read()
			_, closed["TryRead"] = c.TryRead()
			_, closed["ReadBatch"] = c.ReadBatch(func([]byte) bool { return true })
			_, closed["Recover"] = c.Recover()
			_, closed["NewProducer"] = g.NewProducer(EndpointConfig{})
			_, closed["NewConsumer"] = g.NewConsumer(EndpointConfig{})
			closed["Producer.Close"] = p.Close()
			closed["Consumer.Close"] = c.Close()
			for call, err := range closed {
				if !errors.Is(err, ErrClosed) {
					t.Errorf("%s after Region.Close = %v, want ErrClosed", call, err)
				}
			}
			if info := g.ConsumerInfo(); info != (PeerInfo{}) {
				t.Errorf("ConsumerInfo after Region.Close = %+v, want the zero PeerInfo", info)
			}
			if ps := g.Producers(); ps != nil {
				t.Errorf("Producers after Region.Close = %+v, want none", ps)
			}
			// Stale memory reads zeros and takes writes without faulting.
			held[0] = 1
			if v := view.Load(0); v != 0 {
				t.Errorf("view.Load after Region.Close = %d, want 0 (private zero pages)", v)
			}
			view.Add(1, 1)
		})
	}
}

// TestRingConsumerClosedWhileProducerWaits closes the consumer while the producer waits on the
// full ring: the producer gets ErrClosed at its next poll, TryReserve on the full ring too, and a
// new consumer makes the ring usable again.
func TestRingConsumerClosedWhileProducerWaits(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096})
	cfg := EndpointConfig{Spin: -1, Poll: 10 * time.Millisecond}
	c, err := g.NewConsumer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.NewProducer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fillRing(t, p)
	done := make(chan error, 1)
	go func() {
		_, err := p.Reserve(64)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // let it sleep on the futex
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "consumer closed") {
			t.Fatalf("Reserve blocked when the consumer closed = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Reserve still blocked 10s after the consumer closed")
	}
	if _, err := p.TryReserve(64); !errors.Is(err, ErrClosed) {
		t.Fatalf("TryReserve on the full ring of a closed consumer = %v, want ErrClosed", err)
	}
	c2, err := g.NewConsumer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := p.TryReserve(64); !errors.Is(err, ErrFull) {
		t.Fatalf("TryReserve on the full ring with a new consumer = %v, want ErrFull", err)
	}
	if b, err := c2.Read(); err != nil || b[0] != 0 {
		t.Fatalf("new consumer's first record = %v, %v", b, err)
	}
}

// TestRingImpossiblePID writes a pid no process can have into a producer slot: a consumer
// waiting for records must call the ring corrupt, not report a dead producer.
func TestRingImpossiblePID(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096})
	c, err := g.NewConsumer(EndpointConfig{Spin: -1, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	atomic.StoreUint32(g.slot(0), 4097511701)
	_, err = c.Read()
	if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrPeerDead) || !strings.Contains(err.Error(), "producer pid 4097511701") {
		t.Fatalf("Read with pid 4097511701 in a producer slot = %v, want ErrCorrupt naming it", err)
	}
	atomic.StoreUint32(g.slot(0), 0)
}

// TestErrorMessagesSayWhatWentWrong checks messages whose detail alone is a pid or a position.
func TestErrorMessagesSayWhatWentWrong(t *testing.T) {
	_, name, g := newTestRing(t, RingConfig{Capacity: 4096})
	p, err := g.NewProducer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Abort(); err == nil || err.Error() != `sharedmem: abort "`+name+`": abort without reserve` {
		t.Errorf("Abort without Reserve = %v", err)
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{detailf(ErrPeerDead, "consumer pid %d", 1573), "peer process is dead: consumer pid 1573"},
		{detailf(ErrCorrupt, "head %d", 7), "corrupt ring: head 7"},
		{detailf(ErrBadHeader, "layout version 3, want 2"), "layout version 3, want 2"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("message = %q, want %q", got, tt.want)
		}
	}
}

func TestBadArguments(t *testing.T) {
	if _, err := NewRing(nil, 0, RingConfig{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("NewRing(nil) = %v, want ErrInvalidConfig", err)
	}
	if _, err := OpenRing(nil, 0); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("OpenRing(nil) = %v, want ErrInvalidConfig", err)
	}
	if _, err := FromFile(nil, Options{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("FromFile(nil) = %v, want ErrInvalidConfig", err)
	}
	// A 4 GiB ring's default MaxRecord is the record limit, not Capacity/4.
	if got, want := RingSize(RingConfig{Capacity: 1 << 32}), ringHeaderSize+1<<32; got != want {
		t.Errorf("RingSize(4 GiB) = %d, want %d", got, want)
	}
	if RingSize(RingConfig{Capacity: 5000}) != 0 {
		t.Errorf("RingSize of a capacity that is not a power of two is not 0")
	}
	r, _ := mustCreate(t, 4096, Options{})
	if _, err := r.ReadAt(make([]byte, 2), math.MaxInt64-1); !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "2 bytes at offset 9223372036854775806") {
		t.Errorf("ReadAt far outside = %v", err)
	}
}
