package sharedmem

import (
	"os"
	"sync/atomic"
)

// Consumer reads records from a ring. Read returns a slice pointing into shared memory (no copy),
// valid until Release. A ring has one consumer; a Consumer is not safe for concurrent use.
type Consumer struct {
	_         noCopy
	g         *Ring
	cfg       EndpointConfig
	pid       uint32
	head      uint64 // end of released records
	pubHead   uint64 // head as last published to shared memory
	read      uint64 // position of the next record to read
	closed    bool
	prodWaits bool // a producer waited for room when Read last looked: Release publishes at once
	held      bool // Read returned a record that is not released yet
	stats     Stats
	err       error // attach result, carried out of Guard
}

// NewConsumer attaches the ring's consumer. It refuses while another live process is the
// consumer, and takes over from a dead one: records it read but did not release are delivered
// again.
func (g *Ring) NewConsumer(cfg EndpointConfig) (*Consumer, error) {
	if g.gone() {
		return nil, opError("new consumer", g.region.name, ErrClosed)
	}
	cfg.Unguarded = cfg.Unguarded || g.region.sealed
	c := &Consumer{g: g, cfg: cfg, pid: uint32(os.Getpid())}
	err := g.region.Guard(func() { c.err = c.attach() })
	if err == nil {
		err = c.err
	}
	if err != nil {
		return nil, opError("new consumer", g.region.name, err)
	}
	c.err = nil
	return c, nil
}

func (c *Consumer) attach() error {
	g := c.g
	old := atomic.LoadUint32(g.u32(rConsPID))
	if old != 0 && pidAlive(int(old)) {
		return detailf(ErrState, "ring already has a consumer (pid %d)", old)
	}
	if !atomic.CompareAndSwapUint32(g.u32(rConsPID), old, c.pid) {
		return detailf(ErrState, "another consumer is attaching")
	}
	c.head = atomic.LoadUint64(g.u64(rHead))
	if c.head%recHeader != 0 {
		atomic.StoreUint32(g.u32(rConsPID), 0)
		return detailf(ErrCorrupt, "head %d not a multiple of %d", c.head, recHeader)
	}
	c.pubHead, c.read = c.head, c.head
	if g.mpsc {
		// A consumer that died while zeroing released records leaves their end in rZeroed:
		// finish its work and start after them.
		if z := atomic.LoadUint64(g.u64(rZeroed)); z != c.head && z != 0 {
			if z < c.head || z-c.head > g.capacity || z%recHeader != 0 {
				atomic.StoreUint32(g.u32(rConsPID), 0)
				return detailf(ErrCorrupt, "zeroed position %d, head %d, capacity %d", z, c.head, g.capacity)
			}
			c.head, c.read = z, z
			c.publishHead()
		}
	}
	atomic.StoreUint32(g.u32(rConsGone), 0)
	beat(g.u64(rConsBeat))
	return nil
}

// Read returns the next record, blocking while the ring is empty. The slice points into shared
// memory and stays valid until Release; several records can be read before one Release. Read
// returns an error wrapping ErrClosed once every producer closed and the ring is drained,
// ErrPeerDead if a producer died, and ErrCorrupt for impossible positions or lengths and for
// records a single producer published that are no longer there.
//
// On a named region, as for Producer.Reserve, reading the slice after another process truncated
// the file raises SIGBUS in the caller's code: read it inside Region.Guard when the peers cannot
// be trusted, or use a sealed memfd region.
func (c *Consumer) Read() ([]byte, error) {
	if c.cfg.Unguarded {
		return c.readRecord(true)
	}
	return c.readGuarded(true)
}

// TryRead is Read that returns ErrEmpty instead of blocking.
func (c *Consumer) TryRead() ([]byte, error) {
	if c.cfg.Unguarded {
		return c.readRecord(false)
	}
	return c.readGuarded(false)
}

func (c *Consumer) readGuarded(wait bool) (b []byte, err error) {
	old := guard(&c.cfg)
	defer c.g.unguard(&c.cfg, old, &err)
	return c.readRecord(wait)
}

func (c *Consumer) readRecord(wait bool) ([]byte, error) {
	g := c.g
	if c.closed || g.gone() {
		return nil, opError("read", g.region.name, ErrClosed)
	}
	for {
		b, ok, err := c.next()
		if ok {
			c.prodWaits = atomic.LoadUint32(g.u32(rProdWaiting)) != 0
		}
		if ok || err != nil {
			return b, err
		}
		if g.closed() {
			if b, ok, err := c.next(); ok || err != nil {
				return b, err
			}
			return nil, opError("read", g.region.name, ErrClosed)
		}
		if !wait {
			c.publishHead() // a producer may wait for what was released
			return nil, opError("read", g.region.name, ErrEmpty)
		}
		c.publishHead() // producers can only reuse what they see released
		if err := block(c, &c.cfg, g.u32(rDataSeq), g.u32(rConsWaiting), &c.stats); err != nil {
			return nil, opError("read", g.region.name, err)
		}
	}
}

// next returns the next data record if one is committed, stepping over padding and aborted
// records. It validates every header it reads: the record must lie inside the buffer and leave
// the consumer's unreleased records alone.
func (c *Consumer) next() ([]byte, bool, error) {
	g := c.g
	for {
		hdr := atomic.LoadUint64(g.hdrAt(c.read))
		kind, n, size := decodeRecord(hdr, c.read, g.capacity, g.maxRecord)
		switch {
		case kind == recNone:
			if err := c.missing(); err != nil {
				return nil, false, opError("read", g.region.name, err)
			}
			return nil, false, nil
		case kind == recCorrupt || c.read+size+recHeader-c.head > g.capacity:
			return nil, false, c.corrupt("record header %#x at %d, head %d, capacity %d", hdr, c.read, c.head, g.capacity)
		}
		pos := c.read
		c.read += size
		if kind == recData {
			c.stats.Records++
			c.held = true
			return g.payload(pos, n)[:n:n], true, nil
		}
		if !c.held {
			c.head = c.read // padding and aborted records need no Release
		}
	}
}

func (c *Consumer) corrupt(format string, args ...any) error {
	return opError("read", c.g.region.name, detailf(ErrCorrupt, format, args...))
}

func (c *Consumer) ready() (bool, error) {
	if c.g.closed() {
		return true, nil // let readRecord drain and report ErrClosed
	}
	g := c.g
	kind, _, _ := decodeRecord(atomic.LoadUint64(g.hdrAt(c.read)), c.read, g.capacity, g.maxRecord)
	if kind == recNone {
		return false, c.missing()
	}
	return true, nil
}

// missing reports records a single producer published that are not where the consumer looks,
// called after the consumer found no record at its position. The producer stores its position
// (rTail) after publishing everything below it, so once the consumer has loaded a position above
// its own, the header at its own must be a record: if a fresh load still finds none, another
// process overwrote it. (The first load may predate the publication; only the one after rTail
// counts.) Without this, a zeroed header would leave the consumer waiting for it and the
// producer waiting for room, forever.
func (c *Consumer) missing() error {
	g := c.g
	if g.mpsc {
		return nil
	}
	t := atomic.LoadUint64(g.u64(rTail))
	if t <= c.read {
		return nil
	}
	if kind, _, _ := decodeRecord(atomic.LoadUint64(g.hdrAt(c.read)), c.read, g.capacity, g.maxRecord); kind != recNone {
		return nil // published meanwhile: the caller looks again
	}
	return detailf(ErrCorrupt, "no record at %d, but the producer published up to %d", c.read, t)
}

func (c *Consumer) peerGone() error {
	beat(c.g.u64(rConsBeat))
	pid, err := c.g.deadProducer()
	if err == nil && pid != 0 {
		err = detailf(ErrPeerDead, "producer pid %d", pid)
	}
	return err
}

// Release frees every record returned by Read so far; their slices become invalid. Positions are
// published to producers in batches (a quarter of the capacity), at once if a producer waited for
// room when Read returned the record, before Read blocks and when TryRead finds the ring empty. A
// Release that publishes nothing touches no shared memory.
func (c *Consumer) Release() error {
	c.head, c.held = c.read, false
	if c.head-c.pubHead < c.g.capacity/4 && !c.prodWaits {
		return nil
	}
	if c.g.gone() {
		return opError("release", c.g.region.name, ErrClosed)
	}
	if c.cfg.Unguarded {
		c.publishHead()
		return nil
	}
	return c.publishGuarded()
}

func (c *Consumer) publishGuarded() (err error) {
	old := guard(&c.cfg)
	defer c.g.unguard(&c.cfg, old, &err)
	c.publishHead()
	return nil
}

func (c *Consumer) release() {
	c.head, c.held = c.read, false
	if c.head-c.pubHead >= c.g.capacity/4 || atomic.LoadUint32(c.g.u32(rProdWaiting)) != 0 {
		c.publishHead()
	}
}

func (c *Consumer) publishHead() {
	g := c.g
	c.prodWaits = false
	if c.head != c.pubHead {
		if g.mpsc {
			// Claimed space must read as empty until its header is stored.
			atomic.StoreUint64(g.u64(rZeroed), c.head)
			g.zero(c.pubHead, c.head)
		}
		atomic.StoreUint64(g.u64(rHead), c.head)
		c.pubHead = c.head
	}
	wake(g.u32(rSpaceSeq), g.u32(rProdWaiting), -1, &c.stats)
}

// Recover clears the state left by producers that died: it requires every registered producer
// to be dead (ErrState otherwise), frees their slots, and on an MPSC ring discards space they
// claimed but never committed, with everything claimed after it, and returns the number of bytes
// discarded. Records committed before the gap are still delivered. A single producer's
// unpublished records are lost with it; recovery then only frees its slot. Call Recover after Read
// reports ErrPeerDead, with the other producers stopped.
func (c *Consumer) Recover() (discarded int64, err error) {
	if c.g.gone() {
		return 0, opError("recover", c.g.region.name, ErrClosed)
	}
	old := guard(&c.cfg)
	defer c.g.unguard(&c.cfg, old, &err)
	g := c.g
	for i := range maxProducers {
		if pid := atomic.LoadUint32(g.slot(i)); pid != 0 && pidAlive(int(pid)) {
			return 0, opError("recover", g.region.name, detailf(ErrState, "producer pid %d is alive", pid))
		}
	}
	if g.mpsc {
		claimed := atomic.LoadUint64(g.u64(rTail))
		if claimed < c.read || claimed-c.head > g.capacity {
			return 0, c.corrupt("tail %d, read %d, head %d", claimed, c.read, c.head)
		}
		end := c.read
		for end < claimed {
			kind, _, size := decodeRecord(atomic.LoadUint64(g.hdrAt(end)), end, g.capacity, g.maxRecord)
			if kind == recNone || kind == recCorrupt || end+size > claimed {
				break
			}
			end += size
		}
		g.zero(end, claimed) // no header left there may match a future record
		atomic.StoreUint64(g.u64(rTail), end)
		discarded = int64(claimed - end)
	}
	for i := range maxProducers {
		atomic.StoreUint32(g.slot(i), 0)
	}
	return discarded, nil
}

// Stats returns what the consumer did so far.
func (c *Consumer) Stats() Stats { return c.stats }

// Close publishes the consumer's position and detaches it; a producer blocked on the full ring
// then gets ErrClosed (when its poll timer fires, see EndpointConfig.Poll). Close is idempotent.
// After Region.Close it can only report ErrClosed: the ring still names this process as its
// consumer until the process exits.
func (c *Consumer) Close() (err error) {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.g.gone() {
		return opError("close consumer", c.g.region.name, ErrClosed)
	}
	old := guard(&c.cfg)
	defer c.g.unguard(&c.cfg, old, &err)
	c.publishHead()
	atomic.StoreUint32(c.g.u32(rConsGone), 1)
	atomic.CompareAndSwapUint32(c.g.u32(rConsPID), c.pid, 0)
	wake(c.g.u32(rSpaceSeq), c.g.u32(rProdWaiting), -1, &c.stats)
	return nil
}
