package sharedmem

import (
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"
)

// FuzzDecodeHeader feeds arbitrary bytes to the region header decoder: it must return a header or
// an error wrapping ErrBadHeader, and a header it accepts must encode back to the same bytes.
func FuzzDecodeHeader(f *testing.F) {
	good := make([]byte, HeaderSize)
	encodeHeader(good, Header{Version: 2, Tag: 9, Size: 8192, CreatorPID: 42, Created: 1})
	f.Add(good)
	f.Add(make([]byte, HeaderSize))
	f.Add([]byte("HPATSHM1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHeader(b)
		if err != nil {
			if !errors.Is(err, ErrBadHeader) {
				t.Fatalf("decodeHeader(%x) = %v, want ErrBadHeader", b, err)
			}
			return
		}
		again := make([]byte, HeaderSize)
		encodeHeader(again, h)
		if string(again[:offCRC+4]) != string(b[:offCRC+4]) {
			t.Fatalf("decodeHeader(%x) = %+v, which encodes to %x", b[:offCRC+4], h, again[:offCRC+4])
		}
	})
}

// FuzzDecodeRecord checks that no header word, at any position, decodes to a record that leaves
// the buffer.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(makeHeader(0, 10, 0), uint64(0))
	f.Add(makeHeader(4088, 0, padFlag), uint64(4088))
	f.Add(makeHeader(64, 1<<29, skipFlag), uint64(64))
	f.Add(uint64(0), uint64(0))
	f.Add(uint64(0), uint64(1<<32-tagSalt)<<3) // uint32(pos>>3)+tagSalt wraps to zero here
	f.Fuzz(func(t *testing.T, hdr, pos uint64) {
		const capacity, maxRecord = 4096, 1024
		pos &^= 7
		// A zeroed word ends the committed records: it must never read as one, at any position.
		if kind, _, _ := decodeRecord(0, pos, capacity, maxRecord); kind != recNone {
			t.Fatalf("decodeRecord(0, %d) = kind %d, want recNone", pos, kind)
		}
		kind, n, size := decodeRecord(hdr, pos, capacity, maxRecord)
		idx := pos & (capacity - 1)
		switch kind {
		case recData, recSkip:
			if n > maxRecord || idx+size > capacity || size < recHeader+n {
				t.Fatalf("decodeRecord(%#x, %d) = %d bytes in %d, outside the buffer", hdr, pos, n, size)
			}
		case recPad:
			if idx+size != capacity {
				t.Fatalf("decodeRecord(%#x, %d) = padding of %d not ending at the buffer end", hdr, pos, size)
			}
		}
	})
}

// FuzzRingRead lets a hostile peer choose the whole data area and the released position of a ring:
// the consumer must return records inside the buffer or ErrCorrupt, and never fault.
func FuzzRingRead(f *testing.F) {
	f.Add([]byte{}, uint64(0), false)
	seed := make([]byte, 64)
	binary.LittleEndian.PutUint64(seed, makeHeader(0, 20, 0))
	binary.LittleEndian.PutUint64(seed[32:], makeHeader(32, 8, 0))
	f.Add(seed, uint64(0), false)
	f.Add(seed, uint64(0), true)
	f.Fuzz(func(t *testing.T, data []byte, head uint64, mpsc bool) {
		r, err := NewAnonymous(RingSize(RingConfig{Capacity: 4096}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		g, err := NewRing(r, 0, RingConfig{Capacity: 4096, MaxRecord: 1024, MPSC: mpsc})
		if err != nil {
			t.Fatal(err)
		}
		*g.u64(rHead) = head
		c, err := g.NewConsumer(EndpointConfig{})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) || head%8 == 0 {
				t.Fatalf("NewConsumer() with head %d = %v", head, err)
			}
			return
		}
		copy(unsafeBytes(g.data, 4096), data)
		for range 600 {
			b, err := c.TryRead()
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrEmpty) {
					t.Fatalf("TryRead() = %v, want ErrCorrupt or ErrEmpty", err)
				}
				break
			}
			if len(b) > 1024 {
				t.Fatalf("TryRead() = %d bytes, max record 1024", len(b))
			}
			c.Release()
		}
		c.Close()
	})
}

// FuzzRingReadBatch is FuzzRingRead for ReadBatch: every slice it passes lies inside the data
// area, and a batch ends with ErrCorrupt, ErrEmpty or no error, never a fault.
func FuzzRingReadBatch(f *testing.F) {
	seed := make([]byte, 64)
	binary.LittleEndian.PutUint64(seed, makeHeader(0, 20, 0))
	binary.LittleEndian.PutUint64(seed[32:], makeHeader(32, 8, 0))
	f.Add(seed, uint64(0), false)
	f.Add(seed, uint64(0), true)
	f.Add(seed, uint64(4096), false)
	f.Add(seed, uint64(1<<64-8), true)
	f.Fuzz(func(t *testing.T, data []byte, head uint64, mpsc bool) {
		r, err := NewAnonymous(RingSize(RingConfig{Capacity: 4096}), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		g, err := NewRing(r, 0, RingConfig{Capacity: 4096, MaxRecord: 1024, MPSC: mpsc})
		if err != nil {
			t.Fatal(err)
		}
		*g.u64(rHead) = head &^ 7
		c, err := g.NewConsumer(EndpointConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		copy(unsafeBytes(g.data, 4096), data)
		lo, hi := uintptr(g.data), uintptr(g.data)+4096
		for range 100 {
			_, err := c.TryReadBatch(func(b []byte) bool {
				p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
				if len(b) > 1024 || p < lo || p+uintptr(len(b)) > hi {
					t.Fatalf("TryReadBatch passed %d bytes at data offset %d, outside the buffer", len(b), p-lo)
				}
				return true
			})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrEmpty) {
					t.Fatalf("TryReadBatch() = %v, want ErrCorrupt or ErrEmpty", err)
				}
				break
			}
		}
	})
}
