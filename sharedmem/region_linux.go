package sharedmem

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// shmDir is where named regions live; glibc's shm_open uses the same directory.
const shmDir = "/dev/shm"

func createNamed(name string, total int, opts Options) (*Region, error) {
	path := filepath.Join(shmDir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, opts.mode())
	if err != nil {
		return nil, err
	}
	r, err := initFile(f, name, total, opts)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return r, nil
}

func newAnonymous(total int, opts Options) (*Region, error) {
	// A memfd has no filesystem limit: fallocate would take memory until the OOM killer stops it.
	if avail, err := memAvailable(); err == nil && int64(total) > avail {
		return nil, detailf(ErrNoSpace, "%d bytes, but only %d bytes of memory are available", total, avail)
	}
	fd, err := unix.MemfdCreate("hotpath-sharedmem", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, os.NewSyscallError("memfd_create", err)
	}
	f := os.NewFile(uintptr(fd), "memfd")
	r, err := initFile(f, "memfd", total, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	// Seal the size: no process holding the descriptor can shrink the file, so the mapping can
	// never fault and the ring skips its per-call fault guard.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_SEAL); err == nil {
		r.sealed = true
	}
	return r, nil
}

// initFile reserves total bytes in f, maps them and writes the header.
func initFile(f *os.File, name string, total int, opts Options) (*Region, error) {
	if err := reserve(f, total); err != nil {
		return nil, err
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, total, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	h := Header{Version: opts.Version, Tag: opts.Tag, Size: uint64(total), CreatorPID: uint32(os.Getpid()), Created: time.Now().UnixNano()}
	encodeHeader(mem, h)
	return &Region{name: name, mem: mem, hdr: h, file: f, ownsFile: true, fileSize: fileSize, unmapFunc: retire}, nil
}

// reserve allocates the file's blocks now: on tmpfs fallocate charges the pages against the
// filesystem's size, so a full /dev/shm fails here instead of raising SIGBUS at first touch.
func reserve(f *os.File, total int) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, int64(total))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOSPC):
		return detailf(ErrNoSpace, "fallocate %d bytes: %v", total, err)
	case errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS):
		// The filesystem cannot reserve: fall back to a sparse file (faults stay possible).
		return f.Truncate(int64(total))
	}
	return os.NewSyscallError("fallocate", err)
}

func openNamed(name string, opts Options) (*Region, error) {
	f, err := os.OpenFile(filepath.Join(shmDir, name), os.O_RDWR|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	r, err := mapExisting(f, name, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.ownsFile = true
	return r, nil
}

func fromFile(f *os.File, opts Options) (*Region, error) {
	return mapExisting(f, f.Name(), opts)
}

// mapExisting checks ownership and size, maps the file and validates its header.
func mapExisting(f *os.File, name string, opts Options) (*Region, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, os.NewSyscallError("fstat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, detailf(ErrInvalidConfig, "not a regular file (mode %#o)", st.Mode)
	}
	if uid := uint32(os.Geteuid()); st.Uid != uid {
		return nil, detailf(ErrNotOwner, "owner uid %d, this process runs as %d", st.Uid, uid)
	}
	if st.Size < HeaderSize || st.Size > 1<<46 {
		return nil, detailf(ErrBadHeader, "file size %d out of range", st.Size)
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	r := &Region{name: name, mem: mem, file: f, fileSize: fileSize, unmapFunc: retire}
	if seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0); err == nil && seals&unix.F_SEAL_SHRINK != 0 {
		r.sealed = true
	}
	var h Header
	derr := r.Guard(func() { h, err = decodeHeader(mem) })
	if derr == nil && err == nil {
		err = h.check(opts, st.Size)
	}
	if derr != nil || err != nil {
		unix.Munmap(mem)
		if derr != nil {
			return nil, errors.Unwrap(derr) // drop the duplicate "sharedmem: access" prefix
		}
		return nil, err
	}
	r.hdr = h
	return r, nil
}

// retire replaces a closed region's shared mapping with private zero pages at the same address,
// so that slices and views still held read zeros instead of faulting (see Region.Close). If that
// fails, the range is unmapped.
func retire(mem []byte) error {
	_, err := unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(mem)), uintptr(len(mem)),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED|unix.MAP_NORESERVE)
	if err != nil {
		return unix.Munmap(mem)
	}
	return nil
}

// memAvailable returns the kernel's estimate of the memory available without swapping.
func memAvailable() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no MemAvailable in /proc/meminfo")
}

func removeNamed(name string) error { return os.Remove(filepath.Join(shmDir, name)) }

func fileSize(f *os.File) (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, os.NewSyscallError("fstat", err)
	}
	return st.Size, nil
}

// pidAlive reports whether pid names a live process: kill(pid, 0) succeeds (or is refused for
// permission) and /proc does not show it as a zombie.
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := unix.Kill(pid, 0); err != nil && !errors.Is(err, unix.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	// Format: "pid (comm) S ...": the state follows the last ')'.
	for i := len(stat) - 1; i >= 0; i-- {
		if stat[i] == ')' {
			return i+2 >= len(stat) || stat[i+2] != 'Z'
		}
	}
	return true
}
