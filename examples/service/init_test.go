package main

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// initLine matches the runtime's GODEBUG=inittrace=1 line of the profiling package.
var initLine = regexp.MustCompile(`(?m)^init github\.com/hotpath-dev/hotpath/profiling @\S+ ms, \S+ ms clock, (\d+) bytes, (\d+) allocs$`)

// Importing profiling does no work at init: templates, metric descriptions and the like are built on
// first use. The test binary is re-run with GODEBUG=inittrace=1 (the profiling package in it is the
// non-test one, as a service imports it) and the package's init allocations are read from the trace.
// Parsing the templates and building the Prometheus descriptions at init cost about 750 allocations.
func TestProfilingImportDoesNoInitWork(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("re-run test binary: %v\n%s", err, out)
	}
	m := initLine.FindSubmatch(out)
	if m == nil { // the sentinel errors are always there, so a line is expected
		t.Fatalf("GODEBUG=inittrace=1 output has no init line for profiling:\n%s", out)
	}
	bytes, _ := strconv.Atoi(string(m[1]))
	allocs, _ := strconv.Atoi(string(m[2]))
	// What remains is the package's sentinel errors and two small lookup maps.
	const maxAllocs, maxBytes = 16, 2048
	if allocs > maxAllocs || bytes > maxBytes {
		t.Errorf("init of profiling = %d allocs, %d bytes, want at most %d allocs, %d bytes", allocs, bytes, maxAllocs, maxBytes)
	}
}
