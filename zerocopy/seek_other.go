//go:build !unix

package zerocopy

import "errors"

// seekFD is not available here, so watched files count no kernel bytes.
func seekFD(uintptr, int64, int) (int64, error) { return 0, errors.ErrUnsupported }
