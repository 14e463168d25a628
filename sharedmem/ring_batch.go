package sharedmem

import (
	"sync/atomic"
	"unsafe"
)

// Batch is a run of records of one size reserved by Producer.ReserveBatch, laid out back to back
// in shared memory. Fill Record(0) … Record(Len()-1), then publish a prefix of them with
// CommitBatch. A Batch is a small value; it is invalid after CommitBatch.
type Batch struct {
	data   unsafe.Pointer // payload of record 0
	stride uintptr        // bytes from one record's payload to the next: header plus aligned size
	size   int
	n      int
}

// Len returns the number of records in the batch: at least 1 and at most the number asked for.
func (b Batch) Len() int { return b.n }

// Record returns the payload of record i, a slice of shared memory of the batch's record size. It
// panics, like a slice index, if i is outside [0, Len()).
func (b Batch) Record(i int) []byte {
	if uint(i) >= uint(b.n) {
		panic("sharedmem: Batch.Record index out of range")
	}
	return unsafe.Slice((*byte)(unsafe.Add(b.data, uintptr(i)*b.stride)), b.size)
}

// ReserveBatch reserves up to n records of size bytes each, blocking while the ring has room for
// none. It returns as many as fit without wrapping around the end of the buffer, at least one.
// Fill them and call CommitBatch. Nothing is visible to the consumer before CommitBatch, so a
// producer that dies while filling a batch exposes none of it. A batch needs a single-producer
// ring (ErrState on an MPSC ring).
func (p *Producer) ReserveBatch(n, size int) (b Batch, err error) {
	old := guard(&p.cfg)
	defer p.g.unguard(&p.cfg, old, &err)
	return p.reserveBatch(n, size, true)
}

// TryReserveBatch is ReserveBatch that returns ErrFull instead of blocking.
func (p *Producer) TryReserveBatch(n, size int) (b Batch, err error) {
	old := guard(&p.cfg)
	defer p.g.unguard(&p.cfg, old, &err)
	return p.reserveBatch(n, size, false)
}

func (p *Producer) reserveBatch(n, size int, wait bool) (Batch, error) {
	g := p.g
	switch {
	case p.closed || g.gone():
		return Batch{}, opError("reserve batch", g.region.name, ErrClosed)
	case g.mpsc:
		return Batch{}, opError("reserve batch", g.region.name, detailf(ErrState, "batches need a single-producer ring"))
	case p.reserved:
		return Batch{}, opError("reserve batch", g.region.name, detailf(ErrState, "reserve before the previous commit"))
	case n < 1:
		return Batch{}, opError("reserve batch", g.region.name, detailf(ErrInvalidConfig, "batch of %d records", n))
	case size < 0 || uint64(size) > g.maxRecord:
		return Batch{}, opError("reserve batch", g.region.name, detailf(ErrTooLarge, "record of %d bytes, max %d", size, g.maxRecord))
	}
	stride := recHeader + align8(uint64(size))
	for {
		pos := p.tail
		start := pos // first record, after padding to the buffer's end if one record does not fit
		if room := g.capacity - pos&g.mask; stride > room {
			start += room
		}
		fit := (g.capacity - start&g.mask) / stride // records before the buffer's end
		k := min(uint64(n), fit, p.roomFor(start, stride))
		if k < uint64(n) && k < fit {
			if _, err := p.refreshHead(pos, start-pos+stride); err != nil {
				return Batch{}, opError("reserve batch", g.region.name, err)
			}
			k = min(uint64(n), fit, p.roomFor(start, stride))
		}
		if k == 0 {
			if !wait {
				return Batch{}, opError("reserve batch", g.region.name, p.full())
			}
			p.want = start - pos + stride
			if err := p.waitSpace(pos); err != nil {
				return Batch{}, err
			}
			continue
		}
		p.cur, p.next, p.curN, p.reserved, p.batchN = start, start+k*stride, uint32(size), true, int(k)
		return Batch{data: unsafe.Add(g.data, start&g.mask+recHeader), stride: uintptr(stride), size: size, n: int(k)}, nil
	}
}

// roomFor returns how many records of stride bytes fit from start up to the cached consumer head,
// keeping the word after them free.
func (p *Producer) roomFor(start, stride uint64) uint64 {
	used := start - p.headCache + recHeader
	if used >= p.g.capacity {
		return 0
	}
	return (p.g.capacity - used) / stride
}

// CommitBatch publishes the first k records of the reserved batch (0 ≤ k ≤ Len) and gives up the
// rest. The header of the first record is stored last, with one atomic store, and the consumer
// reaches the others only through it, so it sees all k records or none. The k records count as k commits toward
// EndpointConfig.Batch: with the default, every CommitBatch publishes.
func (p *Producer) CommitBatch(k int) (err error) {
	old := guard(&p.cfg)
	defer p.g.unguard(&p.cfg, old, &err)
	g := p.g
	if g.gone() {
		return opError("commit batch", g.region.name, ErrClosed)
	}
	if !p.reserved || p.batchN == 0 {
		return opError("commit batch", g.region.name, detailf(ErrState, "commit batch without reserve batch"))
	}
	if k < 0 || k > p.batchN {
		return opError("commit batch", g.region.name, detailf(ErrInvalidConfig, "commit of %d records of a batch of %d", k, p.batchN))
	}
	given := k < p.batchN
	p.reserved, p.batchN = false, 0
	if k == 0 {
		p.giveUp()
		return nil
	}
	p.putPadding()
	stride := recHeader + align8(uint64(p.curN))
	pos, plain := p.cur, k
	if !p.hasFirst {
		p.put(pos, makeHeader(pos, p.curN, 0))
		pos += stride
		plain--
	}
	for range plain {
		*g.hdrAt(pos) = makeHeader(pos, p.curN, 0) // visible through the run's first header
		pos += stride
	}
	before := p.stats.Records
	p.stats.Records += uint64(k)
	if before>>10 != p.stats.Records>>10 {
		beat(g.u64(rProdBeat))
	}
	p.tail = pos
	if given {
		p.giveUp()
	}
	if p.pending += k; p.pending >= p.cfg.Batch || atomic.LoadUint32(g.u32(rConsWaiting)) != 0 {
		p.publish()
	}
	p.zeroAhead()
	return nil
}

// ReadBatch calls fn with every record available, in order, blocking while there is none, then
// releases them all (and, as Release does, every record read before). fn's slice points into
// shared memory and is valid only during the call; returning false stops the batch after that
// record. ReadBatch returns how many records it passed to fn, and the same errors as Read: it
// returns ErrClosed only when no record is left. A corrupt record after some good ones ends the
// batch with the good ones delivered and the error.
func (c *Consumer) ReadBatch(fn func(rec []byte) bool) (n int, err error) {
	old := guard(&c.cfg)
	defer c.g.unguard(&c.cfg, old, &err)
	return c.readBatch(fn, true)
}

// TryReadBatch is ReadBatch that returns ErrEmpty instead of blocking.
func (c *Consumer) TryReadBatch(fn func(rec []byte) bool) (n int, err error) {
	old := guard(&c.cfg)
	defer c.g.unguard(&c.cfg, old, &err)
	return c.readBatch(fn, false)
}

func (c *Consumer) readBatch(fn func([]byte) bool, wait bool) (int, error) {
	g := c.g
	if c.closed || g.gone() {
		return 0, opError("read batch", g.region.name, ErrClosed)
	}
	for {
		n, err := c.walk(fn)
		if n > 0 || err != nil {
			c.release()
			return n, err
		}
		if err := c.missing(); err != nil {
			return 0, opError("read batch", g.region.name, err)
		}
		if g.closed() {
			if n, err := c.walk(fn); n > 0 || err != nil {
				c.release()
				return n, err
			}
			return 0, opError("read batch", g.region.name, ErrClosed)
		}
		if !wait {
			c.publishHead() // a producer may wait for what was released
			return 0, opError("read batch", g.region.name, ErrEmpty)
		}
		c.publishHead()
		if err := block(c, &c.cfg, g.u32(rDataSeq), g.u32(rConsWaiting), &c.stats); err != nil {
			return 0, opError("read batch", g.region.name, err)
		}
	}
}

// walk passes the committed records to fn until none is left or fn returns false. It follows
// the headers in a tight loop, checking each against the buffer and the consumer's position
// before fn sees its payload.
func (c *Consumer) walk(fn func([]byte) bool) (int, error) {
	g := c.g
	n, pos := 0, c.read
	// Kept in registers across fn. A record ends at most capacity-recHeader past c.head.
	data, capacity, mask, maxRecord, head, limit := g.data, g.capacity, g.mask, g.maxRecord, c.head, g.capacity-recHeader
	for {
		idx := pos & mask
		hdr := atomic.LoadUint64((*uint64)(unsafe.Add(data, idx)))
		// Fast path, inlined: a data record with the right tag that ends inside the buffer and
		// the ring. Anything else goes through decodeRecord.
		if size := uint64(uint32(hdr)); uint32(hdr>>32) == tagOf(pos) && size <= maxRecord {
			if step := recHeader + align8(size); step <= capacity-idx && pos+step-head <= limit {
				n++
				pos += step
				if !fn(unsafe.Slice((*byte)(unsafe.Add(data, idx+recHeader)), size)) {
					break
				}
				continue
			}
		}
		kind, size, step := decodeRecord(hdr, pos, g.capacity, g.maxRecord)
		if kind == recNone {
			break
		}
		if kind == recCorrupt || pos+step-head > limit {
			c.read = pos
			c.stats.Records += uint64(n)
			return n, c.corrupt("record header %#x at %d, head %d, capacity %d", hdr, pos, c.head, g.capacity)
		}
		rec := pos
		pos += step
		if kind != recData {
			if n == 0 && !c.held {
				c.read, c.head = pos, pos // padding and aborted records need no Release
			}
			continue
		}
		n++
		if !fn(g.payload(rec, size)[:size:size]) {
			break
		}
	}
	c.read = pos
	c.stats.Records += uint64(n)
	return n, nil
}
