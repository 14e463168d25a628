package sharedmem

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// runPeer is the body of a re-executed test binary. arg is a comma-separated list whose first
// element is the region name.
func runPeer(role, arg string) error {
	args := strings.Split(arg, ",")
	num := func(i int) int {
		n, _ := strconv.Atoi(args[i])
		return n
	}
	switch role {
	case "add":
		return peerAdd(args[0], num(1))
	case "notify":
		return peerNotify(args[0])
	case "produce":
		return peerProduce(args[0], num(1), args[2] == "mpsc", false)
	case "produce-id": // name,n,k: records k<<40 | i on an MPSC ring, racing other producers
		return peerProduceID(args[0], num(1), uint64(num(2)))
	case "produce-batch": // name,n: records 0..n-1 through batches mixed with single commits
		return peerProduceBatch(args[0], num(1), false)
	case "produce-batch-die": // name,n: then half fills a batch and waits to be killed
		return peerProduceBatch(args[0], num(1), true)
	case "produce-die":
		return peerProduce(args[0], num(1), args[2] == "mpsc", true)
	case "truncate":
		r, err := Open(args[0], Options{})
		if err != nil {
			return err
		}
		defer r.Close()
		return r.File().Truncate(0)
	case "corrupt":
		f, err := os.OpenFile("/dev/shm/"+args[0], os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteAt([]byte{0xff}, int64(num(1)))
		return err
	case "memfd":
		f := os.NewFile(3, "inherited")
		r, err := FromFile(f, Options{Version: 7, Tag: 0xfeed})
		if err != nil {
			return err
		}
		defer r.Close()
		if !r.Sealed() {
			return fmt.Errorf("inherited memfd region not sealed")
		}
		if err := f.Truncate(0); err == nil {
			return fmt.Errorf("truncating a sealed region succeeded")
		}
		v, err := r.Int64s(0, 1)
		if err != nil {
			return err
		}
		v.Add(0, 42)
		return nil
	}
	return fmt.Errorf("unknown role %q", role)
}

// peerAdd adds 1 to cell 0 n times, racing the parent.
func peerAdd(name string, n int) error {
	r, err := Open(name, Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	v, err := r.Int64s(0, 1)
	if err != nil {
		return err
	}
	for range n {
		v.Add(0, 1)
	}
	return nil
}

// peerNotify notifies cell 0 until it wakes a sleeper, without changing its value, then stores
// the number woken in cell 1.
func peerNotify(name string) error {
	r, err := Open(name, Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	v, err := r.Int32s(0, 2)
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if n := v.Notify(0, 1); n > 0 {
			v.Store(1, int32(n))
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("no waiter woke within 30s")
}

// testRecord fills b with the content of record i; recordLen gives its length.
func recordLen(i uint64) int { return 8 + int(i*7919%121) }

func fillRecord(b []byte, i uint64) {
	binary.LittleEndian.PutUint64(b, i)
	for j := 8; j < len(b); j++ {
		b[j] = byte(i + uint64(j))
	}
}

// checkRecord reports how record b differs from record i.
func checkRecord(b []byte, i uint64) error { return checkRecordLen(b, i, recordLen(i)) }

// checkRecordLen is checkRecord for a record of length want.
func checkRecordLen(b []byte, i uint64, want int) error {
	if len(b) != want {
		return fmt.Errorf("record %d: length %d, want %d", i, len(b), want)
	}
	if got := binary.LittleEndian.Uint64(b); got != i {
		return fmt.Errorf("record %d: sequence %d", i, got)
	}
	for j := 8; j < len(b); j++ {
		if b[j] != byte(i+uint64(j)) {
			return fmt.Errorf("record %d: byte %d = %d, want %d", i, j, b[j], byte(i+uint64(j)))
		}
	}
	return nil
}

// peerProduce sends n records through the ring at offset 0. With die, it then reserves one more,
// fills half of it, raises the marker cell after the ring and waits to be killed.
func peerProduce(name string, n int, mpsc, die bool) error {
	r, g, err := openPeerRing(name)
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := g.NewProducer(EndpointConfig{Batch: 32})
	if err != nil {
		return err
	}
	for i := range uint64(n) {
		b, err := p.Reserve(recordLen(i))
		if err != nil {
			return err
		}
		fillRecord(b, i)
		if err := p.Commit(); err != nil {
			return err
		}
	}
	if !die {
		return p.Close()
	}
	if err := p.Flush(); err != nil {
		return err
	}
	b, err := p.Reserve(100)
	if err != nil {
		return err
	}
	clear(b[:50])
	marker, err := r.Int32s(g.Capacity()+ringHeaderSize, 1)
	if err != nil {
		return err
	}
	marker.Store(0, 1)
	marker.Notify(0, 1)
	time.Sleep(time.Minute) // killed long before
	return fmt.Errorf("not killed")
}

// peerProduceID sends n records numbered k<<40 | i through the MPSC ring at offset 0.
func peerProduceID(name string, n int, k uint64) error {
	r, g, err := openPeerRing(name)
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := g.NewProducer(EndpointConfig{})
	if err != nil {
		return err
	}
	for i := range uint64(n) {
		v := k<<40 | i
		b, err := p.Reserve(recordLen(v))
		if err != nil {
			return err
		}
		fillRecord(b, v)
		if err := p.Commit(); err != nil {
			return err
		}
	}
	return p.Close()
}

// batchLen is the length of record i in the batch tests: records come in groups of 16 of one
// length, so that a group can go out as one batch.
func batchLen(i uint64) int { return 8 + int((i/16)*7919%121) }

// produceBatches sends records first..first+n-1 of batchLen: even groups of 16 through
// ReserveBatch and CommitBatch (asking for the rest of the group, so a batch cut at the buffer's
// end or by a full ring continues in the next), odd groups one by one with Reserve and Commit.
// It does not close p.
func produceBatches(p *Producer, first, n uint64) error {
	for i := first; i < first+n; {
		size := batchLen(i)
		end := min((i/16+1)*16, first+n)
		if (i/16)%2 == 1 {
			b, err := p.Reserve(size)
			if err != nil {
				return err
			}
			fillRecord(b, i)
			if err := p.Commit(); err != nil {
				return err
			}
			i++
			continue
		}
		batch, err := p.ReserveBatch(int(end-i), size)
		if err != nil {
			return err
		}
		if batch.Len() < 1 || batch.Len() > int(end-i) {
			return fmt.Errorf("ReserveBatch(%d, %d) = %d records", end-i, size, batch.Len())
		}
		for k := range batch.Len() {
			fillRecord(batch.Record(k), i+uint64(k))
		}
		if err := p.CommitBatch(batch.Len()); err != nil {
			return err
		}
		i += uint64(batch.Len())
	}
	return nil
}

// peerProduceBatch sends n records through the ring at offset 0 with produceBatches. With die,
// it then reserves a batch, fills half of it, raises the marker cell after the ring and waits to
// be killed.
func peerProduceBatch(name string, n int, die bool) error {
	r, g, err := openPeerRing(name)
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := g.NewProducer(EndpointConfig{Batch: 32})
	if err != nil {
		return err
	}
	if err := produceBatches(p, 0, uint64(n)); err != nil {
		return err
	}
	if !die {
		return p.Close()
	}
	if err := p.Flush(); err != nil {
		return err
	}
	b, err := p.ReserveBatch(8, 64)
	if err != nil {
		return err
	}
	for k := range b.Len() / 2 {
		fillRecord(b.Record(k), uint64(n+k))
	}
	marker, err := r.Int32s(g.Capacity()+ringHeaderSize, 1)
	if err != nil {
		return err
	}
	marker.Store(0, 1)
	marker.Notify(0, 1)
	time.Sleep(time.Minute) // killed long before
	return fmt.Errorf("not killed")
}

// openPeerRing opens the named region and the ring at its offset 0, as the peers below use them.
func openPeerRing(name string) (*Region, *Ring, error) {
	r, err := Open(name, Options{})
	if err != nil {
		return nil, nil, err
	}
	g, err := OpenRing(r, 0)
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return r, g, nil
}
