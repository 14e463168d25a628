package hotlines

import "errors"

// ErrProfile is wrapped by every error about a profile that cannot be read or used.
var ErrProfile = errors.New("hotlines: bad profile")
