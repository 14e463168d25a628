package profiling_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/hotpath-dev/hotpath/profiling"
)

// Start the profiler, serve its endpoint on loopback, and stop it on the way out.
func ExampleStart() {
	dir, _ := os.MkdirTemp("", "hotpath-example")
	defer os.RemoveAll(dir)
	p, err := profiling.Start(profiling.Config{Service: "orders", Kinds: []profiling.Kind{profiling.KindHeap}, Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Stop(context.Background())
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: p.Handler(), WriteTimeout: time.Minute}
	_ = srv // srv.ListenAndServe() in a real program
	fmt.Println(p.Config().Period, p.Config().Kinds)
	// Output: 1m0s [heap]
}

// A Sink receives each window's batch after the local store.
func ExampleSinkFunc() {
	sink := profiling.SinkFunc(func(ctx context.Context, b *profiling.Batch) error {
		for _, pr := range b.Profiles {
			fmt.Println(pr.Kind, pr.Source, len(pr.Data) > 0)
		}
		return nil
	})
	p, err := profiling.Start(profiling.Config{NoStore: true, Kinds: []profiling.Kind{profiling.KindGoroutine}, Sinks: []profiling.Sink{sink}})
	if err != nil {
		log.Fatal(err)
	}
	p.Flush(context.Background()) // the window so far
	p.Stop(context.Background())  // the last window
	// Output:
	// goroutine window true
	// goroutine window true
}

// Read another process's store without writing to it.
func ExampleOpenStore() {
	dir, _ := os.MkdirTemp("", "hotpath-store")
	defer os.RemoveAll(dir)
	p, _ := profiling.Start(profiling.Config{Dir: dir, Kinds: []profiling.Kind{profiling.KindGoroutine}})
	p.Flush(context.Background())
	p.Stop(context.Background())

	s, err := profiling.OpenStore(profiling.StoreConfig{Dir: dir, ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	entries := s.List(profiling.KindGoroutine, time.Now().Add(-time.Hour), time.Time{})
	merged, _, err := s.Merge(profiling.KindGoroutine, time.Time{}, time.Time{})
	fmt.Println(len(entries), err, len(merged.Sample) > 0)
	// Output: 2 <nil> true
}
