package sharedmem

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Options describe a region's layout and permissions. The zero value is valid: mode 0600, layout
// version 0, tag 0.
type Options struct {
	// Mode is the permission of a named region's file, before the umask. Zero means 0600.
	Mode os.FileMode
	// Version is the user's layout version, stored by Create and required by Open and FromFile:
	// bump it whenever the meaning of the bytes changes.
	Version uint32
	// Tag names the user's layout (a constant the application picks, such as a hash of its struct
	// layout). Open and FromFile refuse a region with another tag.
	Tag uint64
}

// Region is a mapping of shared memory: a named file under /dev/shm, or an anonymous memfd. Its
// first HeaderSize bytes hold the header; Bytes returns the rest.
//
// A Region is safe for concurrent use. After Close its rings return ErrClosed; slices and views
// taken from it no longer share anything (see Close).
type Region struct {
	name      string
	mem       []byte // the whole mapping, header included
	hdr       Header
	file      *os.File // nil when the region lives on the Go heap (non-Linux anonymous regions)
	ownsFile  bool
	sealed    bool // the file cannot shrink (memfd with F_SEAL_SHRINK): accesses never fault
	closed    atomic.Bool
	fileSize  func(*os.File) (int64, error)
	unmapFunc func([]byte) error
}

const maxNameLen = 255

// checkName refuses names that would escape /dev/shm or that the filesystem cannot hold.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return detailf(ErrInvalidConfig, "empty or dot name")
	case len(name) > maxNameLen:
		return detailf(ErrInvalidConfig, "name longer than %d bytes", maxNameLen)
	case strings.ContainsAny(name, "/\x00"):
		return detailf(ErrInvalidConfig, "name contains a slash or NUL")
	}
	return nil
}

// totalSize returns the mapping size for size data bytes: header plus data, rounded up to a page.
func totalSize(size int) (int, error) {
	if size < 0 || size > 1<<46 {
		return 0, detailf(ErrInvalidConfig, "size %d out of range [0, 2^46]", size)
	}
	page := os.Getpagesize()
	return (HeaderSize + size + page - 1) / page * page, nil
}

func (o Options) mode() os.FileMode {
	if o.Mode == 0 {
		return 0o600
	}
	return o.Mode.Perm()
}

// Name returns the region's name ("memfd" for anonymous regions).
func (r *Region) Name() string { return r.name }

// Header returns the region's decoded header.
func (r *Region) Header() Header { return r.hdr }

// Bytes returns the region's data: the mapping after the header. Its length is at least the size
// passed to Create, rounded up to the page size. The slice aliases shared memory: other processes
// see writes to it, and it must not be used after Close.
func (r *Region) Bytes() []byte { return r.mem[HeaderSize:len(r.mem):len(r.mem)] }

// Len returns len(r.Bytes()).
func (r *Region) Len() int { return len(r.mem) - HeaderSize }

// File returns the file backing the region, to hand an anonymous region to a child process through
// exec.Cmd.ExtraFiles. It is nil for heap-backed regions on platforms without memfd.
func (r *Region) File() *os.File { return r.file }

// Sealed reports whether the region's size is sealed, so that no process can truncate it and no
// access can fault. NewAnonymous seals its memfd (F_SEAL_SHRINK, F_SEAL_GROW); FromFile detects
// the seal. Rings in a sealed region skip the per-call fault guard. Named regions cannot be sealed.
func (r *Region) Sealed() bool { return r.sealed }

// Close releases the region's shared memory and closes its file when the region opened it. It
// does not remove a named region: call Remove. Close is idempotent.
//
// The address range stays mapped, to private zero pages that no other process sees, so that a
// slice or view still held after Close reads zeros and writes nowhere instead of crashing the
// process; the range (not memory: untouched pages cost none) is returned when the process exits.
// Ring endpoints and the Ring's methods return ErrClosed after Close.
func (r *Region) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	var err error
	if r.unmapFunc != nil {
		err = r.unmapFunc(r.mem)
	}
	if r.ownsFile && r.file != nil {
		if cerr := r.file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return opError("close", r.name, err)
	}
	return nil
}

// Check reports whether the region is still whole: it returns an error wrapping ErrTruncated when
// another process shrank the file under the mapping, so that the next access would fault.
func (r *Region) Check() error {
	if r.closed.Load() {
		return opError("check", r.name, ErrClosed)
	}
	if r.file == nil || r.fileSize == nil {
		return nil
	}
	size, err := r.fileSize(r.file)
	if err != nil {
		return opError("check", r.name, err)
	}
	if size < int64(len(r.mem)) {
		return opError("check", r.name, detailf(ErrTruncated, "file is %d bytes, mapping %d", size, len(r.mem)))
	}
	return nil
}

// Guard runs fn and turns a memory fault inside this region (another process truncated the file)
// into an error wrapping ErrTruncated instead of a crash. Faults outside the region are re-raised.
// Wrap loops that read records or touch Bytes directly when the peer cannot be trusted; the copy
// methods (ReadAt, WriteAt) and the ring guard themselves. A hot loop over a ring can run inside
// one Guard with EndpointConfig.Unguarded endpoints: one guard per loop instead of one per call.
func (r *Region) Guard(fn func()) (err error) {
	if r.closed.Load() {
		return opError("access", r.name, ErrClosed)
	}
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if v := recover(); v != nil {
			err = r.fault(v)
		}
	}()
	fn()
	return nil
}

// fault converts a recovered panic into an error if it is a memory fault inside the mapping, and
// re-panics otherwise.
func (r *Region) fault(v any) error {
	f, ok := v.(interface{ Addr() uintptr })
	base := uintptr(unsafe.Pointer(unsafe.SliceData(r.mem)))
	if !ok || f.Addr() < base || f.Addr()-base >= uintptr(len(r.mem)) {
		panic(v)
	}
	off := int64(f.Addr() - base)
	msg := fmt.Sprintf("fault at mapping offset %d of %d", off, len(r.mem))
	if r.file != nil && r.fileSize != nil {
		if size, err := r.fileSize(r.file); err == nil {
			msg += fmt.Sprintf("; file is now %d bytes", size)
		}
	}
	return opError("access", r.name, detailf(ErrTruncated, "%s", msg))
}

// ReadAt copies data bytes [off, off+len(p)) into p. A truncation by another process becomes an
// error wrapping ErrTruncated.
func (r *Region) ReadAt(p []byte, off int64) (int, error) {
	if err := r.checkRange(len(p), off); err != nil {
		return 0, opError("read", r.name, err)
	}
	err := r.Guard(func() { copy(p, r.Bytes()[off:]) })
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteAt copies p into data bytes [off, off+len(p)). A truncation by another process becomes an
// error wrapping ErrTruncated.
func (r *Region) WriteAt(p []byte, off int64) (int, error) {
	if err := r.checkRange(len(p), off); err != nil {
		return 0, opError("write", r.name, err)
	}
	err := r.Guard(func() { copy(r.Bytes()[off:], p) })
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func (r *Region) checkRange(n int, off int64) error {
	if off < 0 || off > int64(r.Len()) || int64(n) > int64(r.Len())-off {
		return detailf(ErrInvalidConfig, "%d bytes at offset %d outside %d data bytes", n, off, r.Len())
	}
	return nil
}

// Create makes a new named region of at least size data bytes under /dev/shm, failing if the name
// exists. The space is reserved up front, so a full /dev/shm fails here with ErrNoSpace instead of
// killing the process with SIGBUS on first touch. The file is opened without following symlinks
// and with mode opts.Mode (0600 by default).
func Create(name string, size int, opts Options) (*Region, error) {
	if err := checkName(name); err != nil {
		return nil, opError("create", name, err)
	}
	total, err := totalSize(size)
	if err != nil {
		return nil, opError("create", name, err)
	}
	r, err := createNamed(name, total, opts)
	if err != nil {
		return nil, opError("create", name, err)
	}
	return r, nil
}

// Open maps an existing named region. It refuses a file owned by another user, a symlink, and a
// header that does not match opts.Version and opts.Tag or the file's size.
func Open(name string, opts Options) (*Region, error) {
	if err := checkName(name); err != nil {
		return nil, opError("open", name, err)
	}
	r, err := openNamed(name, opts)
	if err != nil {
		return nil, opError("open", name, err)
	}
	return r, nil
}

// Remove deletes a named region. Processes that mapped it keep their mapping until they Close.
func Remove(name string) error {
	if err := checkName(name); err != nil {
		return opError("remove", name, err)
	}
	if err := removeNamed(name); err != nil {
		return opError("remove", name, err)
	}
	return nil
}

// NewAnonymous makes a region with no name, backed by a memfd on Linux (and by the Go heap
// elsewhere, usable only inside the process). The memory is reserved at once, so a size above
// the memory the system has available (MemAvailable) fails with ErrNoSpace. Hand it to a child with exec.Cmd.ExtraFiles =
// []*os.File{r.File()} and open it there with FromFile.
func NewAnonymous(size int, opts Options) (*Region, error) {
	total, err := totalSize(size)
	if err != nil {
		return nil, opError("create", "memfd", err)
	}
	r, err := newAnonymous(total, opts)
	if err != nil {
		return nil, opError("create", "memfd", err)
	}
	return r, nil
}

// FromFile maps a region from an open file, such as an anonymous region inherited through
// exec.Cmd.ExtraFiles (os.NewFile(3, "region") in the child). The header is validated as in Open.
// The region does not take ownership of f: close it after the region.
func FromFile(f *os.File, opts Options) (*Region, error) {
	if f == nil {
		return nil, opError("open", "", detailf(ErrInvalidConfig, "nil file"))
	}
	r, err := fromFile(f, opts)
	if err != nil {
		return nil, opError("open", f.Name(), err)
	}
	return r, nil
}
