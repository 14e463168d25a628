package profiling

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/felixge/fgprof"
	"github.com/google/pprof/profile"
)

// captureWall runs fgprof for d (or until ctx ends, keeping what it sampled) and returns its profile
// stamped with the real span. Above limit goroutines it refuses with ErrOverBudget: fgprof stops the
// world to walk every goroutine 99 times a second, so its cost grows with the goroutine count.
func captureWall(ctx context.Context, clk clock, d time.Duration, limit int) (*profile.Profile, error) {
	if n := runtime.NumGoroutine(); limit > 0 && n > limit {
		return nil, fmt.Errorf("profiling: capture wall: %w: %d goroutines over limit %d", ErrOverBudget, n, limit)
	}
	var b bytes.Buffer
	start := clk.Now()
	stop := fgprof.Start(&b, fgprof.FormatPprof)
	timer, release := clk.After(d)
	select {
	case <-timer:
	case <-ctx.Done():
	}
	release()
	if err := stop(); err != nil {
		return nil, fmt.Errorf("profiling: capture wall: %w", err)
	}
	end := clk.Now()
	p, err := profile.Parse(&b)
	if err != nil {
		return nil, fmt.Errorf("profiling: capture wall: parse: %w", err)
	}
	p.TimeNanos = start.UnixNano()
	p.DurationNanos = end.Sub(start).Nanoseconds()
	return p, nil
}
