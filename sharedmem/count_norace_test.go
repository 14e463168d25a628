//go:build !race

package sharedmem

// ringRecords records cross the ring in TestRingCrossProcess (about a second here); addIters
// additions per process in TestAddCrossProcess.
const (
	ringRecords = 2_000_000
	addIters    = 2_000_000
)
