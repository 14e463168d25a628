//go:build linux

package sharedmem_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hotpath-dev/hotpath/sharedmem"
	"golang.org/x/sys/unix"
)

func runPeer(role, arg string) error {
	args := strings.Split(arg, ",")
	switch role {
	case "echo-ring": // a named region, or the memfd at fd 3 if the name is empty
		return echoRing(args[0], args[1])
	case "echo-cacheline":
		return echoCacheline(args[0])
	case "sink-ring": // a named region, or the memfd at fd 3 if the name is empty
		return sinkRing(args[0], sink)
	case "sink-ring-batch": // sink-ring reading with ReadBatch
		return sinkRing(args[0], sinkBatch)
	case "echo-fd": // read from fd 3, write to fd 4 (a pipe pair or one socket twice)
		return echoFD(3, 4)
	}
	return fmt.Errorf("unknown role %q", role)
}

// waitConfig returns the endpoint configuration of a round-trip mode: "spin" busy-waits, "futex"
// sleeps at once (waking every 100ms to check the peer), "futex-nopoll" sleeps with no timer.
func waitConfig(mode string) sharedmem.EndpointConfig {
	switch mode {
	case "spin":
		return sharedmem.EndpointConfig{Spin: sharedmem.SpinForever}
	case "futex-nopoll":
		return sharedmem.EndpointConfig{Spin: -1, Poll: -1}
	}
	return sharedmem.EndpointConfig{Spin: -1}
}

// echoRing reads each record from the ring at offset 0 and writes it back through the ring at
// pongOffset, until the parent closes its producer.
func echoRing(name, mode string) error {
	r, err := openRegion(name)
	if err != nil {
		return err
	}
	defer r.Close()
	ping, err := sharedmem.OpenRing(r, 0)
	if err != nil {
		return err
	}
	pong, err := sharedmem.OpenRing(r, pongOffset)
	if err != nil {
		return err
	}
	wait, loopGuard := strings.CutSuffix(mode, "-loopguard")
	if !loopGuard {
		return echoRings(ping, pong, waitConfig(wait))
	}
	cfg := waitConfig(wait)
	cfg.Unguarded = true // the whole loop runs inside one Guard
	var echoErr error
	if err := r.Guard(func() { echoErr = echoRings(ping, pong, cfg) }); err != nil {
		return err
	}
	return echoErr
}

// sinkRing consumes records from the ring at offset 0 and stores the count and a checksum in
// the cells after the ring once the producer closes.
func sinkRing(name string, sink func(*sharedmem.Ring) (n, sum uint64, err error)) error {
	r, err := openRegion(name)
	if err != nil {
		return err
	}
	defer r.Close()
	g, err := sharedmem.OpenRing(r, 0)
	if err != nil {
		return err
	}
	cells, err := r.Uint64s(sharedmem.RingSize(sharedmem.RingConfig{Capacity: g.Capacity()}), 2)
	if err != nil {
		return err
	}
	n, sum, err := sink(g)
	if err != nil {
		return err
	}
	cells.Store(1, sum)
	cells.Store(0, n)
	return nil
}

// openRegion opens the named region, or the memfd region at fd 3 if name is empty.
func openRegion(name string) (*sharedmem.Region, error) {
	if name != "" {
		return sharedmem.Open(name, sharedmem.Options{})
	}
	f := os.NewFile(3, "region")
	defer f.Close()
	return sharedmem.FromFile(f, sharedmem.Options{})
}

// sink reads every record until the producer closes, copying each one out (it reads every byte,
// as a pipe's reader would get them).
func sink(g *sharedmem.Ring) (n, sum uint64, err error) {
	c, err := g.NewConsumer(sharedmem.EndpointConfig{Spin: time.Millisecond})
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	buf := make([]byte, g.MaxRecord())
	for {
		rec, err := c.Read()
		if errors.Is(err, sharedmem.ErrClosed) {
			return n, sum, nil
		}
		if err != nil {
			return n, sum, err
		}
		k := copy(buf, rec)
		sum += uint64(buf[0]) + uint64(buf[k-1])
		n++
		c.Release()
	}
}

// sinkBatch is sink reading with ReadBatch: one call walks every published record and releases
// them together.
func sinkBatch(g *sharedmem.Ring) (n, sum uint64, err error) {
	c, err := g.NewConsumer(sharedmem.EndpointConfig{Spin: time.Millisecond})
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	buf := make([]byte, g.MaxRecord())
	read := func(rec []byte) bool {
		k := copy(buf, rec)
		sum += uint64(buf[0]) + uint64(buf[k-1])
		n++
		return true
	}
	for {
		if _, err := c.ReadBatch(read); err != nil {
			if errors.Is(err, sharedmem.ErrClosed) {
				return n, sum, nil
			}
			return n, sum, err
		}
	}
}

// echoFD echoes 64-byte messages from fd in to fd out with blocking system calls, until EOF.
func echoFD(in, out int) error {
	buf := make([]byte, msgSize)
	for {
		if err := readFull(in, buf); err != nil {
			if errors.Is(err, errEOF) {
				return nil
			}
			return err
		}
		if _, err := unix.Write(out, buf); err != nil {
			return os.NewSyscallError("write", err)
		}
	}
}

var errEOF = errors.New("EOF")

func readFull(fd int, buf []byte) error {
	for got := 0; got < len(buf); {
		n, err := unix.Read(fd, buf[got:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("read", err)
		}
		if n == 0 {
			return errEOF
		}
		got += n
	}
	return nil
}
