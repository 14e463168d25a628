//go:build !unix

package escape

// lockFile is a no-op where flock is unavailable: concurrent analyses sharing a cache directory must be
// avoided by the caller there.
func lockFile(path string) (unlock func(), err error) { return func() {}, nil }
