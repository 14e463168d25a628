package sharedmem

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestRingAbortedRecordsReleased fills the ring with aborted records and then wants room: the
// consumer steps over them, and since it holds no record it must release them too, or both sides
// sleep forever, the producer on room only aborted records take.
func TestRingAbortedRecordsReleased(t *testing.T) {
	for _, mode := range []string{"spsc", "mpsc", "spsc-readbatch"} {
		t.Run(mode, func(t *testing.T) {
			_, _, g := newTestRing(t, RingConfig{Capacity: 4096, MaxRecord: 2040, MPSC: mode == "mpsc"})
			c, err := g.NewConsumer(EndpointConfig{Poll: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			p, err := g.NewProducer(EndpointConfig{Poll: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan error, 1)
			go func() {
				var err error
				if mode == "spsc-readbatch" {
					var n int
					n, err = c.ReadBatch(func(b []byte) bool { return true })
					if err == nil && n != 1 {
						err = errors.New("wrong count")
					}
				} else {
					var b []byte
					b, err = c.Read()
					if err == nil && len(b) != 8 {
						err = errors.New("wrong record")
					}
				}
				got <- err
			}()
			for range 2 { // [0, 2008) and [2008, 4016): skip records
				if _, err := p.Reserve(2000); err != nil {
					t.Fatal(err)
				}
				if err := p.Abort(); err != nil {
					t.Fatal(err)
				}
			}
			sent := make(chan error, 1)
			go func() {
				b, err := p.Reserve(2000) // pads at 4016; needs the skip records released
				if err == nil {
					clear(b)
					err = p.Abort()
				}
				if err == nil {
					_, err = p.Reserve(8)
				}
				if err == nil {
					err = p.Commit()
				}
				sent <- err
			}()
			select {
			case err := <-got:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(3 * time.Second):
				t.Errorf("consumer got nothing in 3s: the producer waits for room taken by aborted records the consumer stepped over (published head %d)",
					atomic.LoadUint64(g.u64(rHead)))
				// Release the skip records by hand so that both goroutines finish.
				atomic.StoreUint64(g.u64(rHead), 4016)
				atomic.AddUint32(g.u32(rSpaceSeq), 1)
				futexWake(g.u32(rSpaceSeq), -1)
				<-got // the consumer's own head is still 0: it reports the record past it as corrupt
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			c.Close()
			p.Close()
		})
	}
}

// TestRingTryReserveFullPublishes fills a ring with Batch > 1 through TryReserve (and
// TryReserveBatch), so that every record is unpublished when ErrFull comes: the producer must
// publish them then, as EndpointConfig.Batch promises for a full ring, or a producer retrying
// TryReserve and the consumer wait for each other forever.
func TestRingTryReserveFullPublishes(t *testing.T) {
	for _, batch := range []bool{false, true} {
		name := "TryReserve"
		if batch {
			name = "TryReserveBatch"
		}
		t.Run(name, func(t *testing.T) {
			_, _, g := newTestRing(t, RingConfig{Capacity: 4096})
			p, err := g.NewProducer(EndpointConfig{Batch: 1000})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			c, err := g.NewConsumer(EndpointConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			try := func() error {
				if batch {
					bt, err := p.TryReserveBatch(1, 56)
					if err != nil {
						return err
					}
					clear(bt.Record(0))
					return p.CommitBatch(1)
				}
				b, err := p.TryReserve(56)
				if err != nil {
					return err
				}
				clear(b)
				return p.Commit()
			}
			sent := 0
			for {
				err := try()
				if errors.Is(err, ErrFull) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				sent++
			}
			// The producer keeps retrying, as a TryReserve loop does; the consumer sees nothing.
			for range 100 {
				if err := try(); !errors.Is(err, ErrFull) {
					t.Fatalf("retry: %v", err)
				}
				if _, err := c.TryRead(); !errors.Is(err, ErrEmpty) {
					break
				}
			}
			if _, err := c.TryRead(); err != nil {
				t.Fatalf("ring full after %d commits, %s returns ErrFull, and the consumer still sees no record: TryRead = %v", sent, name, err)
			}
		})
	}
}

// TestRingRecoverLiveProducerSameProcess calls Recover while a producer in the consumer's own
// process is filling a claimed record: it must refuse (ErrState) rather than discard that space
// and hand it to the next producer, which would overlap the two records.
func TestRingRecoverLiveProducerSameProcess(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096, MPSC: true})
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := g.NewProducer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ra, err := a.Reserve(16) // claimed, being filled
	if err != nil {
		t.Fatal(err)
	}
	discarded, err := c.Recover()
	if !errors.Is(err, ErrState) {
		t.Errorf("Recover() with a live producer = %d, %v; want ErrState", discarded, err)
	}
	b, err := g.NewProducer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := b.Reserve(16)
	if err != nil {
		t.Fatal(err)
	}
	copy(rb, "BBBBBBBBBBBBBBBB")
	copy(ra, "AAAAAAAAAAAAAAAA") // a is alive and finishes its record
	a.Commit()
	b.Commit()
	var got []string
	for {
		r, err := c.TryRead()
		if err != nil {
			break
		}
		got = append(got, string(r))
		c.Release()
	}
	if len(got) != 2 {
		t.Errorf("records read = %q, want the two records of a and b", got)
	}
}

// TestRingCloseRacesAttach closes the last producer while another attaches, many times: the ring
// must not stay marked closed once both calls returned, or the consumer would report ErrClosed
// and never read the new producer's records.
func TestRingCloseRacesAttach(t *testing.T) {
	_, _, g := newTestRing(t, RingConfig{Capacity: 4096, MPSC: true})
	for i := range 20000 {
		p1, err := g.NewProducer(EndpointConfig{})
		if err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		done := make(chan *Producer)
		go func() {
			<-start
			p2, err := g.NewProducer(EndpointConfig{})
			if err != nil {
				panic(err)
			}
			done <- p2
		}()
		close(start)
		p1.Close()
		p2 := <-done
		if atomic.LoadUint32(g.u32(rClosed)) != 0 {
			t.Fatalf("iteration %d: ring marked closed while producer %v is attached (slot %d = %d)", i, p2, p2.slot, atomic.LoadUint32(g.slot(p2.slot)))
		}
		p2.Close()
	}
}
