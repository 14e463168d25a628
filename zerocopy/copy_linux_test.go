package zerocopy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// calls counts the system calls Copy made through its seam.
type calls struct{ sendfile, splice, copyFileRange atomic.Int64 }

// countCalls routes the seam through counters for the rest of the test. inject, when set, makes every
// call of that name fail with the error before it reaches the kernel.
func countCalls(t *testing.T, inject string, injectErr error) *calls {
	t.Helper()
	c := &calls{}
	sf, sp, cfr := sendfileFn, spliceFn, copyFileRangeFn
	t.Cleanup(func() { sendfileFn, spliceFn, copyFileRangeFn = sf, sp, cfr })
	sendfileFn = func(out, in int, off *int64, n int) (int, error) {
		c.sendfile.Add(1)
		if inject == "sendfile" {
			return 0, injectErr
		}
		return sf(out, in, off, n)
	}
	spliceFn = func(in int, inOff *int64, out int, outOff *int64, n int, flags int) (int64, error) {
		c.splice.Add(1)
		if inject == "splice" {
			return 0, injectErr
		}
		return sp(in, inOff, out, outOff, n, flags)
	}
	copyFileRangeFn = func(in int, inOff *int64, out int, outOff *int64, n int, flags int) (int, error) {
		c.copyFileRange.Add(1)
		if inject == "copy_file_range" {
			return 0, injectErr
		}
		return cfr(in, inOff, out, outOff, n, flags)
	}
	return c
}

func TestCopyPaths(t *testing.T) {
	const size = 3<<20 + 123 // more than one splice round, not a multiple of any chunk
	data := payload(size)
	tests := []struct {
		name     string
		inject   string // system call made to fail with ENOSYS
		run      func(t *testing.T) (n int64, p Path, err error, got []byte)
		want     []byte
		wantPath Path
		wantCall string // the seam that must have been called ("" for none)
	}{
		{name: "file to tcp", want: data, wantPath: PathSendfile, wantCall: "sendfile",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				a, b := connPair(t, "tcp")
				wait := drain(b)
				n, p, err := Copy(a, tempFile(t, data))
				a.Close()
				return n, p, err, wait()
			}},
		{name: "file to unix", want: data, wantPath: PathSendfile, wantCall: "sendfile",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				a, b := connPair(t, "unix")
				wait := drain(b)
				n, p, err := Copy(a, tempFile(t, data))
				a.Close()
				return n, p, err, wait()
			}},
		{name: "limited file to tcp", want: data[:1000], wantPath: PathSendfile, wantCall: "sendfile",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				a, b := connPair(t, "tcp")
				wait := drain(b)
				lr := &io.LimitedReader{R: tempFile(t, data), N: 1000}
				n, p, err := Copy(a, lr)
				a.Close()
				if lr.N != 0 {
					t.Errorf("LimitedReader.N = %d after Copy, want 0", lr.N)
				}
				return n, p, err, wait()
			}},
		{name: "section of file to tcp", want: data[100 : 100+5000], wantPath: PathSendfile, wantCall: "sendfile",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				a, b := connPair(t, "tcp")
				wait := drain(b)
				sr := io.NewSectionReader(tempFile(t, data), 100, 5000)
				n, p, err := Copy(a, sr)
				a.Close()
				if pos, _ := sr.Seek(0, io.SeekCurrent); pos != 5000 {
					t.Errorf("SectionReader position = %d after Copy, want 5000", pos)
				}
				return n, p, err, wait()
			}},
		{name: "empty file to tcp", want: nil, wantPath: PathSendfile, wantCall: "sendfile",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				a, b := connPair(t, "tcp")
				wait := drain(b)
				n, p, err := Copy(a, tempFile(t, nil))
				a.Close()
				return n, p, err, wait()
			}},
		{name: "file to file", want: data, wantPath: PathCopyFileRange, wantCall: "copy_file_range",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				dst := outFile(t, 0)
				n, p, err := Copy(dst, tempFile(t, data))
				return n, p, err, readBack(t, dst)
			}},
		{name: "file at offset to file", want: data[10:], wantPath: PathCopyFileRange, wantCall: "copy_file_range",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				dst := outFile(t, 0)
				src := tempFile(t, data)
				src.Seek(10, io.SeekStart)
				n, p, err := Copy(dst, src)
				if pos, _ := src.Seek(0, io.SeekCurrent); pos != size {
					t.Errorf("source offset = %d after Copy, want %d", pos, size)
				}
				return n, p, err, readBack(t, dst)
			}},
		{name: "file to pipe", want: data, wantPath: PathSendfile, wantCall: "sendfile",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				done := make(chan []byte)
				go func() { b, _ := io.ReadAll(r); done <- b }()
				n, p, err := Copy(w, tempFile(t, data))
				w.Close()
				return n, p, err, <-done
			}},
		{name: "tcp to tcp", want: data, wantPath: PathSplice, wantCall: "splice",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				in1, in2 := connPair(t, "tcp")
				out1, out2 := connPair(t, "tcp")
				fed := feed(in1, data)
				wait := drain(out2)
				n, p, err := Copy(out1, in2)
				fed()
				out1.Close()
				return n, p, err, wait()
			}},
		{name: "tcp to file", want: data, wantPath: PathSplice, wantCall: "splice",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				in1, in2 := connPair(t, "tcp")
				fed := feed(in1, data)
				dst := outFile(t, 0)
				n, p, err := Copy(dst, in2)
				fed()
				return n, p, err, readBack(t, dst)
			}},
		{name: "limited tcp to unix", want: data[:70000], wantPath: PathSplice, wantCall: "splice",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				in1, in2 := connPair(t, "tcp")
				out1, out2 := connPair(t, "unix")
				fed := feed(in1, data)
				wait := drain(out2)
				n, p, err := Copy(out1, io.LimitReader(in2, 70000))
				out1.Close()
				in2.Close()
				fed()
				return n, p, err, wait()
			}},
		{name: "bytes to file", want: data, wantPath: PathUserspace,
			run: func(t *testing.T) (int64, Path, error, []byte) {
				dst := outFile(t, 0)
				n, p, err := Copy(dst, bytes.NewReader(data))
				return n, p, err, readBack(t, dst)
			}},
		{name: "file to buffer", want: data, wantPath: PathUserspace,
			run: func(t *testing.T) (int64, Path, error, []byte) {
				var buf bytes.Buffer
				n, p, err := Copy(&buf, tempFile(t, data))
				return n, p, err, buf.Bytes()
			}},
		{name: "file to append-only file", want: data, wantPath: PathUserspace,
			run: func(t *testing.T) (int64, Path, error, []byte) {
				dst := outFile(t, os.O_APPEND)
				n, p, err := Copy(dst, tempFile(t, data))
				return n, p, err, readBack(t, dst)
			}},
		{name: "tcp to buffer hides the socket", want: data, wantPath: PathUserspace,
			run: func(t *testing.T) (int64, Path, error, []byte) {
				in1, in2 := connPair(t, "tcp")
				fed := feed(in1, data)
				var buf bytes.Buffer
				n, p, err := Copy(&buf, in2)
				fed()
				return n, p, err, buf.Bytes()
			}},
		{name: "sendfile ENOSYS falls back", inject: "sendfile", want: data, wantPath: PathUserspace, wantCall: "sendfile",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				a, b := connPair(t, "tcp")
				wait := drain(b)
				n, p, err := Copy(a, tempFile(t, data))
				a.Close()
				return n, p, err, wait()
			}},
		{name: "copy_file_range EXDEV falls back", inject: "copy_file_range", want: data, wantPath: PathUserspace, wantCall: "copy_file_range",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				dst := outFile(t, 0)
				n, p, err := Copy(dst, tempFile(t, data))
				return n, p, err, readBack(t, dst)
			}},
		{name: "splice EINVAL falls back", inject: "splice", want: data, wantPath: PathUserspace, wantCall: "splice",
			run: func(t *testing.T) (int64, Path, error, []byte) {
				in1, in2 := connPair(t, "tcp")
				fed := feed(in1, data)
				dst := outFile(t, 0)
				n, p, err := Copy(dst, in2)
				fed()
				return n, p, err, readBack(t, dst)
			}},
	}
	injected := map[string]error{"sendfile": unix.ENOSYS, "copy_file_range": unix.EXDEV, "splice": unix.EINVAL}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := countCalls(t, tt.inject, injected[tt.inject])
			n, path, err, got := tt.run(t)
			if err != nil {
				t.Fatalf("Copy() error = %v", err)
			}
			if n != int64(len(tt.want)) || !bytes.Equal(got, tt.want) {
				t.Errorf("Copy() = %d bytes, received %d (equal %v), want %d", n, len(got), bytes.Equal(got, tt.want), len(tt.want))
			}
			if path != tt.wantPath {
				t.Errorf("Copy() path = %v, want %v", path, tt.wantPath)
			}
			counts := map[string]int64{"sendfile": c.sendfile.Load(), "splice": c.splice.Load(), "copy_file_range": c.copyFileRange.Load()}
			for name, k := range counts {
				if name == tt.wantCall && k == 0 {
					t.Errorf("Copy() made no %s call, want at least one", name)
				}
				if name != tt.wantCall && k != 0 {
					t.Errorf("Copy() made %d %s calls, want none", k, name)
				}
			}
		})
	}
}

func TestCopyError(t *testing.T) {
	a, b := connPair(t, "tcp")
	b.Close()
	a.(*net.TCPConn).SetLinger(0)
	// A large file to a closed peer must fail with an error from sendfile, not hang or report success.
	_, path, err := Copy(a, tempFile(t, payload(16<<20)))
	if err == nil {
		t.Fatalf("Copy(to closed peer) error = nil, want EPIPE or ECONNRESET")
	}
	if !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
		t.Errorf("Copy(to closed peer) error = %v, want EPIPE or ECONNRESET", err)
	}
	if path != PathSendfile {
		t.Errorf("Copy(to closed peer) path = %v, want %v", path, PathSendfile)
	}
}

func TestSendFile(t *testing.T) {
	data := payload(100000)
	tests := []struct {
		name    string
		off, n  int64
		want    []byte
		wantErr error
	}{
		{"middle", 10, 5000, data[10:5010], nil},
		{"to end", 99000, -1, data[99000:], nil},
		{"past end", 99000, 5000, data[99000:], io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := countCalls(t, "", nil)
			a, b := connPair(t, "tcp")
			wait := drain(b)
			f := tempFile(t, data)
			n, path, err := SendFile(a, f, tt.off, tt.n)
			a.Close()
			got := wait()
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("SendFile(%d, %d) error = %v, want %v", tt.off, tt.n, err, tt.wantErr)
			}
			if n != int64(len(tt.want)) || !bytes.Equal(got, tt.want) {
				t.Errorf("SendFile(%d, %d) = %d bytes, want %d", tt.off, tt.n, n, len(tt.want))
			}
			if path != PathSendfile || c.sendfile.Load() == 0 {
				t.Errorf("SendFile(%d, %d) path = %v with %d sendfile calls, want sendfile", tt.off, tt.n, path, c.sendfile.Load())
			}
			if pos, _ := f.Seek(0, io.SeekCurrent); pos != 0 {
				t.Errorf("SendFile moved the file offset to %d, want 0", pos)
			}
		})
	}
}

func TestPathString(t *testing.T) {
	tests := []struct {
		p    Path
		want string
	}{
		{PathUserspace, "userspace"}, {PathSendfile, "sendfile"}, {PathSplice, "splice"},
		{PathCopyFileRange, "copy_file_range"}, {Path(99), "unknown"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("Path(%d).String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}
