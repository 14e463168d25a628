package sharedmem

import (
	"encoding/binary"
	"hash/crc32"
)

// HeaderSize is the number of bytes at the start of every region taken by its header. Data (see
// Region.Bytes) starts right after it, so offsets into the data are aligned to 128 bytes relative to
// the mapping, which is page aligned.
const HeaderSize = 128

const (
	headerMagic  = 0x314d485354415048 // "HPATSHM1" read little endian
	headerFormat = 1                  // version of this header layout, not of the user's layout

	offMagic   = 0
	offFormat  = 8
	offVersion = 12
	offSize    = 16
	offTag     = 24
	offPID     = 32
	offCreated = 40
	offCRC     = 48 // CRC-32C of bytes [0, offCRC); written last, so a half-written header fails
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Header is the decoded header of a region.
type Header struct {
	Version    uint32 // layout version chosen by the user at Create
	Tag        uint64 // layout tag chosen by the user at Create
	Size       uint64 // total size of the mapping in bytes, header included
	CreatorPID uint32 // process id of the creator
	Created    int64  // creation time, Unix nanoseconds
}

// encodeHeader writes h into b (at least HeaderSize bytes), checksum included.
func encodeHeader(b []byte, h Header) {
	le := binary.LittleEndian
	le.PutUint64(b[offMagic:], headerMagic)
	le.PutUint32(b[offFormat:], headerFormat)
	le.PutUint32(b[offVersion:], h.Version)
	le.PutUint64(b[offSize:], h.Size)
	le.PutUint64(b[offTag:], h.Tag)
	le.PutUint32(b[offPID:], h.CreatorPID)
	le.PutUint64(b[offCreated:], uint64(h.Created))
	le.PutUint32(b[offCRC:], crc32.Checksum(b[:offCRC], crcTable))
}

// decodeHeader parses and checks the header in b. It never reads past len(b). The returned error
// wraps ErrBadHeader and says which field is wrong.
func decodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, detailf(ErrBadHeader, "header of %d bytes, want at least %d", len(b), HeaderSize)
	}
	le := binary.LittleEndian
	if m := le.Uint64(b[offMagic:]); m != headerMagic {
		if m == 0 {
			return Header{}, detailf(ErrBadHeader, "not initialised (zero magic)")
		}
		return Header{}, detailf(ErrBadHeader, "magic %#x, want %#x", m, uint64(headerMagic))
	}
	if f := le.Uint32(b[offFormat:]); f != headerFormat {
		return Header{}, detailf(ErrBadHeader, "header format %d, want %d", f, headerFormat)
	}
	if got, want := le.Uint32(b[offCRC:]), crc32.Checksum(b[:offCRC], crcTable); got != want {
		return Header{}, detailf(ErrBadHeader, "checksum %#x, want %#x", got, want)
	}
	h := Header{
		Version:    le.Uint32(b[offVersion:]),
		Tag:        le.Uint64(b[offTag:]),
		Size:       le.Uint64(b[offSize:]),
		CreatorPID: le.Uint32(b[offPID:]),
		Created:    int64(le.Uint64(b[offCreated:])),
	}
	if h.Size < HeaderSize {
		return Header{}, detailf(ErrBadHeader, "size %d smaller than the header", h.Size)
	}
	return h, nil
}

// check compares a decoded header with what the opener expects and the size of the file.
func (h Header) check(opts Options, fileSize int64) error {
	if h.Version != opts.Version {
		return detailf(ErrBadHeader, "layout version %d, want %d", h.Version, opts.Version)
	}
	if h.Tag != opts.Tag {
		return detailf(ErrBadHeader, "layout tag %#x, want %#x", h.Tag, opts.Tag)
	}
	if h.Size != uint64(fileSize) {
		return detailf(ErrBadHeader, "header size %d, file size %d", h.Size, fileSize)
	}
	return nil
}
