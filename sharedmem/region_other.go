//go:build !linux

package sharedmem

import (
	"os"
	"time"
	"unsafe"
)

// Outside Linux, named regions are not supported and anonymous regions live on the Go heap: the
// atomic views and the ring then work between goroutines of one process.

func createNamed(name string, total int, opts Options) (*Region, error) {
	return nil, ErrUnsupported
}

func openNamed(name string, opts Options) (*Region, error) { return nil, ErrUnsupported }

func removeNamed(name string) error { return ErrUnsupported }

func fromFile(f *os.File, opts Options) (*Region, error) { return nil, ErrUnsupported }

func newAnonymous(total int, opts Options) (*Region, error) {
	words := make([]uint64, total/8) // 8-byte aligned backing for the header and 64-bit cells
	mem := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), total)
	h := Header{Version: opts.Version, Tag: opts.Tag, Size: uint64(total), CreatorPID: uint32(os.Getpid()), Created: time.Now().UnixNano()}
	encodeHeader(mem, h)
	return &Region{name: "memfd", mem: mem, hdr: h, sealed: true}, nil // the heap never shrinks
}

// pidAlive cannot tell without platform calls here; the process is assumed alive.
func pidAlive(pid int) bool { return pid > 0 }
