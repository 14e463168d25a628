// Command server runs the shop workload under load with hotpath's continuous profiler on, so its CPU
// windows land in a local store that `hotpath pgo` turns into a default.pgo.
//
//	go run ./examples/pgo/server -dir /tmp/shop-store -duration 10s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotpath-dev/hotpath/examples/pgo/shop"
	"github.com/hotpath-dev/hotpath/profiling"
)

func main() {
	dir := flag.String("dir", "", "profile store `directory` (required)")
	duration := flag.Duration("duration", 10*time.Second, "how long to run the load")
	period := flag.Duration("period", 2*time.Second, "profiling window length")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "server: -dir is required")
		os.Exit(2)
	}
	if err := run(*dir, *duration, *period); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run(dir string, duration, period time.Duration) error {
	p, err := profiling.Start(profiling.Config{
		Service: "shop", Dir: dir, Kinds: []profiling.Kind{profiling.KindCPU},
		Period: period, CPUDuration: period, // profile the whole window: a short demo needs every sample
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	carts, pricers := shop.Carts(256, 64)
	var totals atomic.Int64
	var wg sync.WaitGroup
	for w := range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var n, sink int64
			labels := map[string]string{"route": "/checkout"}
			for i := w; ctx.Err() == nil; i += 16 {
				// One "request" prices 16 carts under the route label.
				profiling.Do(ctx, labels, func(context.Context) {
					for j := range 16 {
						k := (i + j) % len(carts)
						sink += shop.Total(pricers[k], carts[k])
					}
				})
				n += 16
			}
			totals.Add(n)
			_ = sink
		})
	}
	wg.Wait()
	if err := p.Stop(context.Background()); err != nil {
		return err
	}
	windows := len(p.Store().List(profiling.KindCPU, time.Time{}, time.Time{}))
	fmt.Printf("priced %d carts in %v; %d CPU windows stored in %s\n", totals.Load(), duration, windows, dir)
	return nil
}
