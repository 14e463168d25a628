package sharedmem

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkRingOneGoroutine measures the cost of the ring alone: one goroutine reserves, fills and
// commits records and reads them back 16 at a time (copying each out), so no cache line moves
// between cores and nothing waits. A named region pays debug.SetPanicOnFault on each call; a
// memfd region is sealed and runs unguarded. copy-twice is the ceiling for 64 KiB: the same two
// copies through a plain buffer.
func BenchmarkRingOneGoroutine(b *testing.B) {
	for _, tt := range []struct {
		name  string
		cfg   EndpointConfig
		mpsc  bool
		named bool
		size  int
	}{
		{"64B/spsc-named-guarded", EndpointConfig{Batch: 64}, false, true, 64},
		{"64B/spsc-memfd", EndpointConfig{Batch: 64}, false, false, 64},
		{"64B/mpsc-memfd", EndpointConfig{}, true, false, 64},
		{"64KiB/spsc-memfd", EndpointConfig{Batch: 64}, false, false, 64 << 10},
		{"64KiB/copy-twice", EndpointConfig{}, false, false, -(64 << 10)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			if tt.size < 0 { // the ceiling: the same bytes copied in and out of a buffer
				src, mid, dst := make([]byte, -tt.size), make([]byte, -tt.size), make([]byte, -tt.size)
				b.SetBytes(int64(-tt.size))
				for b.Loop() {
					copy(mid, src)
					copy(dst, mid)
				}
				return
			}
			// 64 KiB for small records (it stays in L2), 64 records for large ones.
			cfg := RingConfig{Capacity: max(1<<16, 64*tt.size), MPSC: tt.mpsc}
			var r *Region
			var err error
			if tt.named {
				r, err = Create(fmt.Sprintf("hotpath-bench-%d", os.Getpid()), RingSize(cfg), Options{})
				defer Remove(fmt.Sprintf("hotpath-bench-%d", os.Getpid()))
			} else {
				r, err = NewAnonymous(RingSize(cfg), Options{})
			}
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			g, _ := NewRing(r, 0, cfg)
			p, _ := g.NewProducer(tt.cfg)
			c, _ := g.NewConsumer(tt.cfg)
			src, dst := make([]byte, tt.size), make([]byte, tt.size)
			b.SetBytes(int64(tt.size))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				out, err := p.Reserve(tt.size)
				if err != nil {
					b.Fatal(err)
				}
				copy(out, src)
				p.Commit()
				if i%16 == 15 {
					p.Flush()
					for range 16 {
						rec, err := c.Read()
						if err != nil {
							b.Fatal(err)
						}
						copy(dst, rec)
					}
					c.Release()
				}
			}
		})
	}
}

// BenchmarkRingBatchOneGoroutine is BenchmarkRingOneGoroutine through the batched API: 64-byte
// records reserved and committed 64 at a time, read back (copying each out) with one ReadBatch.
func BenchmarkRingBatchOneGoroutine(b *testing.B) {
	for _, tt := range []struct {
		name  string
		named bool
	}{
		{"64B/spsc-named-guarded", true},
		{"64B/spsc-memfd", false},
	} {
		b.Run(tt.name, func(b *testing.B) {
			const size, batch = 64, 64
			cfg := RingConfig{Capacity: 1 << 16}
			var r *Region
			var err error
			if tt.named {
				name := fmt.Sprintf("hotpath-bench-%d", os.Getpid())
				r, err = Create(name, RingSize(cfg), Options{})
				defer Remove(name)
			} else {
				r, err = NewAnonymous(RingSize(cfg), Options{})
			}
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			g, _ := NewRing(r, 0, cfg)
			p, _ := g.NewProducer(EndpointConfig{})
			c, _ := g.NewConsumer(EndpointConfig{})
			src, dst := make([]byte, size), make([]byte, size)
			read := func(rec []byte) bool { copy(dst, rec); return true }
			b.SetBytes(size)
			b.ReportAllocs()
			var out Batch
			i := 0
			for b.Loop() {
				if i == out.Len() {
					if out.Len() > 0 {
						p.CommitBatch(i)
						if _, err := c.ReadBatch(read); err != nil {
							b.Fatal(err)
						}
					}
					if out, err = p.ReserveBatch(batch, size); err != nil {
						b.Fatal(err)
					}
					i = 0
				}
				copy(out.Record(i), src)
				i++
			}
			p.CommitBatch(i)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
