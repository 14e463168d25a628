package sharedmem

import (
	"math/bits"
	"sync/atomic"
	"time"
	"unsafe"
)

// How a record becomes visible. Records are read in order by following their headers: the
// consumer loads the header word at its position and takes the record when the word carries the
// tag of that position. It never reads a separate published position first, which would cost a
// cache line transfer between cores per record on top of the record's own lines.
//
// A single producer publishes a run of commits (one, or EndpointConfig.Batch, or a ReserveBatch)
// by writing every header but the first with plain stores, zeroing the word after the run, and
// then storing the first header atomically. The consumer reaches the other headers only through
// the first one, so they and their payloads are visible to it; the zeroed word stops it at the
// run's end until the next run, whatever an earlier lap left there. The producer therefore keeps
// 8 bytes free after its records (recHeader of slack in every space check). It zeroes free space
// ahead of its records after each commit (zeroAhead), so that the word after a run is usually
// zero already and the lines of the next records are already its own when a record is on the way.
//
// MPSC producers claim space with a compare-and-swap on rTail and store each header atomically
// after its payload. Claimed but uncommitted space holds whatever the consumer left there, so the
// consumer zeroes released bytes before it publishes its position.
//
// Ring layout at its offset in a region. Each group of fields written by one side has its own
// 128-byte block, so the producer's and the consumer's writes never share a cache line (128, not
// 64, because some Intel parts prefetch lines in adjacent pairs).
const (
	lineSize = 128

	ringMagic   = 0x474e4952 // "RING"
	ringVersion = 2

	// block 0, written once by NewRing
	rMagic     = 0
	rVersion   = 4
	rCapacity  = 8
	rMode      = 16
	rMaxRecord = 20
	// block 1, producer side
	// MPSC: end of claimed space. A single producer keeps its position private and stores it
	// here only when it blocks on a full ring or closes: every record below it is published
	// then, so a consumer that finds no record below it knows the ring is corrupt.
	rTail     = 1 * lineSize
	rProdBeat = rTail + 8 // last producer heartbeat, Unix nanoseconds
	// block 2, consumer side
	rHead     = 2 * lineSize // end of released records
	rConsPID  = rHead + 8
	rConsBeat = rHead + 16
	rZeroed   = rHead + 24 // MPSC: released position whose bytes the consumer is zeroing
	rConsGone = rHead + 32 // 1 once the consumer closed, 0 again when one attaches
	// block 3, the consumer's sleep
	rDataSeq     = 3 * lineSize // futex word bumped by a producer that wakes the consumer
	rConsWaiting = rDataSeq + 4 // 1 while the consumer sleeps or is about to
	// block 4, the producers' sleep
	rSpaceSeq    = 4 * lineSize
	rProdWaiting = rSpaceSeq + 4
	// block 5, producer registry and close flag (written on attach and close only)
	rProdSlots = 5 * lineSize // maxProducers uint32 pids
	rClosed    = rProdSlots + 4*maxProducers

	ringHeaderSize = 6 * lineSize

	maxProducers = 16

	modeSPSC = 1
	modeMPSC = 2
)

// RingConfig describes a ring's layout. The zero value is a 1 MiB single-producer ring.
type RingConfig struct {
	// Capacity is the size of the data area in bytes: a power of two, at least 4096. Zero means
	// 1 MiB.
	Capacity int
	// MaxRecord is the largest record in bytes; at most Capacity/2-8 so a record always fits after
	// padding, and below 1 GiB. Zero means Capacity/4, or 1 GiB - 1 for rings of 4 GiB and more.
	MaxRecord int
	// MPSC lets several producers (goroutines or processes) share the ring, claiming space with a
	// compare-and-swap and committing records one by one. Otherwise the ring has one producer,
	// which publishes its position in batches.
	MPSC bool
}

func (c RingConfig) normalize() (RingConfig, error) {
	if c.Capacity == 0 {
		c.Capacity = 1 << 20
	}
	if c.Capacity < 4096 || c.Capacity > 1<<40 || bits.OnesCount64(uint64(c.Capacity)) != 1 {
		return c, detailf(ErrInvalidConfig, "ring capacity %d, want a power of two in [4096, 2^40]", c.Capacity)
	}
	if c.MaxRecord == 0 {
		c.MaxRecord = min(c.Capacity/4, maxRecordLimit)
	}
	if limit := min(c.Capacity/2-recHeader, maxRecordLimit); c.MaxRecord < 0 || c.MaxRecord > limit {
		return c, detailf(ErrInvalidConfig, "max record %d, want at most %d", c.MaxRecord, limit)
	}
	return c, nil
}

// RingSize returns the number of region bytes a ring with cfg occupies: its control blocks plus
// its capacity. It returns 0 for a config that NewRing would refuse.
func RingSize(cfg RingConfig) int {
	cfg, err := cfg.normalize()
	if err != nil {
		return 0
	}
	return ringHeaderSize + cfg.Capacity
}

// Ring is a ring of variable-length records in a region, shared by processes or goroutines that map
// the region. Get a Producer and a Consumer from it. A Ring value itself is safe for concurrent use;
// the layout parameters are read from shared memory once, when the Ring is made, and never again.
type Ring struct {
	_         noCopy
	region    *Region
	base      unsafe.Pointer // control blocks
	data      unsafe.Pointer // data area
	capacity  uint64
	mask      uint64
	maxRecord uint64
	mpsc      bool
}

// NewRing formats a ring at data offset off of region r (a multiple of 128), overwriting what was
// there. Only one process formats; the others call OpenRing.
func NewRing(r *Region, off int, cfg RingConfig) (*Ring, error) {
	if r == nil {
		return nil, opError("new ring", "", detailf(ErrInvalidConfig, "nil region"))
	}
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, opError("new ring", r.name, err)
	}
	g, err := r.ringAt(off, cfg.Capacity)
	if err != nil {
		return nil, opError("new ring", r.name, err)
	}
	err = r.Guard(func() {
		clear(unsafe.Slice((*byte)(g.base), ringHeaderSize+cfg.Capacity))
		*g.u32(rVersion) = ringVersion
		*g.u64(rCapacity) = uint64(cfg.Capacity)
		*g.u32(rMaxRecord) = uint32(cfg.MaxRecord)
		*g.u32(rMode) = modeSPSC
		if cfg.MPSC {
			*g.u32(rMode) = modeMPSC
		}
		atomic.StoreUint32(g.u32(rMagic), ringMagic) // last: openers check it first
	})
	if err != nil {
		return nil, err
	}
	g.capacity, g.mask, g.maxRecord, g.mpsc = uint64(cfg.Capacity), uint64(cfg.Capacity-1), uint64(cfg.MaxRecord), cfg.MPSC
	return g, nil
}

// OpenRing attaches to a ring that NewRing formatted at data offset off of region r, validating
// its layout against the region's size.
func OpenRing(r *Region, off int) (*Ring, error) {
	if r == nil {
		return nil, opError("open ring", "", detailf(ErrInvalidConfig, "nil region"))
	}
	g, err := r.ringAt(off, 0)
	if err != nil {
		return nil, opError("open ring", r.name, err)
	}
	var magic, version, mode, maxRec uint32
	var capacity uint64
	err = r.Guard(func() {
		magic, version = atomic.LoadUint32(g.u32(rMagic)), *g.u32(rVersion)
		capacity, mode, maxRec = *g.u64(rCapacity), *g.u32(rMode), *g.u32(rMaxRecord)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case magic != ringMagic:
		err = detailf(ErrCorrupt, "ring magic %#x, want %#x", magic, ringMagic)
	case version != ringVersion:
		err = detailf(ErrCorrupt, "ring version %d, want %d", version, ringVersion)
	case mode != modeSPSC && mode != modeMPSC:
		err = detailf(ErrCorrupt, "ring mode %d", mode)
	case capacity == 0 || capacity > 1<<40 || maxRec == 0:
		err = detailf(ErrCorrupt, "ring capacity %d, max record %d", capacity, maxRec)
	default:
		cfg := RingConfig{Capacity: int(capacity), MaxRecord: int(maxRec), MPSC: mode == modeMPSC}
		if _, err = cfg.normalize(); err == nil {
			_, err = r.ringAt(off, cfg.Capacity)
		}
	}
	if err != nil {
		return nil, opError("open ring", r.name, err)
	}
	g.capacity, g.mask, g.maxRecord, g.mpsc = capacity, capacity-1, uint64(maxRec), mode == modeMPSC
	return g, nil
}

// ringAt checks that a ring of capacity bytes fits at off and returns it with pointers set.
func (r *Region) ringAt(off, capacity int) (*Ring, error) {
	if r.closed.Load() {
		return nil, ErrClosed
	}
	if off%lineSize != 0 {
		return nil, detailf(ErrMisaligned, "ring at offset %d, want a multiple of %d", off, lineSize)
	}
	if off < 0 || off > r.Len() || ringHeaderSize+capacity > r.Len()-off {
		return nil, detailf(ErrInvalidConfig, "ring of %d bytes at offset %d outside %d data bytes", ringHeaderSize+capacity, off, r.Len())
	}
	base := unsafe.Pointer(&r.mem[HeaderSize+off])
	return &Ring{region: r, base: base, data: unsafe.Add(base, ringHeaderSize)}, nil
}

func (g *Ring) u32(off uintptr) *uint32 { return (*uint32)(unsafe.Add(g.base, off)) }
func (g *Ring) u64(off uintptr) *uint64 { return (*uint64)(unsafe.Add(g.base, off)) }

// hdrAt returns the header word of the record at position pos.
func (g *Ring) hdrAt(pos uint64) *uint64 { return (*uint64)(unsafe.Add(g.data, pos&g.mask)) }

// payload returns the n bytes after the header at pos.
func (g *Ring) payload(pos, n uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(g.data, pos&g.mask+recHeader)), n)
}

// Capacity returns the size of the data area in bytes.
func (g *Ring) Capacity() int { return int(g.capacity) }

// MaxRecord returns the largest record the ring accepts.
func (g *Ring) MaxRecord() int { return int(g.maxRecord) }

// PeerInfo describes one end of a ring as recorded in shared memory.
type PeerInfo struct {
	PID      int       // process id, 0 if none attached
	Alive    bool      // the process exists and is not a zombie
	LastBeat time.Time // the last heartbeat: producers beat every 1024 commits and while blocked
}

// Producers returns the producers attached to the ring (none once the region is closed).
func (g *Ring) Producers() []PeerInfo {
	var out []PeerInfo
	if g.gone() {
		return nil
	}
	beat := time.Unix(0, atomic.LoadInt64((*int64)(unsafe.Pointer(g.u64(rProdBeat)))))
	for i := range maxProducers {
		if pid := int(atomic.LoadUint32(g.slot(i))); pid != 0 {
			out = append(out, PeerInfo{PID: pid, Alive: pidAlive(pid), LastBeat: beat})
		}
	}
	return out
}

// ConsumerInfo returns the consumer attached to the ring (the zero PeerInfo once the region is
// closed).
func (g *Ring) ConsumerInfo() PeerInfo {
	if g.gone() {
		return PeerInfo{}
	}
	pid := int(atomic.LoadUint32(g.u32(rConsPID)))
	beat := time.Unix(0, atomic.LoadInt64((*int64)(unsafe.Pointer(g.u64(rConsBeat)))))
	return PeerInfo{PID: pid, Alive: pid != 0 && pidAlive(pid), LastBeat: beat}
}

func (g *Ring) slot(i int) *uint32 { return g.u32(rProdSlots + uintptr(4*i)) }

// gone reports whether the ring's region was closed in this process: its memory is no longer
// shared, and every call returns ErrClosed.
func (g *Ring) gone() bool { return g.region.closed.Load() }

// pidLimit is the largest pid Linux can hand out (PID_MAX_LIMIT on 64-bit): a larger one read
// from shared memory was written by a buggy or hostile process.
const pidLimit = 1 << 22

// checkPID returns ErrCorrupt for a pid that no process can have.
func checkPID(who string, pid uint32) error {
	if pid > pidLimit {
		return detailf(ErrCorrupt, "%s pid %d, above the limit %d", who, pid, pidLimit)
	}
	return nil
}

// producersAttached reports whether any producer slot is taken.
func (g *Ring) producersAttached() bool {
	for i := range maxProducers {
		if atomic.LoadUint32(g.slot(i)) != 0 {
			return true
		}
	}
	return false
}

// closed reports whether the last producer closed the ring: the flag is set and no producer is
// attached (one attaching while the last one closes may briefly leave the flag set).
func (g *Ring) closed() bool {
	return atomic.LoadUint32(g.u32(rClosed)) != 0 && !g.producersAttached()
}

// deadProducer returns the pid of a registered producer that no longer runs, or 0, and
// ErrCorrupt for a pid no process can have.
func (g *Ring) deadProducer() (int, error) {
	for i := range maxProducers {
		pid := atomic.LoadUint32(g.slot(i))
		if err := checkPID("producer", pid); err != nil {
			return 0, err
		}
		if pid != 0 && !pidAlive(int(pid)) {
			return int(pid), nil
		}
	}
	return 0, nil
}

// committedEnd follows the record headers from head, the consumer's published position, to the
// end of the committed records: where a single producer that attaches continues. Records a dead
// producer committed but never published end there, unseen.
func (g *Ring) committedEnd(head uint64) (uint64, error) {
	if head%recHeader != 0 {
		return 0, detailf(ErrCorrupt, "head %d not a multiple of %d", head, recHeader)
	}
	for pos := head; ; {
		hdr := atomic.LoadUint64(g.hdrAt(pos))
		kind, _, size := decodeRecord(hdr, pos, g.capacity, g.maxRecord)
		switch {
		case kind == recNone:
			return pos, nil
		case kind == recCorrupt || pos+size+recHeader-head > g.capacity:
			return 0, detailf(ErrCorrupt, "record header %#x at %d, head %d, capacity %d", hdr, pos, head, g.capacity)
		}
		pos += size
	}
}

func beat(p *uint64) { atomic.StoreUint64(p, uint64(time.Now().UnixNano())) }

// zero clears the data bytes of positions [from, to), wrapping around the buffer's end.
func (g *Ring) zero(from, to uint64) {
	for p := from; p < to; {
		idx := p & g.mask
		n := min(to-p, g.capacity-idx)
		clear(unsafe.Slice((*byte)(unsafe.Add(g.data, idx)), n))
		p += n
	}
}
