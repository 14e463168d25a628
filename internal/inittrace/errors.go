package inittrace

import "errors"

// ErrSyntax is wrapped by every error about a line that starts like an init record but is not one.
var ErrSyntax = errors.New("malformed init record")
