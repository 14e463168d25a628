package sharedmem

// Record framing inside a ring's data area. Every record starts at an 8-byte aligned position with
// an 8-byte header: the low 32 bits hold the payload length (bit 31 marks padding that skips to the
// end of the buffer), the high 32 bits hold a tag derived from the record's position. A header only
// counts when its tag matches the position being read, so zeroed memory, bytes left from an earlier
// lap and a torn write all read as "no record here".

const (
	recHeader = 8
	padFlag   = 1 << 31 // padding up to the end of the buffer
	skipFlag  = 1 << 30 // an aborted record: the consumer steps over it
	flagMask  = padFlag | skipFlag

	maxRecordLimit = skipFlag - 1
	tagSalt        = 0x9e3779b9 // spreads tags, so that small positions do not carry small tags
)

// tagOf is the tag a header at position pos must carry. It is never zero, so a zeroed word never
// reads as a record: the end of a ring's committed records is marked by zeroing the word after
// them (a single producer) or by the consumer zeroing what it released (MPSC).
func tagOf(pos uint64) uint32 {
	t := uint32(pos>>3) + tagSalt
	if t == 0 {
		t = 1 // the tag of pos+8, which never shares a header slot with pos
	}
	return t
}

// makeHeader returns the header word for a record of n bytes (or padding if pad) at pos.
func makeHeader(pos uint64, n uint32, flags uint32) uint64 {
	return uint64(n|flags) | uint64(tagOf(pos))<<32
}

// align8 rounds n up to a multiple of 8.
func align8(n uint64) uint64 { return (n + 7) &^ 7 }

// recordKind classifies a decoded header.
type recordKind int

const (
	recNone    recordKind = iota // no committed record at this position (yet)
	recData                      // a record of n payload bytes
	recPad                       // padding of n bytes after the header, up to the buffer's end
	recSkip                      // an aborted record of n bytes, to step over
	recCorrupt                   // a header with the right tag but an impossible length
)

// decodeRecord checks the header word hdr read at position pos of a ring with capacity bytes and
// records of at most maxRecord bytes. It returns the kind, the payload length and the number of
// bytes the record occupies (header, payload and alignment). It never trusts hdr: a length that
// would cross the end of the buffer is recCorrupt.
func decodeRecord(hdr, pos, capacity, maxRecord uint64) (kind recordKind, n, size uint64) {
	if uint32(hdr>>32) != tagOf(pos) {
		return recNone, 0, 0
	}
	idx := pos & (capacity - 1)
	room := capacity - idx // bytes from pos to the end of the buffer, header included
	n = uint64(uint32(hdr) &^ flagMask)
	switch uint32(hdr) & flagMask {
	case padFlag:
		if n+recHeader != room {
			return recCorrupt, n, 0
		}
		return recPad, n, room
	case flagMask:
		return recCorrupt, n, 0
	}
	size = recHeader + align8(n)
	if n > maxRecord || size > room {
		return recCorrupt, n, 0
	}
	if uint32(hdr)&skipFlag != 0 {
		return recSkip, n, size
	}
	return recData, n, size
}
