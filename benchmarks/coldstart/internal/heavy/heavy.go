// Package heavy is a stand-in for an expensive dependency a service builds at start-up: a compiled
// routing table of regular expressions and an in-memory lookup index.
package heavy

import (
	"fmt"
	"regexp"
)

// Index is the built dependency.
type Index struct {
	routes []*regexp.Regexp
	byKey  map[string]int
}

// Sizes of the dependency: tens of milliseconds of start-up work on a current x86-64 core, in the range of
// an SDK client or a large configuration parse.
const (
	routes = 400
	keys   = 100_000
)

// New builds the index. It is deliberately slow.
func New() *Index {
	ix := &Index{routes: make([]*regexp.Regexp, routes), byKey: make(map[string]int, keys)}
	for i := range ix.routes {
		ix.routes[i] = regexp.MustCompile(fmt.Sprintf(`^/api/v%d/(users|orders|items)/([0-9]+)/r%d$`, i%3+1, i))
	}
	for i := range keys {
		ix.byKey[fmt.Sprintf("key-%d", i)] = i
	}
	return ix
}

// Lookup returns the value stored for key.
func (ix *Index) Lookup(key string) (int, bool) {
	v, ok := ix.byKey[key]
	return v, ok
}
