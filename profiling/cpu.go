package profiling

import (
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/google/pprof/profile"
)

// The process has one CPU profiler (runtime/pprof allows one consumer at a time). cpuOwner is the only
// code in hotpath that starts or stops it. Any number of captures may overlap — the continuous window, an
// on-demand /debug/pprof/profile?seconds=N, a trigger — and each gets a profile of exactly its own span:
// whenever a capture begins or ends the owner cuts the running profile into a segment (stop, parse,
// restart), and each capture merges the segments inside its span. A cut loses the samples of the few
// milliseconds runtime/pprof needs to flush (at most about 100 ms).

// startCPUProfile and stopCPUProfile are the process-wide profiler; tests observe them.
var (
	startCPUProfile = pprof.StartCPUProfile
	stopCPUProfile  = pprof.StopCPUProfile
)

type cpuReq struct {
	start, end time.Time
	segs       []*profile.Profile
	res        chan cpuResult // buffered, 1
}

// cpuCancel ends a capture early: keep delivers what it has so far, otherwise it is discarded.
type cpuCancel struct {
	r    *cpuReq
	keep bool
}

type cpuResult struct {
	p   *profile.Profile
	err error
}

type cpuOwner struct {
	clock  clock
	reqs   chan *cpuReq
	cancel chan cpuCancel
	quit   chan struct{}
	done   chan struct{}

	mu   sync.Mutex
	busy int // captures in flight; read by Stats
	// heldElsewhere counts starts refused because another owner held the profiler.
	heldElsewhere int
}

func newCPUOwner(c clock) *cpuOwner {
	o := &cpuOwner{
		clock:  c,
		reqs:   make(chan *cpuReq),
		cancel: make(chan cpuCancel),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go o.loop()
	return o
}

// capture returns a CPU profile of the next d. It blocks for d (or until ctx ends, returning ctx's error).
// Errors wrap ErrCPUProfilerInUse when another owner holds the profiler, and ErrStopped after close.
func (o *cpuOwner) capture(ctx context.Context, d time.Duration) (*profile.Profile, error) {
	return o.captureMode(ctx, d, false)
}

// captureKeep is capture, except that when ctx ends early it returns the profile of the span so far.
func (o *cpuOwner) captureKeep(ctx context.Context, d time.Duration) (*profile.Profile, error) {
	return o.captureMode(ctx, d, true)
}

func (o *cpuOwner) captureMode(ctx context.Context, d time.Duration, keep bool) (*profile.Profile, error) {
	r, err := o.submit(ctx, d)
	if err != nil {
		return nil, err
	}
	return o.wait(ctx, r, keep)
}

// submit hands a capture of the next d to the owner; from its return on, the capture is running.
func (o *cpuOwner) submit(ctx context.Context, d time.Duration) (*cpuReq, error) {
	now := o.clock.Now()
	r := &cpuReq{start: now, end: now.Add(d), res: make(chan cpuResult, 1)}
	select {
	case o.reqs <- r:
		return r, nil
	case <-o.done:
		return nil, fmt.Errorf("profiling: capture cpu: %w", ErrStopped)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// wait returns r's profile. If ctx ends first, keep returns the span so far; otherwise ctx's error.
func (o *cpuOwner) wait(ctx context.Context, r *cpuReq, keep bool) (*profile.Profile, error) {
	o.addBusy(1)
	defer o.addBusy(-1)
	select {
	case res := <-r.res:
		return res.p, res.err
	case <-ctx.Done():
		select {
		case o.cancel <- cpuCancel{r, keep}:
		case <-o.done:
		case res := <-r.res: // finished meanwhile
			return res.p, res.err
		}
		if keep {
			res := <-r.res // the loop answers every kept capture, also when it is closing
			return res.p, res.err
		}
		return nil, ctx.Err()
	}
}

func (o *cpuOwner) addBusy(n int) {
	o.mu.Lock()
	o.busy += n
	o.mu.Unlock()
}

// close stops the profiler (ending every capture with what it has) and waits for the owner goroutine.
func (o *cpuOwner) close() {
	select {
	case <-o.quit:
	default:
		close(o.quit)
	}
	<-o.done
}

func (o *cpuOwner) loop() {
	defer close(o.done)
	var (
		active  []*cpuReq
		buf     bytes.Buffer
		running bool
	)
	// cut stops the profiler and hands the segment to every active capture.
	cut := func() {
		if !running {
			return
		}
		stopCPUProfile()
		running = false
		if buf.Len() == 0 {
			return
		}
		seg, err := profile.Parse(&buf)
		buf.Reset()
		if err != nil {
			return // runtime output never fails to parse; if it did, the segment is lost, not corrupt
		}
		for _, r := range active {
			r.segs = append(r.segs, seg)
		}
	}
	run := func() {
		if running || len(active) == 0 {
			return
		}
		if err := startCPUProfile(&buf); err != nil {
			o.mu.Lock()
			o.heldElsewhere++
			o.mu.Unlock()
			for _, r := range active {
				r.res <- cpuResult{err: fmt.Errorf("profiling: capture cpu: %w: %v", ErrCPUProfilerInUse, err)}
			}
			active = nil
			return
		}
		running = true
	}
	finish := func(now time.Time, all bool) {
		active = slices.DeleteFunc(active, func(r *cpuReq) bool {
			if !all && now.Before(r.end) {
				return false
			}
			end := now
			if !all && r.end.Before(now) {
				end = r.end
			}
			r.res <- mergeSegments(r.segs, r.start, end)
			return true
		})
	}
	for {
		var timer <-chan time.Time
		release := func() {}
		if len(active) > 0 {
			next := slices.MinFunc(active, func(a, b *cpuReq) int { return a.end.Compare(b.end) }).end
			timer, release = o.clock.After(next.Sub(o.clock.Now()))
		}
		select {
		case r := <-o.reqs:
			cut()
			finish(o.clock.Now(), false)
			active = append(active, r)
			run()
		case c := <-o.cancel:
			i := slices.Index(active, c.r)
			if i < 0 {
				break // already answered
			}
			if c.keep {
				cut()
				c.r.res <- mergeSegments(c.r.segs, c.r.start, o.clock.Now())
			}
			active = slices.Delete(active, i, i+1)
			if len(active) == 0 {
				cut()
			}
			run()
		case <-timer:
			cut()
			finish(o.clock.Now(), false)
			run()
		case <-o.quit:
			release()
			cut()
			finish(o.clock.Now(), true)
			return
		}
		release()
	}
}

// mergeSegments joins a capture's segments into one profile stamped with its span.
func mergeSegments(segs []*profile.Profile, start, end time.Time) cpuResult {
	if len(segs) == 0 {
		return cpuResult{p: emptyCPUProfile(start, end)}
	}
	p, err := profile.Merge(segs)
	if err != nil {
		return cpuResult{err: fmt.Errorf("profiling: capture cpu: merge segments: %w", err)}
	}
	p.TimeNanos = start.UnixNano()
	p.DurationNanos = end.Sub(start).Nanoseconds()
	return cpuResult{p: p}
}

// emptyCPUProfile is a valid CPU profile with no samples, for a capture too short to get a segment.
func emptyCPUProfile(start, end time.Time) *profile.Profile {
	return &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     int64(10 * time.Millisecond),
		TimeNanos:  start.UnixNano(), DurationNanos: end.Sub(start).Nanoseconds(),
	}
}

// encode writes p gzipped; the result is what a Profile's Data holds.
func encode(p *profile.Profile) ([]byte, error) {
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
