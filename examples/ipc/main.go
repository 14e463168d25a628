// Command ipc runs two processes that exchange records through shared memory: the parent creates
// an anonymous region holding two rings, starts itself again as the child with the region's file
// descriptor inherited, sends requests through one ring and reads replies from the other, streams
// 64-byte records through the batched API (ReserveBatch, CommitBatch, ReadBatch), then prints what
// it measured.
//
//	go run ./examples/ipc
//	go run ./examples/ipc -n 1000000 -wait spin   # only with two idle cores
//
// It is Linux only: the child inherits a memfd.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"time"

	"github.com/hotpath-dev/hotpath/sharedmem"
)

// childEnv tells the re-executed binary that it is the child.
const childEnv = "HOTPATH_IPC_CHILD"

const (
	ringCap       = 1 << 20
	replyOffset   = 2 << 20 // second ring's data offset
	regionSize    = 4 << 20
	layoutTag     = 0x697063 // "ipc": both sides agree on this layout
	layoutVersion = 1
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if os.Getenv(childEnv) != "" {
		err = child(ctx)
	} else {
		err = parent(ctx, os.Args[1:], os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ipc:", err)
		os.Exit(1)
	}
}

func opts() sharedmem.Options { return sharedmem.Options{Version: layoutVersion, Tag: layoutTag} }

// endpoint returns the ring endpoint configuration for a wait mode: "spin" never sleeps (lowest
// latency, burns a core per side, collapses when cores are shared), "futex" sleeps at once,
// "adaptive" spins for sharedmem.DefaultSpin and then sleeps.
func endpoint(mode string) (sharedmem.EndpointConfig, error) {
	switch mode {
	case "spin":
		return sharedmem.EndpointConfig{Spin: sharedmem.SpinForever}, nil
	case "futex":
		return sharedmem.EndpointConfig{Spin: -1}, nil
	case "adaptive":
		return sharedmem.EndpointConfig{}, nil
	}
	return sharedmem.EndpointConfig{}, fmt.Errorf("unknown -wait %q: want spin, futex or adaptive", mode)
}

// parent sends n requests of varying size, checks each reply's checksum and prints round-trip
// statistics and the streaming throughput.
func parent(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ipc", flag.ContinueOnError)
	n := fs.Int("n", 200_000, "round trips to make")
	streamN := fs.Int("stream", 5_000_000, "64-byte records to stream in batches after the round trips (0: none)")
	mode := fs.String("wait", "futex", "how a blocked side waits: spin, futex or adaptive")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := endpoint(*mode)
	if err != nil {
		return err
	}
	r, err := sharedmem.NewAnonymous(regionSize, opts())
	if err != nil {
		return err
	}
	defer r.Close()
	req, err := sharedmem.NewRing(r, 0, sharedmem.RingConfig{Capacity: ringCap})
	if err != nil {
		return err
	}
	rep, err := sharedmem.NewRing(r, replyOffset, sharedmem.RingConfig{Capacity: ringCap})
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), childEnv+"=1", "HOTPATH_IPC_WAIT="+*mode)
	cmd.ExtraFiles = []*os.File{r.File()} // fd 3 in the child
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Wait()

	p, err := req.NewProducer(cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	c, err := rep.NewConsumer(cfg)
	if err != nil {
		return err
	}
	defer c.Close()

	rtts := make([]time.Duration, 0, *n)
	start := time.Now()
	for i := range *n {
		size := 8 + i%120
		b, err := p.Reserve(size)
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint64(b, uint64(i))
		for j := 8; j < size; j++ {
			b[j] = byte(i ^ j)
		}
		want := crc32.ChecksumIEEE(b)
		t0 := time.Now()
		if err := p.Commit(); err != nil {
			return err
		}
		reply, err := c.Read()
		if err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
		rtts = append(rtts, time.Since(t0))
		if got := binary.LittleEndian.Uint32(reply); len(reply) != 4 || got != want {
			return fmt.Errorf("reply %d: checksum %#x, want %#x", i, got, want)
		}
		c.Release()
	}
	total := time.Since(start)
	var streamed time.Duration
	if *streamN > 0 {
		if streamed, err = stream(p, c, *streamN); err != nil {
			return err
		}
	}
	if err := p.Close(); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("child: %w", err)
	}
	slices.Sort(rtts)
	fmt.Fprintf(out, "%d request/reply round trips between pid %d and pid %d through two rings (wait: %s), every reply checked\n",
		*n, os.Getpid(), cmd.Process.Pid, *mode)
	fmt.Fprintf(out, "round trip: p50 %v  p90 %v  p99 %v  max %v (each includes a clock read pair, p50 %v here)\n",
		rtts[len(rtts)/2], rtts[len(rtts)*9/10], rtts[len(rtts)*99/100], rtts[len(rtts)-1], clockCost())
	fmt.Fprintf(out, "throughput: %.0f round trips/s over %v\n", float64(*n)/total.Seconds(), total.Round(time.Millisecond))
	if *streamN > 0 {
		fmt.Fprintf(out, "stream: %d records of %d bytes in batches at %.1f M records/s (%.2f GB/s), count and CRC checked by the child\n",
			*streamN, streamSize, float64(*streamN)/streamed.Seconds()/1e6, float64(*streamN*streamSize)/streamed.Seconds()/1e9)
	}
	return nil
}

// clockCost returns the median cost of the time.Now and time.Since pair that times each round
// trip: tens of nanoseconds in a VM, a fair part of a spinning round trip.
func clockCost() time.Duration {
	d := make([]time.Duration, 1001)
	for i := range d {
		t0 := time.Now()
		d[i] = time.Since(t0)
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// streamSize is the size of a streamed record; an empty record starts and ends a stream.
const streamSize = 64

// stream sends n records of streamSize bytes with ReserveBatch and CommitBatch, between two empty
// records, and checks the count and CRC-32 the child replies with.
func stream(p *sharedmem.Producer, c *sharedmem.Consumer, n int) (time.Duration, error) {
	start := time.Now()
	if err := sendEmpty(p); err != nil {
		return 0, err
	}
	var sum uint32
	for i := 0; i < n; {
		batch, err := p.ReserveBatch(min(n-i, 256), streamSize)
		if err != nil {
			return 0, err
		}
		for k := range batch.Len() {
			rec := batch.Record(k)
			binary.LittleEndian.PutUint64(rec, uint64(i+k))
			clear(rec[8:])
			sum = crc32.Update(sum, crc32.IEEETable, rec)
		}
		if err := p.CommitBatch(batch.Len()); err != nil {
			return 0, err
		}
		i += batch.Len()
	}
	if err := sendEmpty(p); err != nil {
		return 0, err
	}
	reply, err := c.Read()
	if err != nil {
		return 0, fmt.Errorf("stream reply: %w", err)
	}
	elapsed := time.Since(start)
	if len(reply) != 12 || binary.LittleEndian.Uint64(reply) != uint64(n) || binary.LittleEndian.Uint32(reply[8:]) != sum {
		return 0, fmt.Errorf("stream reply %x, want %d records with CRC %#x", reply, n, sum)
	}
	return elapsed, c.Release()
}

func sendEmpty(p *sharedmem.Producer) error {
	if _, err := p.Reserve(0); err != nil {
		return err
	}
	return p.Commit()
}

// drain is the child's side of stream: it reads records with ReadBatch until an empty one and
// replies with their count and CRC-32.
func drain(c *sharedmem.Consumer, p *sharedmem.Producer) error {
	var n uint64
	var sum uint32
	done := false
	for !done {
		_, err := c.ReadBatch(func(rec []byte) bool {
			if len(rec) == 0 {
				done = true
				return false
			}
			sum = crc32.Update(sum, crc32.IEEETable, rec)
			n++
			return true
		})
		if err != nil {
			return err
		}
	}
	out, err := p.Reserve(12)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint64(out, n)
	binary.LittleEndian.PutUint32(out[8:], sum)
	return p.Commit()
}

// child maps the inherited region, reads each request and replies with its CRC-32.
func child(ctx context.Context) error {
	cfg, err := endpoint(os.Getenv("HOTPATH_IPC_WAIT"))
	if err != nil {
		return err
	}
	f := os.NewFile(3, "region")
	defer f.Close()
	r, err := sharedmem.FromFile(f, opts())
	if err != nil {
		return err
	}
	defer r.Close()
	req, err := sharedmem.OpenRing(r, 0)
	if err != nil {
		return err
	}
	rep, err := sharedmem.OpenRing(r, replyOffset)
	if err != nil {
		return err
	}
	c, err := req.NewConsumer(cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := rep.NewProducer(cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	for ctx.Err() == nil {
		in, err := c.Read()
		if errors.Is(err, sharedmem.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(in) == 0 { // a stream of records in batches follows
			c.Release()
			if err := drain(c, p); err != nil {
				return err
			}
			continue
		}
		sum := crc32.ChecksumIEEE(in)
		c.Release()
		out, err := p.Reserve(4)
		if err != nil {
			return err
		}
		binary.LittleEndian.PutUint32(out, sum)
		if err := p.Commit(); err != nil {
			return err
		}
	}
	return ctx.Err()
}
