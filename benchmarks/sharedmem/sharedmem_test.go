//go:build linux

package sharedmem_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hotpath-dev/hotpath/benchmarks"
	"github.com/hotpath-dev/hotpath/sharedmem"
	"golang.org/x/sys/unix"
)

const (
	msgSize     = 64      // round-trip message
	lineMsgSize = 56      // round-trip message that shares one cache line with its 8-byte header
	pingCap     = 1 << 16 // ring capacity for round trips
	pongOffset  = 1 << 17 // second ring's offset (≥ RingSize of the first, multiple of 128)
	streamBatch = 64      // publication batch for small records
	recordBatch = 256     // records per ReserveBatch in streamBatches
)

// streamCap is the ring capacity for throughput: 4 MiB, large enough to absorb the moments when
// the peer is descheduled (a 64 KiB ring measured 10× slower on the busy 2-vCPU machine).
func streamCap(int) int { return 4 << 20 }

// createRegion makes a named region removed at the end of the benchmark.
func createRegion(b *testing.B, size int) (*sharedmem.Region, string) {
	b.Helper()
	name := fmt.Sprintf("hotpath-bench-%d-%d", os.Getpid(), time.Now().UnixNano())
	r, err := sharedmem.Create(name, size, sharedmem.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close(); sharedmem.Remove(name) })
	return r, name
}

// pingPong sets up the two rings of a round-trip benchmark in r.
func pingPong(b *testing.B, r *sharedmem.Region) (ping, pong *sharedmem.Ring) {
	b.Helper()
	var err error
	if ping, err = sharedmem.NewRing(r, 0, sharedmem.RingConfig{Capacity: pingCap}); err != nil {
		b.Fatal(err)
	}
	if pong, err = sharedmem.NewRing(r, pongOffset, sharedmem.RingConfig{Capacity: pingCap}); err != nil {
		b.Fatal(err)
	}
	return ping, pong
}

// ringRoundTrips sends a 64-byte record through ping and waits for it on pong, per iteration.
func ringRoundTrips(b *testing.B, ping, pong *sharedmem.Ring, cfg sharedmem.EndpointConfig, size int) {
	b.Helper()
	p, err := ping.NewProducer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	c, err := pong.NewConsumer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := make([]byte, size)
	lat := new(latencies)
	b.ReportAllocs()
	for b.Loop() {
		lat.start()
		out, err := p.Reserve(size)
		if err != nil {
			b.Fatal(err)
		}
		copy(out, msg)
		p.Commit()
		in, err := c.Read()
		if err != nil {
			b.Fatal(err)
		}
		msg[0] = in[0] + 1
		c.Release()
		lat.stop()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/roundtrip")
	lat.report(b)
}

// latencies is a histogram of round-trip times in 10 ns buckets up to 200 µs, so that recording
// allocates nothing inside the timed loop. Round trips are timed in groups of rtGroup: reading the
// clock costs about 25 ns a call on this kind of VM (time.Now reads two clocks, time.Since one),
// as much as a third of a spinning round trip, and a group spreads that over 16 round trips. On a
// shared 2-core VM the mean is dominated by the times a peer was descheduled; the median of the
// groups shows the cost of the mechanism itself.
type latencies struct {
	buckets [20000]uint32
	over    int
	n       int
	i       int
	t0      time.Time
}

const rtGroup = 16

// start marks the beginning of a round trip.
func (l *latencies) start() {
	if l.i%rtGroup == 0 {
		l.t0 = time.Now()
	}
}

// stop marks its end; every rtGroup round trips it records their mean.
func (l *latencies) stop() {
	if l.i++; l.i%rtGroup != 0 {
		return
	}
	if i := int(time.Since(l.t0) / rtGroup / 10); i < len(l.buckets) {
		l.buckets[i]++
	} else {
		l.over++
	}
	l.n++
}

// report adds the median of the groups' mean round trip as a metric.
func (l *latencies) report(b *testing.B) {
	half := l.n / 2
	for i, c := range l.buckets {
		if half -= int(c); half < 0 {
			b.ReportMetric(float64(i*10+5), "p50-ns/roundtrip")
			return
		}
	}
	b.ReportMetric(float64(200*time.Microsecond), "p50-ns/roundtrip")
}

// BenchmarkRoundTrip sends a 64-byte message to a peer and waits for the echo.
func BenchmarkRoundTrip(b *testing.B) {
	for _, mode := range []string{"spin", "spin-loopguard", "spin-memfd", "spin-memfd-56B", "futex", "futex-nopoll"} {
		b.Run("process/ring-"+mode, func(b *testing.B) {
			// A named region guards every call against a peer's truncation, or with -loopguard
			// runs each side's whole loop inside one Region.Guard with unguarded endpoints; a
			// memfd region is sealed against shrinking and needs no guard. A 64-byte record and its header span two
			// cache lines; a 56-byte one fits in one (the ring's lines are 64-byte aligned and
			// every record takes 64 bytes).
			size := msgSize
			wait, small := strings.CutSuffix(mode, "-56B")
			if small {
				size = lineMsgSize
			}
			wait, memfd := strings.CutSuffix(wait, "-memfd")
			wait, loopGuard := strings.CutSuffix(wait, "-loopguard")
			var stop func()
			var r *sharedmem.Region
			if memfd {
				var err error
				if r, err = sharedmem.NewAnonymous(2*pongOffset, sharedmem.Options{}); err != nil {
					b.Fatal(err)
				}
				defer r.Close()
			} else {
				r, _ = createRegion(b, 2*pongOffset)
			}
			ping, pong := pingPong(b, r)
			if memfd {
				stop = startPeer(b, "echo-ring", ","+wait, r.File())
			} else {
				stop = startPeer(b, "echo-ring", r.Name()+","+mode)
			}
			if loopGuard {
				cfg := waitConfig(wait)
				cfg.Unguarded = true // the whole loop runs inside one Guard
				if err := r.Guard(func() { ringRoundTrips(b, ping, pong, cfg, size) }); err != nil {
					b.Fatal(err)
				}
			} else {
				ringRoundTrips(b, ping, pong, waitConfig(wait), size)
			}
			stop()
		})
	}
	// The machine's floor: one word each way in its own cache line, the least any shared-memory
	// round trip can cost (the ring moves a header and 64 bytes each way, in two lines).
	b.Run("process/cacheline", func(b *testing.B) {
		r, region := createRegion(b, 4096)
		cells, err := r.Uint64s(0, pongCell+1)
		if err != nil {
			b.Fatal(err)
		}
		stop := startPeer(b, "echo-cacheline", region)
		lat := new(latencies)
		b.ReportAllocs()
		for i := uint64(1); b.Loop(); i++ {
			lat.start()
			cells.Store(0, i)
			for cells.Load(pongCell) != i {
			}
			lat.stop()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/roundtrip")
		lat.report(b)
		cells.Store(0, stopCell)
		stop()
	})
	b.Run("process/pipe", func(b *testing.B) {
		var there, back [2]int
		if err := unix.Pipe2(there[:], unix.O_CLOEXEC); err != nil {
			b.Fatal(err)
		}
		if err := unix.Pipe2(back[:], unix.O_CLOEXEC); err != nil {
			b.Fatal(err)
		}
		childIn, childOut := os.NewFile(uintptr(there[0]), "in"), os.NewFile(uintptr(back[1]), "out")
		stop := startPeer(b, "echo-fd", "", childIn, childOut)
		childIn.Close()
		childOut.Close()
		fdRoundTrips(b, there[1], back[0])
		unix.Close(there[1])
		stop()
		unix.Close(back[0])
	})
	b.Run("process/unix-socket", func(b *testing.B) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			b.Fatal(err)
		}
		child := os.NewFile(uintptr(fds[1]), "sock")
		stop := startPeer(b, "echo-fd", "", child, child)
		child.Close()
		fdRoundTrips(b, fds[0], fds[0])
		unix.Shutdown(fds[0], unix.SHUT_WR)
		stop()
		unix.Close(fds[0])
	})
	b.Run("goroutines/ring-spin", func(b *testing.B) {
		r, err := sharedmem.NewAnonymous(2*pongOffset, sharedmem.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		ping, pong := pingPong(b, r)
		done := make(chan error, 1)
		go func() { done <- echoRings(ping, pong, waitConfig("spin")) }()
		ringRoundTrips(b, ping, pong, waitConfig("spin"), msgSize)
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	})
	b.Run("goroutines/channel", func(b *testing.B) {
		there, back := make(chan []byte), make(chan []byte)
		go func() {
			for m := range there {
				back <- m
			}
			close(back)
		}()
		msg := make([]byte, msgSize)
		lat := new(latencies)
		b.ReportAllocs()
		for b.Loop() {
			lat.start()
			there <- msg
			msg = <-back
			lat.stop()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/roundtrip")
		lat.report(b)
		close(there)
		<-back
	})
}

// Cells of the cache-line round trip: the parent writes a sequence number to cell 0, the peer
// copies it to cell pongCell, 128 bytes away; stopCell ends the peer.
const (
	pongCell = 16
	stopCell = 1<<64 - 1
)

// echoCacheline copies cell 0 to cell pongCell each time it changes, until it reads stopCell.
func echoCacheline(name string) error {
	r, err := openRegion(name)
	if err != nil {
		return err
	}
	defer r.Close()
	cells, err := r.Uint64s(0, pongCell+1)
	if err != nil {
		return err
	}
	var last uint64
	for {
		v := cells.Load(0)
		if v == last {
			continue
		}
		if v == stopCell {
			return nil
		}
		cells.Store(pongCell, v)
		last = v
	}
}

// echoRings reads each record from ping and writes it back through pong until ping's producer closes:
// the peer of every ring round trip, in a goroutine or in the child process.
func echoRings(ping, pong *sharedmem.Ring, cfg sharedmem.EndpointConfig) error {
	c, err := ping.NewConsumer(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := pong.NewProducer(cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	for {
		in, err := c.Read()
		if errors.Is(err, sharedmem.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		out, err := p.Reserve(len(in))
		if err != nil {
			return err
		}
		copy(out, in)
		c.Release()
		if err := p.Commit(); err != nil {
			return err
		}
	}
}

// fdRoundTrips writes a 64-byte message to out and reads the echo from in, with blocking system
// calls (no Go netpoller), per iteration.
func fdRoundTrips(b *testing.B, out, in int) {
	b.Helper()
	msg := make([]byte, msgSize)
	lat := new(latencies)
	b.ReportAllocs()
	for b.Loop() {
		lat.start()
		if _, err := unix.Write(out, msg); err != nil {
			b.Fatal(err)
		}
		if err := readFull(in, msg); err != nil {
			b.Fatal(err)
		}
		lat.stop()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/roundtrip")
	lat.report(b)
}

// BenchmarkThroughput streams records of 64 bytes and 64 KiB one way. The consumer copies each
// record out (it reads every byte, as a pipe's reader would). "copy" is the ceiling: one copy of
// the same bytes inside one process.
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []benchmarks.Size{benchmarks.Sizes[0], benchmarks.Sizes[2]} {
		for _, v := range []struct {
			memfd, batch bool
		}{{false, false}, {true, false}, {false, true}, {true, true}} {
			memfd := v.memfd
			variant := "ring-named"
			if memfd {
				variant = "ring-memfd"
			}
			role, produce := "sink-ring", stream
			if v.batch {
				if size.Bytes > 1024 {
					continue
				}
				variant += "-batch"
				role, produce = "sink-ring-batch", streamBatches
			}
			b.Run(size.Name+"/process/"+variant, func(b *testing.B) {
				cfg := sharedmem.RingConfig{Capacity: streamCap(size.Bytes)}
				var r *sharedmem.Region
				var stop func()
				if memfd {
					var err error
					if r, err = sharedmem.NewAnonymous(sharedmem.RingSize(cfg)+4096, sharedmem.Options{}); err != nil {
						b.Fatal(err)
					}
					defer r.Close()
				} else {
					r, _ = createRegion(b, sharedmem.RingSize(cfg)+4096)
				}
				g, err := sharedmem.NewRing(r, 0, cfg)
				if err != nil {
					b.Fatal(err)
				}
				cells, err := r.Uint64s(sharedmem.RingSize(cfg), 2)
				if err != nil {
					b.Fatal(err)
				}
				if memfd {
					stop = startPeer(b, role, "", r.File())
				} else {
					stop = startPeer(b, role, r.Name())
				}
				produce(b, g, size.Bytes, func() uint64 {
					for cells.Load(0) == 0 {
						time.Sleep(20 * time.Microsecond)
					}
					return cells.Load(0)
				})
				stop()
			})
		}
		for _, batch := range []bool{false, true} {
			variant, consume, produce := "ring", sink, stream
			if batch {
				if size.Bytes > 1024 {
					continue
				}
				variant, consume, produce = "ring-batch", sinkBatch, streamBatches
			}
			b.Run(size.Name+"/goroutines/"+variant, func(b *testing.B) {
				cfg := sharedmem.RingConfig{Capacity: streamCap(size.Bytes)}
				r, err := sharedmem.NewAnonymous(sharedmem.RingSize(cfg), sharedmem.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				g, err := sharedmem.NewRing(r, 0, cfg)
				if err != nil {
					b.Fatal(err)
				}
				got := make(chan uint64, 1)
				go func() {
					n, _, _ := consume(g)
					got <- n
				}()
				produce(b, g, size.Bytes, func() uint64 { return <-got })
			})
		}
		b.Run(size.Name+"/copy", func(b *testing.B) {
			src, dst := make([]byte, size.Bytes), make([]byte, size.Bytes)
			b.SetBytes(int64(size.Bytes))
			b.ReportAllocs()
			for b.Loop() {
				copy(dst, src)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// stream produces records of size bytes for the benchmark's iterations, closes the producer and
// waits (timed) until drained() reports how many the consumer got.
func stream(b *testing.B, g *sharedmem.Ring, size int, drained func() uint64) {
	b.Helper()
	cfg := sharedmem.EndpointConfig{Spin: time.Millisecond}
	if size <= 1024 {
		cfg.Batch = streamBatch
	}
	p, err := g.NewProducer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	src := make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		out, err := p.Reserve(size)
		if err != nil {
			b.Fatal(err)
		}
		copy(out, src)
		p.Commit()
	}
	p.Close()
	n := drained()
	elapsed := time.Since(start) // includes the drain, which b.Loop's timer does not
	if n != uint64(b.N) {
		b.Fatalf("consumer got %d records, want %d", n, b.N)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(n)*float64(size)/elapsed.Seconds()/1e9, "GB/s")
}

// streamBatches is stream through the batched API: it reserves recordBatch records at a time,
// fills one per iteration and commits the batch (one publication) when it is full.
func streamBatches(b *testing.B, g *sharedmem.Ring, size int, drained func() uint64) {
	b.Helper()
	p, err := g.NewProducer(sharedmem.EndpointConfig{Spin: time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	src := make([]byte, size)
	for i := range src {
		src[i] = byte(i)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	start := time.Now()
	var out sharedmem.Batch
	i := 0
	for b.Loop() {
		if i == out.Len() {
			if i > 0 {
				if err := p.CommitBatch(i); err != nil {
					b.Fatal(err)
				}
			}
			if out, err = p.ReserveBatch(recordBatch, size); err != nil {
				b.Fatal(err)
			}
			i = 0
		}
		copy(out.Record(i), src)
		i++
	}
	if err := p.CommitBatch(i); err != nil {
		b.Fatal(err)
	}
	p.Close()
	n := drained()
	elapsed := time.Since(start)
	if n != uint64(b.N) {
		b.Fatalf("consumer got %d records, want %d", n, b.N)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(n)*float64(size)/elapsed.Seconds()/1e9, "GB/s")
}
