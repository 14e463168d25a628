// Command lazy serves with its dependency built on first use, by sync.OnceValue.
package main

import (
	"sync"

	"github.com/hotpath-dev/hotpath/benchmarks/coldstart/internal/heavy"
)

var index = sync.OnceValue(heavy.New)

func main() { heavy.Serve(index) }
