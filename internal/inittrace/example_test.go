package inittrace_test

import (
	"fmt"
	"strings"

	"github.com/hotpath-dev/hotpath/internal/inittrace"
)

func ExampleRank() {
	stderr := `init runtime @0.026 ms, 0.21 ms clock, 0 bytes, 0 allocs
init net/http @1.2 ms, 0.31 ms clock, 41424 bytes, 377 allocs
listening on 127.0.0.1:8080
init main @1.6 ms, 95 ms clock, 12845056 bytes, 200817 allocs
`
	inits, skipped, _ := inittrace.Parse(strings.NewReader(stderr))
	stats, total := inittrace.Rank([][]inittrace.Init{inits})
	for _, s := range stats {
		fmt.Printf("%-8s %v\n", s.Pkg, s.Clock)
	}
	fmt.Printf("total %v in %d packages, %d other line(s)\n", total.Clock, total.Packages, skipped)
	// Output:
	// main     95ms
	// net/http 310µs
	// runtime  210µs
	// total 95.52ms in 3 packages, 1 other line(s)
}
