//go:build unix

package zerocopy

import "syscall"

// seekFD reads or moves a descriptor's offset; watched files use it to measure kernel copies.
func seekFD(fd uintptr, off int64, whence int) (int64, error) {
	return syscall.Seek(int(fd), off, whence)
}
