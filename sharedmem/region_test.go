package sharedmem

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestCreateOpen(t *testing.T) {
	opts := Options{Version: 2, Tag: 0xabc}
	r, name := mustCreate(t, 10000, opts)
	if got, want := r.Len(), os.Getpagesize()*((10000+HeaderSize+os.Getpagesize()-1)/os.Getpagesize())-HeaderSize; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	st, err := os.Stat(filepath.Join("/dev/shm", name))
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got&0o077 != 0 || got&0o600 != 0o600 {
		t.Errorf("mode = %v, want 0600 (umask applied)", got)
	}
	if _, err := r.WriteAt([]byte("hello"), 100); err != nil {
		t.Fatalf("WriteAt = %v", err)
	}
	r2, err := Open(name, opts)
	if err != nil {
		t.Fatalf("Open(%q) = %v", name, err)
	}
	defer r2.Close()
	buf := make([]byte, 5)
	if _, err := r2.ReadAt(buf, 100); err != nil || string(buf) != "hello" {
		t.Errorf("ReadAt = %q, %v, want %q, nil", buf, err, "hello")
	}
	if h := r2.Header(); h.CreatorPID != uint32(os.Getpid()) || h.Version != 2 || h.Tag != 0xabc {
		t.Errorf("Header() = %+v, want pid %d version 2 tag 0xabc", h, os.Getpid())
	}
	if _, err := Create(name, 100, opts); !errors.Is(err, os.ErrExist) {
		t.Errorf("Create(existing) = %v, want ErrExist", err)
	}
	if _, err := r2.ReadAt(buf, int64(r2.Len())); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("ReadAt(past end) = %v, want ErrInvalidConfig", err)
	}
}

func TestOpenErrors(t *testing.T) {
	r, name := mustCreate(t, 100, Options{Version: 3, Tag: 1})
	r.Close()
	link := regionName(t) + "-link"
	if err := os.Symlink(filepath.Join("/dev/shm", name), filepath.Join("/dev/shm", link)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(filepath.Join("/dev/shm", link)) })
	tests := []struct {
		name   string
		region string
		opts   Options
		want   error
		msg    string
	}{
		{"version", name, Options{Version: 2, Tag: 1}, ErrBadHeader, `sharedmem: open "` + name + `": layout version 3, want 2`},
		{"tag", name, Options{Version: 3, Tag: 2}, ErrBadHeader, "layout tag 0x1, want 0x2"},
		{"missing", name + "-none", Options{}, os.ErrNotExist, "no such file"},
		{"symlink", link, Options{Version: 3, Tag: 1}, syscall.ELOOP, "too many levels of symbolic links"},
		{"slash", "../etc/passwd", Options{}, ErrInvalidConfig, "slash"},
		{"empty", "", Options{}, ErrInvalidConfig, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.region, tt.opts)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Open(%q) = %v, want %v containing %q", tt.region, err, tt.want, tt.msg)
			}
		})
	}
}

func TestCorruptHeader(t *testing.T) {
	tests := []struct {
		name string
		off  int
		msg  string
	}{
		{"magic", offMagic, "magic"},
		{"format", offFormat, "header format"},
		{"version", offVersion, "checksum"},
		{"size", offSize + 2, "checksum"},
		{"crc", offCRC, "checksum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, name := mustCreate(t, 100, Options{})
			r.Close()
			// Another process scribbles one byte over the header.
			startPeer(t, "corrupt", name+","+itoa(tt.off)).wait(t)
			_, err := Open(name, Options{})
			if !errors.Is(err, ErrBadHeader) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Open(%q) after corrupting byte %d = %v, want ErrBadHeader containing %q", name, tt.off, err, tt.msg)
			}
		})
	}
}

func TestCreateNoSpace(t *testing.T) {
	var st unix.Statfs_t
	if err := unix.Statfs("/dev/shm", &st); err != nil {
		t.Skipf("statfs /dev/shm: %v", err)
	}
	avail := int(st.Bavail) * int(st.Bsize)
	name := regionName(t)
	_, err := Create(name, avail+1<<30, Options{})
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("Create(%q, free+1GiB) = %v, want ErrNoSpace", name, err)
	}
	if _, serr := os.Stat(filepath.Join("/dev/shm", name)); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("file left behind after failed Create: %v", serr)
	}
}

func TestCreateInvalid(t *testing.T) {
	tests := []struct {
		name string
		size int
	}{
		{"negative", -1},
		{"huge", 1 << 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Create(regionName(t), tt.size, Options{}); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Create(size %d) = %v, want ErrInvalidConfig", tt.size, err)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	r, name := mustCreate(t, 100, Options{})
	r.Close()
	if err := Remove(name); err != nil {
		t.Fatalf("Remove(%q) = %v", name, err)
	}
	if err := Remove(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Remove(%q) again = %v, want ErrNotExist", name, err)
	}
}

func TestAnonymousToChild(t *testing.T) {
	r, err := NewAnonymous(4096, Options{Version: 7, Tag: 0xfeed})
	if err != nil {
		t.Fatalf("NewAnonymous = %v", err)
	}
	defer r.Close()
	if !r.Sealed() {
		t.Error("NewAnonymous region not sealed")
	}
	if err := r.File().Truncate(0); !errors.Is(err, syscall.EPERM) {
		t.Errorf("Truncate(sealed memfd) = %v, want EPERM", err)
	}
	v, err := r.Int64s(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	v.Store(0, 100)
	startPeer(t, "memfd", "", r.File()).wait(t)
	if got := v.Load(0); got != 142 {
		t.Errorf("cell after child added 42 = %d, want 142", got)
	}
}

func TestTruncatedByPeer(t *testing.T) {
	r, name := mustCreate(t, 1<<20, Options{})
	g, err := NewRing(r, 0, RingConfig{Capacity: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.NewProducer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := g.NewConsumer(EndpointConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Check(); err != nil {
		t.Fatalf("Check() before truncation = %v", err)
	}
	// Ring calls restore the goroutine's fault mode: off outside Guard, on inside it.
	send := func() {
		if b, err := p.Reserve(3); err != nil || copy(b, "abc") != 3 || p.Commit() != nil {
			t.Fatalf("Reserve+Commit = %v", err)
		}
		if b, err := c.Read(); err != nil || string(b) != "abc" || c.Release() != nil {
			t.Fatalf("Read() = %q, %v", b, err)
		}
	}
	send()
	if debug.SetPanicOnFault(false) {
		t.Error("ring calls left fault-to-panic on")
	}
	if err := r.Guard(func() {
		send()
		if !debug.SetPanicOnFault(true) {
			t.Error("ring calls inside Guard turned fault-to-panic off")
		}
	}); err != nil {
		t.Fatal(err)
	}
	startPeer(t, "truncate", name).wait(t)

	buf := make([]byte, 4096)
	if _, err := r.ReadAt(buf, 500_000); !errors.Is(err, ErrTruncated) {
		t.Errorf("ReadAt after truncation = %v, want ErrTruncated", err)
	}
	if _, err := r.WriteAt(buf, 0); !errors.Is(err, ErrTruncated) {
		t.Errorf("WriteAt after truncation = %v, want ErrTruncated", err)
	}
	// Reserve may not touch shared memory (it has room cached); Commit writes the header.
	_, err = p.Reserve(10)
	if err == nil {
		err = p.Commit()
	}
	if !errors.Is(err, ErrTruncated) {
		t.Errorf("Reserve+Commit after truncation = %v, want ErrTruncated", err)
	}
	if _, err := c.TryRead(); !errors.Is(err, ErrTruncated) {
		t.Errorf("TryRead after truncation = %v, want ErrTruncated", err)
	}
	if debug.SetPanicOnFault(false) {
		t.Error("a ring call left fault-to-panic on for the goroutine")
	}
	// Inside Guard a guarded ring call still reports its own fault.
	var readErr error
	err = r.Guard(func() { _, readErr = c.TryRead() })
	if err != nil || !errors.Is(readErr, ErrTruncated) {
		t.Errorf("Guard(TryRead) after truncation = %v, TryRead %v, want TryRead to return ErrTruncated", err, readErr)
	}
	var sum byte
	err = r.Guard(func() {
		for _, b := range r.Bytes() {
			sum += b
		}
	})
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "file is now 0 bytes") {
		t.Errorf("Guard(read all) after truncation = %v, want ErrTruncated saying the file is 0 bytes", err)
	}
	if err := r.Check(); !errors.Is(err, ErrTruncated) {
		t.Errorf("Check() after truncation = %v, want ErrTruncated", err)
	}
}

func TestGuardRepanicsOtherPanics(t *testing.T) {
	r, _ := mustCreate(t, 100, Options{})
	defer func() {
		if v := recover(); v != "boom" {
			t.Errorf("recover() = %v, want boom", v)
		}
	}()
	r.Guard(func() { panic("boom") })
	t.Error("Guard swallowed a panic that is not a fault")
}

// TestOpenOtherOwner gives the region's file to another user: Open must refuse it.
func TestOpenOtherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown the region file")
	}
	r, name := mustCreate(t, 100, Options{})
	r.Close()
	if err := os.Chown(filepath.Join("/dev/shm", name), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(name, Options{}); !errors.Is(err, ErrNotOwner) || !strings.Contains(err.Error(), "owner uid 65534") {
		t.Errorf("Open(%q owned by 65534) = %v, want ErrNotOwner", name, err)
	}
}
