// Command svc is the example order service in one of three profiling modes, for the overhead benchmark:
// off (no profiler), hotpath (hotpath's profiler at its defaults) and pyroscope (grafana/pyroscope-go at
// its defaults, pushing to -sink).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/grafana/pyroscope-go"
	"github.com/hotpath-dev/hotpath/examples/service/app"
	"github.com/hotpath-dev/hotpath/profiling"
)

func main() {
	mode := flag.String("mode", "off", "off, hotpath or pyroscope")
	sink := flag.String("sink", "", "pyroscope server address (a loopback sink)")
	dir := flag.String("dir", "", "hotpath store directory")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *mode, *sink, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "svc:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, mode, sink, dir string) error {
	switch mode {
	case "off":
	case "hotpath":
		p, err := profiling.Start(profiling.Config{Service: "svc", Dir: dir})
		if err != nil {
			return err
		}
		defer p.Stop(context.Background())
	case "pyroscope":
		p, err := pyroscope.Start(pyroscope.Config{ApplicationName: "svc", ServerAddress: sink})
		if err != nil {
			return err
		}
		defer p.Stop()
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("http://%s\n", ln.Addr())
	srv := &http.Server{Handler: app.New().Handler()}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
