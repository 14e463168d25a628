package benchmarks

// Size is one entry of the shared size table: every suite that varies a payload size draws from Sizes,
// so results line up across suites.
type Size struct {
	Name  string // short label used in sub-benchmark names, such as "64KiB"
	Bytes int
}

// Sizes is the table of payload sizes shared by all suites.
var Sizes = []Size{
	{"64B", 64},
	{"4KiB", 4 << 10},
	{"64KiB", 64 << 10},
	{"1MiB", 1 << 20},
}
