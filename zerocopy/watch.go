package zerocopy

import (
	"io"
	"os"
	"syscall"
)

// watchedFile stands in for an *os.File handed to code Copy and ServeFile cannot see into. It reads like
// the file and exposes the file's descriptor through SyscallConn, as *os.File does, so net's sendfile
// still takes it; the RawConn it returns measures how far each kernel call moved the file offset. That
// difference is the number of bytes the kernel moved, counted without trusting anyone's report.
type watchedFile struct {
	f      *os.File
	parent *watchedFile // an outer watcher of the same file, told of every byte too
	kernel int64        // bytes moved by the kernel through the descriptor
	user   int64        // bytes returned by Read since the last Seek
}

func (w *watchedFile) count(kernel, user int64) {
	for ; w != nil; w = w.parent {
		w.kernel += kernel
		w.user += user
	}
}

var (
	_ io.ReadSeeker = (*watchedFile)(nil)
	_ syscall.Conn  = (*watchedFile)(nil)
)

func (w *watchedFile) Read(p []byte) (int, error) {
	n, err := w.f.Read(p)
	w.count(0, int64(n))
	return n, err
}

func (w *watchedFile) Seek(off int64, whence int) (int64, error) {
	for p := w; p != nil; p = p.parent {
		p.user = 0
	}
	return w.f.Seek(off, whence)
}

func (w *watchedFile) SyscallConn() (syscall.RawConn, error) {
	rc, err := w.f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return watchedRawConn{rc, w}, nil
}

type watchedRawConn struct {
	syscall.RawConn
	w *watchedFile
}

// Read runs fn, the kernel copy of a reader of the descriptor, and adds the distance the file offset
// moved to the watched count.
func (c watchedRawConn) Read(fn func(fd uintptr) bool) error {
	return c.RawConn.Read(func(fd uintptr) bool {
		before, err := seekFD(fd, 0, io.SeekCurrent)
		done := fn(fd)
		if err == nil {
			if after, err := seekFD(fd, 0, io.SeekCurrent); err == nil && after > before {
				c.w.count(after-before, 0)
			}
		}
		return done
	})
}

// watchFor returns r with a file (plain, watched, or behind one *io.LimitedReader) replaced by a watched
// one, and the watcher; it returns r and nil when there is nothing to watch.
func watchFor(r io.Reader) (io.Reader, *watchedFile) {
	lr, limited := r.(*io.LimitedReader)
	inner := r
	if limited {
		inner = lr.R
	}
	var w *watchedFile
	switch f := inner.(type) {
	case *os.File:
		w = &watchedFile{f: f}
	case *watchedFile:
		w = &watchedFile{f: f.f, parent: f}
	default:
		return r, nil
	}
	if limited {
		return &io.LimitedReader{R: w, N: lr.N}, w
	}
	return w, w
}
