//go:build !linux

package zerocopy

// kernelCopy has no kernel path of its own off Linux: Copy uses io.Copy, watching file descriptors where
// the platform can seek them (see seek_unix.go).
func kernelCopy(sink, *source) (int64, Path, bool, error) { return 0, PathUserspace, false, nil }
