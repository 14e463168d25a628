package benchcmp_test

import (
	"fmt"
	"strings"

	"github.com/hotpath-dev/hotpath/internal/benchcmp"
)

func ExampleCompare() {
	old, _ := benchcmp.Read(strings.NewReader(`pkg: example.com/p
BenchmarkParse-8  1000  1000 ns/op  0 B/op  0 allocs/op
BenchmarkParse-8  1000  1010 ns/op  0 B/op  0 allocs/op
BenchmarkParse-8  1000   990 ns/op  0 B/op  0 allocs/op
BenchmarkParse-8  1000  1005 ns/op  0 B/op  0 allocs/op
`), "old")
	new, _ := benchcmp.Read(strings.NewReader(`pkg: example.com/p
BenchmarkParse-8  1000  1300 ns/op  48 B/op  1 allocs/op
BenchmarkParse-8  1000  1290 ns/op  48 B/op  1 allocs/op
BenchmarkParse-8  1000  1310 ns/op  48 B/op  1 allocs/op
BenchmarkParse-8  1000  1305 ns/op  48 B/op  1 allocs/op
`), "new")
	rep, _ := benchcmp.Compare(old, new, benchcmp.Options{Threshold: 0.05, EqualCounts: true})
	for _, r := range rep.Regressions() {
		fmt.Printf("%s %s %+.0f%% exact=%v\n", r.Name, r.Unit, 100*r.Delta, r.Exact)
	}
	// Output:
	// Parse-8 sec/op +30% exact=false
	// Parse-8 B/op +Inf% exact=true
	// Parse-8 allocs/op +Inf% exact=true
}
