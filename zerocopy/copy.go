package zerocopy

import (
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

// Copy copies from src to dst until EOF or an error, exactly as io.Copy does, and reports which path
// carried the bytes.
//
// On Linux it moves the bytes inside the kernel whenever the pair allows:
//
//   - a regular file (an *os.File, or one behind an *io.LimitedReader or *io.SectionReader) to a TCP or
//     Unix stream socket: sendfile(2), PathSendfile;
//   - such a file to another file: copy_file_range(2), PathCopyFileRange (sendfile to pipes and devices);
//   - a TCP or Unix stream socket to a socket or a file: splice(2) through a pipe, PathSplice.
//
// Any other pair goes through io.Copy, which may still reach sendfile inside the standard library (an
// http.ResponseWriter does when its connection is plain TCP). Copy sees that too: it hands the
// destination a file whose descriptor it watches, and reports PathSendfile when the kernel moved the bytes
// (in Go 1.26 only net's sendfile drives a reader's descriptor that way). A socket source handed to such
// an opaque destination is hidden behind a plain io.Reader, so PathUserspace is never a guess.
//
// The file offset, the LimitedReader's N and the SectionReader's position advance by n, as with io.Copy.
// A kernel call that fails before moving any byte (an old kernel, a file system without support) falls
// back to the user-space copy; once bytes have moved, an error is returned as is.
func Copy(dst io.Writer, src io.Reader) (n int64, path Path, err error) {
	s, ok := sourceOf(src)
	if ok {
		if d, ok := sinkOf(dst); ok {
			n, path, handled, err := kernelCopy(d, &s)
			s.advance(n)
			if handled {
				return n, path, wrapOp(path, err)
			}
			// The kernel said it cannot copy this pair (n holds bytes salvaged from a failed splice):
			// copy the rest in user space, without letting io.Copy try the same kernel call again.
			m, err := io.Copy(dst, readerOnly{src})
			return n + m, PathUserspace, err
		}
	}
	return copyObserved(dst, src, s)
}

// SendFile writes n bytes of f starting at offset off to w, without moving f's own offset. It is meant
// for sockets: when w is a TCP or Unix stream socket the bytes go by sendfile(2). A negative n sends to
// the end of the file. If the file ends before n bytes, the error wraps io.ErrUnexpectedEOF.
func SendFile(w io.Writer, f *os.File, off, n int64) (int64, Path, error) {
	if off < 0 {
		return 0, PathUserspace, fmt.Errorf("zerocopy: sendfile %q: negative offset %d", f.Name(), off)
	}
	size := n
	if n < 0 {
		fi, err := f.Stat()
		if err != nil {
			return 0, PathUserspace, fmt.Errorf("zerocopy: sendfile %q: %w", f.Name(), err)
		}
		size = max(fi.Size()-off, 0)
	}
	written, path, err := Copy(w, io.NewSectionReader(f, off, size))
	if err == nil && n >= 0 && written < n {
		err = fmt.Errorf("zerocopy: sendfile %q: %d of %d bytes: %w", f.Name(), written, n, io.ErrUnexpectedEOF)
	}
	return written, path, err
}

// source is a reader Copy can hand to the kernel: a file range or a stream socket.
type source struct {
	file    *os.File          // a file source (regularity is checked by the platform code)
	off     int64             // where the file range starts
	remain  int64             // bytes to copy; -1 means to EOF
	sock    syscall.Conn      // a stream socket source
	limited *io.LimitedReader // advanced after the copy
	section *io.SectionReader // advanced after the copy
	seeked  bool              // file's own offset is advanced after the copy
}

func sourceOf(r io.Reader) (s source, ok bool) {
	s.remain = -1
	if lr, isLR := r.(*io.LimitedReader); isLR {
		s.limited, s.remain, r = lr, max(lr.N, 0), lr.R
	}
	switch r := r.(type) {
	case *os.File:
		off, err := r.Seek(0, io.SeekCurrent)
		if err != nil { // a pipe or a socket opened as a file: not a file range
			return s, false
		}
		s.file, s.off, s.seeked = r, off, true
	case *io.SectionReader:
		outer, base, size := r.Outer()
		f, isFile := outer.(*os.File)
		if !isFile {
			return s, false
		}
		cur, _ := r.Seek(0, io.SeekCurrent)
		left := max(size-cur, 0)
		if s.remain < 0 || left < s.remain {
			s.remain = left
		}
		s.file, s.off, s.section = f, base+cur, r
	case *net.TCPConn:
		s.sock = r
	case *net.UnixConn:
		if r.LocalAddr().Network() != "unix" { // unixgram and unixpacket keep message boundaries
			return s, false
		}
		s.sock = r
	default:
		return s, false
	}
	return s, true
}

// advance moves the source's position past the n bytes the kernel copied.
func (s *source) advance(n int64) {
	if n <= 0 {
		return
	}
	if s.seeked {
		s.file.Seek(s.off+n, io.SeekStart)
	}
	if s.section != nil {
		s.section.Seek(n, io.SeekCurrent)
	}
	if s.limited != nil {
		s.limited.N -= n
	}
}

// sink is a writer Copy can hand to the kernel.
type sink struct {
	file *os.File     // a file destination
	sock syscall.Conn // a stream socket destination
}

func sinkOf(w io.Writer) (sink, bool) {
	switch w := w.(type) {
	case *os.File:
		return sink{file: w}, true
	case *net.TCPConn:
		return sink{sock: w}, true
	case *net.UnixConn:
		if w.LocalAddr().Network() == "unix" {
			return sink{sock: w}, true
		}
	}
	return sink{}, false
}

// copyObserved is the io.Copy fallback. A plain file source (possibly limited) is handed over behind a
// wrapper that watches its descriptor, so a sendfile deep inside dst is seen; other descriptors are
// hidden so that nothing moves out of sight.
func copyObserved(dst io.Writer, src io.Reader, s source) (int64, Path, error) {
	if s.file != nil && s.section == nil {
		w := &watchedFile{f: s.file}
		var r io.Reader = w
		if s.limited != nil {
			r = &io.LimitedReader{R: w, N: s.limited.N}
		}
		n, err := io.Copy(dst, r)
		if s.limited != nil {
			s.limited.N -= n
		}
		if w.kernel > 0 {
			return n, PathSendfile, err
		}
		return n, PathUserspace, err
	}
	if s.sock != nil {
		src = readerOnly{src}
	} else if _, isConn := src.(syscall.Conn); isConn {
		src = readerOnly{src}
	}
	n, err := io.Copy(dst, src)
	return n, PathUserspace, err
}

// readerOnly hides every method but Read, so io.Copy cannot take a path Copy does not see.
type readerOnly struct{ io.Reader }

func wrapOp(path Path, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("zerocopy: copy by %s: %w", path, err)
}
