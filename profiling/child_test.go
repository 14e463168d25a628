package profiling

import (
	"fmt"
	"os"
)

// childEnv marks a re-executed test binary; its value names the scenario.
const childEnv = "HOTPATH_SIGNALS_CHILD"

var children = map[string]func() error{}

// runChild runs a scenario when this binary was re-executed by a test, and
// reports whether it did.
func runChild() bool {
	name := os.Getenv(childEnv)
	if name == "" {
		return false
	}
	f, ok := children[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown child scenario %q\n", name)
		os.Exit(3)
	}
	if err := f(); err != nil {
		fmt.Fprintf(os.Stderr, "child %s: %v\n", name, err)
		os.Exit(1)
	}
	os.Exit(0)
	return true
}
