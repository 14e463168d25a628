// Command service is an HTTP JSON service with hotpath's continuous profiler and saturation monitor on:
// it prices orders at /v1/orders, runs every request under route labels with golden signals (one
// middleware), and serves the profiler's endpoint (/, /api/profiles, /api/profile, /ui/, /metrics,
// /api/signals, /debug/pprof/...) on the same loopback listener.
//
//	go run ./examples/service -addr 127.0.0.1:8080
//	curl -d '{"customer":"ada","items":[{"sku":"a","quantity":2,"cents":150}]}' 127.0.0.1:8080/v1/orders
//	go tool pprof http://127.0.0.1:8080/api/profile?kind=cpu
//	go tool pprof http://127.0.0.1:8080/debug/pprof/profile?seconds=2
//	curl 127.0.0.1:8080/metrics
//	open http://127.0.0.1:8080/ui/?kind=cpu&from=-1h
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hotpath-dev/hotpath/examples/service/app"
	"github.com/hotpath-dev/hotpath/profiling"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "service:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts the server down and stops the monitor and the profiler.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (keep it loopback: the profiler endpoint is on it)")
	period := fs.Duration("period", 0, "profiling window (0: the default, 1m)")
	cpu := fs.Duration("cpu", 0, "CPU profile length per window (0: the default, 10s)")
	dir := fs.String("dir", "", "profile store directory (empty: under the user cache directory)")
	kinds := fs.String("kinds", "", "comma-separated kinds to collect (empty: cpu,heap,goroutine)")
	off := fs.Bool("no-profiling", false, "serve without the profiler (for overhead comparisons)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	mux := http.NewServeMux()
	var (
		p   *profiling.Profiler
		mon *profiling.Monitor
	)
	if *off {
		h := app.New().Handler()
		mux.Handle("/v1/", h)
		mux.Handle("GET /healthz", h)
	} else {
		cfg := profiling.Config{Service: "example-service", Period: *period, CPUDuration: *cpu, Dir: *dir}
		for _, k := range strings.FieldsFunc(*kinds, func(r rune) bool { return r == ',' }) {
			kind, err := profiling.ParseKind(k)
			if err != nil {
				return err
			}
			cfg.Kinds = append(cfg.Kinds, kind)
		}
		var err error
		if p, err = profiling.Start(cfg); err != nil {
			return err
		}
		// One middleware: pprof labels per route (the app mux's patterns) and golden signals.
		sig := profiling.NewSignals(profiling.SignalsConfig{})
		h := profiling.RouteLabels(app.New().Handler(), profiling.MiddlewareConfig{Signals: sig})
		mux.Handle("/v1/", h)
		mux.Handle("GET /healthz", h)
		if mon, err = profiling.StartMonitor(profiling.MonitorConfig{Profiler: p, Signals: sig, Rules: profiling.DefaultRules()}); err != nil {
			p.Stop(context.Background())
			return err
		}
		mux.Handle("/", p.Handler()) // the profiler's endpoint, with the monitor's routes
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return errors.Join(err, stopAll(context.Background(), mon, p))
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	if p != nil {
		fmt.Fprintf(stdout, "profiles in %s, every %v\n", p.Store().Dir(), p.Config().Period)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return errors.Join(err, stopAll(sctx, mon, p))
}

// stopAll stops the monitor, then the profiler whose CPU owner and store its captures use.
func stopAll(ctx context.Context, mon *profiling.Monitor, p *profiling.Profiler) error {
	var err error
	if mon != nil {
		err = mon.Stop(ctx)
	}
	if p != nil {
		err = errors.Join(err, p.Stop(ctx))
	}
	return err
}
