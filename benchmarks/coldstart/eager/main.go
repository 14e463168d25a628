// Command eager serves with its dependency built before main runs: a package-level variable
// initialised by the package's init.
package main

import "github.com/hotpath-dev/hotpath/benchmarks/coldstart/internal/heavy"

var index = heavy.New()

func main() { heavy.Serve(func() *heavy.Index { return index }) }
