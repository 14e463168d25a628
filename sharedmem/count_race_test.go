//go:build race

package sharedmem

// Under the race detector every access is instrumented and the machine has 2 shared cores, so the
// cross-process tests move fewer records and additions.
const (
	ringRecords = 200_000
	addIters    = 200_000
)
