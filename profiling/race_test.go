//go:build race

package profiling

// raceEnabled: the race detector allows 8128 live goroutines, so tests that need more re-run without it.
const raceEnabled = true
