package sharedmem

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps one of them (or an *os.PathError or
// syscall error from the operating system) and names the action and the region.
var (
	// ErrInvalidConfig reports a bad argument: a name with a slash, a negative size, an offset
	// outside the region.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrMisaligned reports a view offset that is not a multiple of the cell size.
	ErrMisaligned = errors.New("misaligned offset")
	// ErrBadHeader reports a region whose header is missing, corrupted or written by an
	// incompatible layout (magic, format, version, tag, size or checksum mismatch).
	ErrBadHeader = errors.New("bad header")
	// ErrNotOwner reports a region file owned by another user.
	ErrNotOwner = errors.New("not owned by this user")
	// ErrNoSpace reports that the shared-memory filesystem cannot hold the region.
	ErrNoSpace = errors.New("no space for region")
	// ErrTruncated reports that the region's file is now shorter than its mapping: another
	// process truncated it. The access that noticed it did not complete.
	ErrTruncated = errors.New("region truncated")
	// ErrClosed reports use of a closed region, ring endpoint or ring: a Read on a ring whose
	// producers all closed it (once drained), a Reserve blocked on a ring whose consumer closed
	// it, and any ring call after Region.Close. A ring closed by its producers reopens when a
	// producer attaches again: on an MPSC ring whose producers come and go, ErrClosed from Read
	// means "no producer now", not "no producer ever again".
	ErrClosed = errors.New("closed")
	// ErrCorrupt reports a ring position or record length read from shared memory that cannot be
	// valid: the peer is buggy or hostile. The ring must be recovered or recreated.
	ErrCorrupt = errors.New("corrupt ring")
	// ErrTooLarge reports a record larger than the ring's MaxRecord.
	ErrTooLarge = errors.New("record too large")
	// ErrEmpty is returned by TryRead when no record is available.
	ErrEmpty = errors.New("ring empty")
	// ErrFull is returned by TryReserve when the ring has no room for the record.
	ErrFull = errors.New("ring full")
	// ErrPeerDead reports that the process at the other end of a ring exited without closing it.
	ErrPeerDead = errors.New("peer process is dead")
	// ErrState reports a call out of order, such as Commit without Reserve.
	ErrState = errors.New("call out of order")
	// ErrUnsupported reports a feature this platform lacks (named regions outside Linux).
	ErrUnsupported = errors.New("unsupported on this platform")
)

// detailError wraps a sentinel and prints its detail, so messages read
// `sharedmem: open "orders": layout version 3, want 2` while errors.Is still matches the sentinel.
// Where the detail alone would not say what went wrong (a pid, a position), the sentinel's text
// comes first: `sharedmem: reserve "orders": peer process is dead: consumer pid 1573`.
type detailError struct {
	sentinel error
	msg      string
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.sentinel }

func detailf(sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	switch sentinel {
	case ErrCorrupt, ErrPeerDead, ErrTruncated:
		msg = sentinel.Error() + ": " + msg
	}
	return &detailError{sentinel: sentinel, msg: msg}
}

// opError prefixes err with the package, the action and the region name.
func opError(action, name string, err error) error {
	return fmt.Errorf("sharedmem: %s %q: %w", action, name, err)
}
