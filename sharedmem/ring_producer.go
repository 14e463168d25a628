package sharedmem

import (
	"fmt"
	"os"
	"sync/atomic"
)

// Producer writes records into a ring. Reserve returns a slice of shared memory to fill; Commit
// makes it visible to the consumer. A Producer is not safe for concurrent use: give each goroutine
// its own (on an MPSC ring).
type Producer struct {
	_         noCopy
	g         *Ring
	cfg       EndpointConfig
	pid       uint32
	slot      int
	tail      uint64 // SPSC: end of committed records, published or not
	first     uint64 // SPSC: position of the first unpublished record, whose header publishes the run
	firstHdr  uint64 // its header, stored atomically by publish
	hasFirst  bool
	zeroed    uint64 // SPSC: when above tail, the words of [tail, zeroed) are zero (see zeroAhead)
	headCache uint64 // last head read from shared memory
	cur, next uint64 // reserved record: its position and the position after it
	curN      uint32
	reserved  bool
	batchN    int // records of the reserved batch (ReserveBatch), 0 for none
	pending   int // SPSC: commits not yet published
	closed    bool
	stats     Stats
	want      uint64 // bytes a blocked Reserve needs
	waitPos   uint64 // SPSC: position a blocked Reserve writes at
	err       error  // attach result, carried out of Guard
}

// NewProducer attaches a producer to the ring. In a sealed region (see Region.Sealed) it runs
// unguarded. A single-producer ring refuses a second live
// producer; the slot of a dead one is taken over, continuing after its last published record. An
// MPSC ring accepts up to 16 producers.
func (g *Ring) NewProducer(cfg EndpointConfig) (*Producer, error) {
	if g.gone() {
		return nil, opError("new producer", g.region.name, ErrClosed)
	}
	cfg.Unguarded = cfg.Unguarded || g.region.sealed
	p := &Producer{g: g, cfg: cfg, pid: uint32(os.Getpid())}
	err := g.region.Guard(func() { p.slot, p.tail, p.headCache, p.err = p.attach() })
	p.zeroed = p.tail
	if err == nil {
		err = p.err
	}
	if err != nil {
		return nil, opError("new producer", g.region.name, err)
	}
	p.err = nil
	return p, nil
}

func (p *Producer) attach() (slot int, tail, head uint64, err error) {
	g := p.g
	if !g.mpsc {
		old := atomic.LoadUint32(g.slot(0))
		if old != 0 && pidAlive(int(old)) {
			return 0, 0, 0, detailf(ErrState, "ring already has a producer (pid %d)", old)
		}
		if !atomic.CompareAndSwapUint32(g.slot(0), old, p.pid) {
			return 0, 0, 0, detailf(ErrState, "another producer is attaching")
		}
	} else {
		slot = -1
		for i := range maxProducers {
			if atomic.CompareAndSwapUint32(g.slot(i), 0, p.pid) {
				slot = i
				break
			}
		}
		if slot < 0 {
			return 0, 0, 0, detailf(ErrState, "ring has %d producers already", maxProducers)
		}
	}
	head = atomic.LoadUint64(g.u64(rHead))
	if g.mpsc {
		tail = atomic.LoadUint64(g.u64(rTail))
	} else {
		tail, err = g.committedEnd(head)
	}
	if err == nil && (head%recHeader != 0 || tail < head || tail-head > g.capacity) {
		err = detailf(ErrCorrupt, "tail %d, head %d, capacity %d", tail, head, g.capacity)
	}
	if err != nil {
		atomic.StoreUint32(g.slot(slot), 0)
		return 0, 0, 0, err
	}
	atomic.StoreUint32(g.u32(rClosed), 0)
	beat(g.u64(rProdBeat))
	return slot, tail, head, nil
}

// Reserve returns n bytes of shared memory for the next record, blocking while the ring is full.
// Fill the slice, then call Commit (or Abort). The slice is invalid after Commit. A blocked
// Reserve returns ErrClosed if the consumer closes the ring and ErrPeerDead if it dies (checked
// when the poll timer fires, see EndpointConfig.Poll).
//
// On a named region the slice is shared memory that another process can truncate away: writing to
// it then raises SIGBUS in the caller's own code, which no call of this package can catch. Fill it
// inside Region.Guard when the peers cannot be trusted, or use a sealed memfd region
// (NewAnonymous), which cannot shrink.
func (p *Producer) Reserve(n int) (b []byte, err error) {
	if b, ok := p.fastReserve(n); ok {
		return b, nil
	}
	return p.slowReserve(n)
}

// fastReserve is Reserve for a single producer when the record fits without padding in the room
// known from the last head read: it touches no shared memory, so it needs no fault guard.
func (p *Producer) fastReserve(n int) ([]byte, bool) {
	g := p.g
	if g.mpsc || p.closed || p.reserved || n < 0 || uint64(n) > g.maxRecord || g.gone() {
		return nil, false
	}
	size := recHeader + align8(uint64(n))
	pos := p.tail
	if size > g.capacity-pos&g.mask || pos+size+recHeader-p.headCache > g.capacity {
		return nil, false
	}
	p.cur, p.next, p.curN, p.reserved = pos, pos+size, uint32(n), true
	return g.payload(pos, uint64(n))[:n:n], true
}

func (p *Producer) slowReserve(n int) (b []byte, err error) {
	old := guard(&p.cfg)
	defer p.g.unguard(&p.cfg, old, &err)
	return p.reserve(n, true)
}

// TryReserve is Reserve that returns ErrFull instead of blocking.
func (p *Producer) TryReserve(n int) (b []byte, err error) {
	old := guard(&p.cfg)
	defer p.g.unguard(&p.cfg, old, &err)
	return p.reserve(n, false)
}

func (p *Producer) reserve(n int, wait bool) ([]byte, error) {
	g := p.g
	switch {
	case p.closed || g.gone():
		return nil, opError("reserve", g.region.name, ErrClosed)
	case p.reserved:
		return nil, opError("reserve", g.region.name, detailf(ErrState, "reserve before the previous commit"))
	case n < 0 || uint64(n) > g.maxRecord:
		return nil, opError("reserve", g.region.name, detailf(ErrTooLarge, "record of %d bytes, max %d", n, g.maxRecord))
	}
	size := recHeader + align8(uint64(n))
	for {
		pos := p.tail
		if g.mpsc {
			pos = atomic.LoadUint64(g.u64(rTail))
		}
		room := g.capacity - pos&g.mask
		total := size
		if size > room {
			total = room + size // pad to the end of the buffer, record at the start
		}
		if pos+total+recHeader-p.headCache > g.capacity {
			ok, err := p.refreshHead(pos, total)
			if err != nil {
				return nil, opError("reserve", g.region.name, err)
			}
			if !ok {
				if !wait {
					return nil, opError("reserve", g.region.name, p.full())
				}
				p.want = total
				if err := p.waitSpace(pos); err != nil {
					return nil, err
				}
				continue
			}
		}
		if g.mpsc && !atomic.CompareAndSwapUint64(g.u64(rTail), pos, pos+total) {
			continue
		}
		if total != size {
			if g.mpsc {
				atomic.StoreUint64(g.hdrAt(pos), makeHeader(pos, uint32(room-recHeader), padFlag))
			} // a single producer writes the padding when it commits the record (p.cur > p.tail)
			pos += room
		}
		p.cur, p.next, p.curN, p.reserved = pos, pos+size, uint32(n), true
		return g.payload(pos, uint64(n))[:n:n], nil
	}
}

// refreshHead re-reads the consumer's position, validating it against pos, and reports whether
// total bytes, and the word after them, now fit.
func (p *Producer) refreshHead(pos, total uint64) (bool, error) {
	g := p.g
	head := atomic.LoadUint64(g.u64(rHead))
	if head > pos || pos-head > g.capacity {
		if !g.mpsc {
			return false, detailf(ErrCorrupt, "head %d, tail %d, capacity %d", head, pos, g.capacity)
		}
		// pos may be stale: other producers claimed and the consumer consumed meanwhile.
		if t := atomic.LoadUint64(g.u64(rTail)); head > t || t-head > g.capacity {
			return false, detailf(ErrCorrupt, "head %d, tail %d, capacity %d", head, t, g.capacity)
		}
		p.headCache = head
		return true, nil // retry with the current tail
	}
	p.headCache = head
	return pos+total+recHeader-head <= g.capacity, nil
}

// full is what a TryReserve that finds no room returns: ErrClosed if the consumer closed the
// ring, ErrFull otherwise. A single producer first publishes what it has, since the consumer can
// only free what it sees.
func (p *Producer) full() error {
	p.publishAll()
	if atomic.LoadUint32(p.g.u32(rConsGone)) != 0 {
		return detailf(ErrClosed, "the consumer closed the ring")
	}
	return ErrFull
}

// publishAll publishes a single producer's pending commits and stores its position in rTail, so
// that the consumer can tell a record that is missing from one not yet published (see
// Consumer.missing). It runs only where the producer stops: on a full ring and on Close.
func (p *Producer) publishAll() {
	g := p.g
	if g.mpsc {
		return
	}
	if p.pending > 0 {
		p.publish()
	}
	if atomic.LoadUint64(g.u64(rTail)) != p.tail {
		atomic.StoreUint64(g.u64(rTail), p.tail)
		wake(g.u32(rDataSeq), g.u32(rConsWaiting), 1, &p.stats) // a sleeping consumer re-checks
	}
}

// waitSpace blocks until the consumer frees room; a single producer first publishes what it has,
// since the consumer can only free what it sees.
func (p *Producer) waitSpace(pos uint64) error {
	g := p.g
	p.publishAll()
	p.waitPos = pos
	beat(g.u64(rProdBeat))
	if err := block(p, &p.cfg, g.u32(rSpaceSeq), g.u32(rProdWaiting), &p.stats); err != nil {
		return opError("reserve", g.region.name, err)
	}
	return nil
}

func (p *Producer) ready() (bool, error) {
	pos := p.waitPos
	if p.g.mpsc {
		pos = atomic.LoadUint64(p.g.u64(rTail))
	}
	return p.refreshHead(pos, p.want)
}

func (p *Producer) peerGone() error {
	g := p.g
	beat(g.u64(rProdBeat))
	if atomic.LoadUint32(g.u32(rConsGone)) != 0 {
		return detailf(ErrClosed, "the consumer closed the ring")
	}
	pid := atomic.LoadUint32(g.u32(rConsPID))
	if err := checkPID("consumer", pid); err != nil {
		return err
	}
	if pid != 0 && !pidAlive(int(pid)) {
		return detailf(ErrPeerDead, "consumer pid %d", pid)
	}
	return nil
}

// put writes the header of a committed record. An MPSC header is stored atomically at once; a
// single producer holds back the first header of a run for publish and writes the others plainly.
func (p *Producer) put(pos, hdr uint64) {
	switch {
	case p.g.mpsc:
		atomic.StoreUint64(p.g.hdrAt(pos), hdr)
	case !p.hasFirst:
		p.first, p.firstHdr, p.hasFirst = pos, hdr, true
	default:
		*p.g.hdrAt(pos) = hdr // visible through the first header of the run
	}
}

// putPadding writes the padding a single producer's reservation at p.cur skipped, if any.
func (p *Producer) putPadding() {
	if p.cur != p.tail {
		p.put(p.tail, makeHeader(p.tail, uint32(p.cur-p.tail-recHeader), padFlag))
	}
}

// Commit makes the reserved record visible to the consumer (for a single producer with Batch > 1,
// at the next publication).
func (p *Producer) Commit() error {
	if p.cfg.Unguarded {
		return p.commit(0)
	}
	return p.commitGuarded(0)
}

// Abort gives up the reserved record: the consumer never sees it.
func (p *Producer) Abort() error { return p.commitGuarded(skipFlag) }

func commitAction(flags uint32) string {
	if flags&skipFlag != 0 {
		return "abort"
	}
	return "commit"
}

func (p *Producer) commitGuarded(flags uint32) (err error) {
	old := guard(&p.cfg)
	defer p.g.unguard(&p.cfg, old, &err)
	return p.commit(flags)
}

func (p *Producer) commit(flags uint32) error {
	g := p.g
	if g.gone() {
		return opError(commitAction(flags), g.region.name, ErrClosed)
	}
	if !p.reserved || p.batchN > 0 {
		return opError(commitAction(flags), g.region.name, detailf(ErrState, "%s without reserve", commitAction(flags)))
	}
	p.reserved = false
	if !g.mpsc {
		p.putPadding()
	}
	p.put(p.cur, makeHeader(p.cur, p.curN, flags))
	if p.stats.Records++; p.stats.Records&1023 == 0 {
		beat(g.u64(rProdBeat))
	}
	if g.mpsc {
		wake(g.u32(rDataSeq), g.u32(rConsWaiting), 1, &p.stats)
		return nil
	}
	p.tail = p.next
	if p.pending++; p.pending >= p.cfg.Batch || atomic.LoadUint32(g.u32(rConsWaiting)) != 0 {
		p.publish()
	}
	p.zeroAhead()
	return nil
}

// publish makes all committed records visible with one atomic store and wakes a sleeping consumer:
// it zeroes the word after them, where the consumer stops, then stores the run's first header.
func (p *Producer) publish() {
	g := p.g
	p.pending = 0
	if !p.hasFirst {
		return
	}
	if p.tail >= p.zeroed {
		*g.hdrAt(p.tail) = 0
	}
	atomic.StoreUint64(g.hdrAt(p.first), p.firstHdr)
	p.hasFirst = false
	wake(g.u32(rDataSeq), g.u32(rConsWaiting), 1, &p.stats)
}

// zeroAheadHook, set by tests, runs when zeroAhead is about to zero: after a publication, in the
// window where a concurrent consumer may already read the published records.
var zeroAheadHook func()

// zeroAheadBytes is how far ahead of its records a single producer keeps the ring zeroed.
const zeroAheadBytes = 1024

// zeroAhead zeroes free space ahead of a single producer's records, after a commit. The word after
// a run must be zero before the run's first header is stored; zeroed in advance, it needs no store
// then, and the cache lines the next records go to are already owned by this core, so that
// neither costs a transfer between cores while the consumer waits for the record. Only free
// space is zeroed: positions below the consumer's last known position plus the capacity.
func (p *Producer) zeroAhead() {
	if p.g.mpsc || p.zeroed >= p.tail+zeroAheadBytes/2 {
		return
	}
	if zeroAheadHook != nil {
		zeroAheadHook()
	}
	from := max(p.zeroed, p.tail)
	to := min(p.tail+zeroAheadBytes, p.headCache+p.g.capacity)
	if to > from {
		p.g.zero(from, to)
		p.zeroed = to
	}
}

// giveUp is called when reserved space beyond the tail is given up (part of a batch, or a whole
// one): the caller may have written there, so the space ahead of the tail is no longer known to
// be zero, and the next publication must zero the word after its run.
func (p *Producer) giveUp() {
	p.zeroed = min(p.zeroed, p.tail)
}

// Flush publishes the records committed since the last publication (single producer with Batch > 1).
func (p *Producer) Flush() (err error) {
	if p.g.gone() {
		return opError("flush", p.g.region.name, ErrClosed)
	}
	old := guard(&p.cfg)
	defer p.g.unguard(&p.cfg, old, &err)
	if !p.g.mpsc && p.pending > 0 {
		p.publish()
	}
	return nil
}

// Close flushes, aborts a record still reserved and detaches the producer. When the last producer
// closes, the consumer's Read returns ErrClosed once the ring is drained. Close is idempotent.
func (p *Producer) Close() (err error) {
	if p.closed {
		return nil
	}
	if p.g.gone() {
		p.closed = true
		return opError("close producer", p.g.region.name, ErrClosed)
	}
	old := guard(&p.cfg)
	defer p.g.unguard(&p.cfg, old, &err)
	if p.batchN > 0 {
		p.reserved, p.batchN = false, 0 // nothing of it was published
		p.giveUp()
	}
	if p.reserved {
		p.commit(skipFlag)
	}
	p.publishAll()
	p.closed = true
	g := p.g
	atomic.CompareAndSwapUint32(g.slot(p.slot), p.pid, 0)
	if g.producersAttached() {
		return nil
	}
	atomic.StoreUint32(g.u32(rClosed), 1)
	// A producer attaching meanwhile stores rClosed = 0 after taking its slot; if it took the
	// slot before this store, undo it here (the consumer also checks the slots, see closed).
	if g.producersAttached() {
		atomic.StoreUint32(g.u32(rClosed), 0)
	}
	atomic.AddUint32(g.u32(rDataSeq), 1)
	futexWake(g.u32(rDataSeq), 1)
	return nil
}

// Stats returns what the producer did so far. Aborted records count as records.
func (p *Producer) Stats() Stats { return p.stats }

// String describes the producer for logs.
func (p *Producer) String() string {
	return fmt.Sprintf("sharedmem.Producer{region: %q, pid: %d, slot: %d}", p.g.region.name, p.pid, p.slot)
}
