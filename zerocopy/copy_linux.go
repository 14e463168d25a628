package zerocopy

import (
	"errors"
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// The system calls Copy makes, as variables so tests can count them and prove which path ran (the
// standard library does the same in os/zero_copy_linux.go).
var (
	sendfileFn      = unix.Sendfile
	spliceFn        = unix.Splice
	copyFileRangeFn = unix.CopyFileRange
)

const (
	maxChunk  = 1 << 30 // bytes per sendfile or copy_file_range call: well under the kernel's 2 GiB cap
	pipeBytes = 1 << 20 // pipe size asked for splice, and bytes per splice call
)

// kernelCopy runs the kernel path for one source/sink pair. handled is false when the pair has no kernel
// path or the first call said the kernel cannot do it; then n is 0, or the bytes salvaged from a pipe.
func kernelCopy(d sink, s *source) (n int64, path Path, handled bool, err error) {
	switch {
	case s.file != nil:
		if !isRegular(s.file) {
			return 0, PathUserspace, false, nil
		}
		if d.sock != nil {
			n, handled, err = sendfile(d.sock, s)
			return n, PathSendfile, handled, err
		}
		if appendOnly(d.file) {
			return 0, PathUserspace, false, nil // neither call writes to O_APPEND files
		}
		if isRegular(d.file) {
			n, handled, err = copyFileRange(d.file, s)
			return n, PathCopyFileRange, handled, err
		}
		n, handled, err = sendfile(d.file, s) // pipes, character devices
		return n, PathSendfile, handled, err
	case s.sock != nil:
		if d.file != nil && appendOnly(d.file) {
			return 0, PathUserspace, false, nil
		}
		var w syscall.Conn = d.sock
		var fw io.Writer
		if d.file != nil {
			w, fw = d.file, d.file
		} else {
			fw = d.sock.(io.Writer)
		}
		n, handled, err = splice(w, fw, s)
		return n, PathSplice, handled, err
	}
	return 0, PathUserspace, false, nil
}

func isRegular(f interface {
	SyscallConn() (syscall.RawConn, error)
}) bool {
	var st unix.Stat_t
	err := control(f, func(fd int) error { return unix.Fstat(fd, &st) })
	return err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
}

func appendOnly(f syscall.Conn) bool {
	var flags int
	err := control(f, func(fd int) (err error) { flags, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); return err })
	return err != nil || flags&unix.O_APPEND != 0
}

func control(c syscall.Conn, fn func(fd int) error) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// unhandled reports errors that mean "this kernel or file system cannot do it", safe to fall back from
// when no byte has moved yet.
func unhandled(err error) bool {
	switch err {
	case unix.ENOSYS, unix.EINVAL, unix.EOPNOTSUPP, unix.EXDEV, unix.EPERM, unix.EIO:
		return true
	}
	return false
}

// sendfile copies the file range s to dst with sendfile(2), waiting on the poller when dst is full.
func sendfile(dst syscall.Conn, s *source) (n int64, handled bool, err error) {
	handled = true
	remain := s.remain
	if remain == 0 {
		return 0, true, nil
	}
	wc, err := dst.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var callErr error
	err = control(s.file, func(srcFD int) error {
		return wc.Write(func(fd uintptr) bool {
			for remain != 0 {
				chunk := int64(maxChunk)
				if remain > 0 {
					chunk = min(chunk, remain)
				}
				pos := s.off + n
				m, e := sendfileFn(int(fd), srcFD, &pos, int(chunk))
				if m > 0 {
					n += int64(m)
					if remain > 0 {
						remain -= int64(m)
					}
				}
				switch {
				case e == nil && m == 0:
					return true // end of file
				case e == nil, e == unix.EINTR:
				case e == unix.EAGAIN:
					return false // wait until dst can take more
				case n == 0 && (e == unix.ENOSYS || e == unix.EINVAL || e == unix.EOPNOTSUPP):
					handled = false
					return true
				default:
					callErr = e
					return true
				}
			}
			return true
		})
	})
	if err == nil {
		err = callErr
	}
	if err != nil {
		err = &osError{"sendfile", err}
	}
	return n, handled, err
}

// copyFileRange copies the file range s to the end of dst's written data with copy_file_range(2).
func copyFileRange(dst syscall.Conn, s *source) (n int64, handled bool, err error) {
	remain := s.remain
	if remain == 0 {
		return 0, true, nil
	}
	err = control(s.file, func(srcFD int) error {
		return control(dst, func(dstFD int) error {
			for remain != 0 {
				chunk := int64(maxChunk)
				if remain > 0 {
					chunk = min(chunk, remain)
				}
				pos := s.off + n
				m, e := copyFileRangeFn(srcFD, &pos, dstFD, nil, int(chunk), 0)
				switch {
				case e == unix.EINTR:
					continue
				case e != nil:
					return e
				case m == 0:
					if n == 0 { // kernels before 5.19 return 0 for files they cannot copy (procfs)
						return errZeroFirst
					}
					return nil
				}
				n += int64(m)
				if remain > 0 {
					remain -= int64(m)
				}
			}
			return nil
		})
	})
	if n == 0 && (err == errZeroFirst || unhandled(err)) {
		return 0, false, nil
	}
	if err == errZeroFirst {
		err = nil
	}
	if err != nil {
		err = &osError{"copy_file_range", err}
	}
	return n, true, err
}

var errZeroFirst = errors.New("copy_file_range copied nothing")

// splice moves bytes from the socket s.sock to dst through a pipe, ≤ pipeBytes per round. If writing the
// pipe's bytes to dst fails, they are written through fw instead, so no byte read from the socket is lost.
func splice(dst syscall.Conn, fw io.Writer, s *source) (n int64, handled bool, err error) {
	remain := s.remain
	if remain == 0 {
		return 0, true, nil
	}
	rc, err := s.sock.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	wc, err := dst.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return 0, false, nil
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	unix.FcntlInt(uintptr(p[1]), unix.F_SETPIPE_SZ, pipeBytes) // best effort: the default is 64 KiB
	for remain != 0 {
		max := int64(pipeBytes)
		if remain > 0 {
			max = min(max, remain)
		}
		in, err := spliceIn(rc, p[1], int(max))
		if err != nil {
			if n == 0 && err == unix.EINVAL { // the socket type cannot splice; nothing was read
				return 0, false, nil
			}
			return n, true, &osError{"splice", err}
		}
		if in == 0 {
			break // end of stream
		}
		out, err := spliceOut(wc, p[0], in)
		n += int64(out)
		if remain > 0 {
			remain -= int64(out)
		}
		if err != nil {
			saved, serr := salvage(fw, p[0], in-out)
			n += saved
			if n == int64(out+int(saved)) && unhandled(err) && serr == nil {
				return n, false, nil // dst cannot take splice: the caller copies the rest
			}
			return n, true, &osError{"splice", err}
		}
	}
	return n, true, nil
}

// spliceIn moves up to max bytes from the socket into the empty pipe, waiting for the socket to be
// readable. It returns 0 at the end of the stream.
func spliceIn(rc syscall.RawConn, pipeW, max int) (int, error) {
	var in int
	var callErr error
	err := rc.Read(func(fd uintptr) bool {
		for {
			m, e := spliceFn(int(fd), nil, pipeW, nil, max, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			switch e {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			in, callErr = int(m), e
			return true
		}
	})
	if err != nil {
		return 0, err
	}
	return in, callErr
}

// spliceOut moves in bytes from the pipe to dst, waiting for dst to be writable.
func spliceOut(wc syscall.RawConn, pipeR, in int) (int, error) {
	out := 0
	var callErr error
	err := wc.Write(func(fd uintptr) bool {
		for out < in {
			m, e := spliceFn(pipeR, nil, int(fd), nil, in-out, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			if m > 0 {
				out += int(m)
			}
			switch {
			case e == unix.EINTR:
			case e == unix.EAGAIN:
				return false
			case e != nil:
				callErr = e
				return true
			case m == 0:
				callErr = io.ErrShortWrite
				return true
			}
		}
		return true
	})
	if err != nil {
		return out, err
	}
	return out, callErr
}

// salvage reads the bytes left in the pipe and writes them to w.
func salvage(w io.Writer, pipeR, left int) (int64, error) {
	buf := make([]byte, min(left, 64<<10))
	var n int64
	for left > 0 {
		m, err := unix.Read(pipeR, buf[:min(left, len(buf))])
		if err != nil || m <= 0 {
			return n, err
		}
		k, err := w.Write(buf[:m])
		n += int64(k)
		left -= m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// osError names the system call, like os.SyscallError, and keeps errors.Is working on the errno.
type osError struct {
	call string
	err  error
}

func (e *osError) Error() string { return e.call + ": " + e.err.Error() }
func (e *osError) Unwrap() error { return e.err }
