package profiling

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/pprof/profile"
)

// Profiler collects profiles window after window and hands them to the local store and the sinks. Create
// one with Start; it is safe for concurrent use.
type Profiler struct {
	cfg    Config
	labels map[string]string
	store  *Store // nil with Config.NoStore
	sinks  []Sink
	cpu    *cpuOwner
	col    *collector
	q      *queue

	flushReq  chan chan struct{}
	quit      chan struct{}
	schedDone chan struct{}
	sendDone  chan struct{}
	stopOnce  sync.Once
	stopErr   error
	stopped   chan struct{} // closed when Stop has finished

	sendCtx    context.Context
	cancelSend context.CancelFunc

	// One on-demand capture of each kind at a time (the endpoint answers 429 to a second).
	cpuCapture   atomic.Bool
	traceCapture atomic.Bool

	// monitor is the Monitor started with MonitorConfig.Profiler = this profiler, if any: Handler serves
	// its routes and the index shows its section while it runs.
	monitor atomic.Pointer[Monitor]

	prevMutex int
}

// Start validates cfg, opens the store and starts collecting. It returns at once; the first window ends
// at the next multiple of cfg.Period. Call Stop to end it.
func Start(cfg Config) (*Profiler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Profiler{
		cfg:       cfg,
		labels:    labelsOf(&cfg),
		col:       newCollector(&cfg),
		q:         newQueue(cfg.Queue),
		flushReq:  make(chan chan struct{}),
		quit:      make(chan struct{}),
		schedDone: make(chan struct{}),
		sendDone:  make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	p.col.cfg = &p.cfg
	if !cfg.NoStore {
		st, err := OpenStore(StoreConfig{Dir: cfg.Dir, MaxAge: cfg.MaxAge, MaxBytes: cfg.MaxBytes, Instance: cfg.Instance, clock: cfg.clock})
		if err != nil {
			return nil, fmt.Errorf("profiling: start: %w", err)
		}
		p.store = st
		p.sinks = append(p.sinks, st)
	}
	p.sinks = append(p.sinks, cfg.Sinks...)
	if cfg.has(KindMutex) {
		p.prevMutex = runtime.SetMutexProfileFraction(cfg.MutexFraction)
	}
	if cfg.has(KindBlock) {
		runtime.SetBlockProfileRate(cfg.BlockRate)
	}
	p.sendCtx, p.cancelSend = context.WithCancel(context.Background())
	p.cpu = newCPUOwner(cfg.clock)
	p.col.baseline()
	go p.schedule()
	go p.deliver()
	return p, nil
}

// Config returns the effective configuration, defaults filled in.
func (p *Profiler) Config() Config { return p.cfg }

// Labels returns a copy of the labels every profile carries.
func (p *Profiler) Labels() map[string]string {
	out := make(map[string]string, len(p.labels))
	for k, v := range p.labels {
		out[k] = v
	}
	return out
}

// Store returns the local store, or nil when Config.NoStore is set.
func (p *Profiler) Store() *Store { return p.store }

// Stats returns the profiler's account of its own work.
func (p *Profiler) Stats() Stats {
	s := p.col.snapshotStats()
	s.QueueDropped = p.q.droppedCount()
	p.cpu.mu.Lock()
	s.CPUHeld = int64(p.cpu.heldElsewhere)
	p.cpu.mu.Unlock()
	return s
}

// Flush ends the current window now (a short window), hands its batch to the store and sinks, and waits
// until they have it or ctx ends. The next window runs to the next period boundary.
func (p *Profiler) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case p.flushReq <- done:
	case <-p.schedDone:
		return fmt.Errorf("profiling: flush: %w", ErrStopped)
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop ends collection: it closes the current window, delivers it and every queued batch to the store
// and sinks (within ctx; what is left when ctx ends is dropped and counted), closes sinks that have a
// Close method, restores the runtime's mutex and block settings, and waits for every goroutine it
// started. It is idempotent; later calls wait for the first and return its result.
func (p *Profiler) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() {
		defer close(p.stopped)
		stopAfter := context.AfterFunc(ctx, p.cancelSend)
		defer stopAfter()
		close(p.quit)
		<-p.schedDone
		p.q.close()
		<-p.sendDone
		p.cpu.close()
		for _, s := range p.sinks {
			if c, ok := s.(sinkCloser); ok {
				if err := c.Close(p.sendCtx); err != nil && p.stopErr == nil {
					p.stopErr = fmt.Errorf("profiling: stop: close sink: %w", err)
				}
			}
		}
		p.cancelSend()
		if p.cfg.has(KindMutex) {
			runtime.SetMutexProfileFraction(p.prevMutex)
		}
		if p.cfg.has(KindBlock) {
			runtime.SetBlockProfileRate(0)
		}
		if p.stopErr == nil && ctx.Err() != nil {
			p.stopErr = fmt.Errorf("profiling: stop: %w", ctx.Err())
		}
	})
	select {
	case <-p.stopped:
		return p.stopErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CaptureCPU returns a gzipped CPU profile of the next d, taken through the profiler's single owner of
// the process-wide CPU profiler, so it never collides with the continuous windows (which carry on). It
// blocks for d or until ctx ends. It fails with ErrCPUProfilerInUse when something outside hotpath holds
// the CPU profiler.
func (p *Profiler) CaptureCPU(ctx context.Context, d time.Duration) ([]byte, error) {
	if d <= 0 {
		return nil, fmt.Errorf("profiling: capture cpu: %w: duration %v", ErrBadRequest, d)
	}
	pr, err := p.cpu.capture(ctx, d)
	if err != nil {
		return nil, err
	}
	return p.finish(pr)
}

// CaptureProfile returns a gzipped snapshot of a heap, goroutine, mutex or block profile as the runtime
// reports it now (cumulative counters, as net/http/pprof serves them), labelled like every window.
func (p *Profiler) CaptureProfile(ctx context.Context, k Kind) ([]byte, error) {
	if _, ok := lookupName[k]; !ok {
		return nil, fmt.Errorf("profiling: capture %q: %w: want heap, goroutine, mutex or block", k, ErrBadRequest)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pr, err := snapshot(k)
	if err != nil {
		return nil, err
	}
	pr.TimeNanos = p.cfg.clock.Now().UnixNano()
	return p.finish(pr)
}

// SaveCapture writes an extra profile (a trigger's capture, a trace) into the local store next to the
// windows, with its Source and Meta. It fails with ErrNotFound when the store is off.
func (p *Profiler) SaveCapture(ctx context.Context, pr Profile) (Entry, error) {
	if p.store == nil {
		return Entry{}, fmt.Errorf("profiling: save capture: %w: store is off", ErrNotFound)
	}
	if pr.Source == "" || pr.Source == "window" {
		pr.Source = "capture"
	}
	return p.store.Put(ctx, pr)
}

// finish adds the labels to pr and encodes it.
func (p *Profiler) finish(pr *profile.Profile) ([]byte, error) {
	pr.Comments = append(pr.Comments, labelComments(p.labels)...)
	return encode(pr)
}

// window holds the in-flight captures of the current window.
type window struct {
	start time.Time
	seq   int64
	cpu   chan cpuResult
	wall  chan cpuResult
	stop  context.CancelFunc // ends cpu and wall captures early (flush, stop)
}

func (p *Profiler) openWindow(start time.Time, seq int64) *window {
	ctx, cancel := context.WithCancel(context.Background())
	w := &window{start: start, seq: seq, stop: cancel}
	if p.cfg.has(KindCPU) {
		w.cpu = make(chan cpuResult, 1)
		r, err := p.cpu.submit(ctx, p.cfg.CPUDuration)
		if err != nil {
			w.cpu <- cpuResult{err: err}
		} else {
			go func() {
				pr, err := p.cpu.wait(ctx, r, true)
				w.cpu <- cpuResult{pr, err}
			}()
		}
	}
	if p.cfg.has(KindWall) {
		w.wall = make(chan cpuResult, 1)
		go func() {
			pr, err := captureWall(ctx, p.cfg.clock, p.cfg.WallDuration, p.cfg.WallGoroutineLimit)
			w.wall <- cpuResult{pr, err}
		}()
	}
	return w
}

// schedule is the window loop: windows end on multiples of Period on the clock.
func (p *Profiler) schedule() {
	defer close(p.schedDone)
	clk := p.cfg.clock
	var seq int64
	w := p.openWindow(clk.Now(), seq)
	for {
		now := clk.Now()
		next := windowEnd(now, p.cfg.Period).Add(p.cfg.Period)
		timer, release := clk.After(next.Sub(now))
		select {
		case <-timer:
			now := clk.Now()
			end := windowEnd(now, p.cfg.Period)
			if !end.After(w.start) {
				continue // an early tick: wait for the boundary, never cut a window short
			}
			seq++
			p.closeWindow(w, end, nil)
			w = p.openWindow(end, seq)
		case done := <-p.flushReq:
			release()
			end := clk.Now()
			seq++
			p.closeWindow(w, end, done)
			w = p.openWindow(end, seq)
		case <-p.quit:
			release()
			p.closeWindow(w, clk.Now(), nil)
			return
		}
	}
}

// closeWindow collects the window [w.start, end) and queues its batch. A window longer than one period
// (the process was not scheduled across a boundary) keeps its gauges but drops its counter deltas, which
// would cover more than one period; its start is moved to end-Period and the missed windows are counted.
func (p *Profiler) closeWindow(w *window, end time.Time, done chan struct{}) {
	w.stop()
	start := w.start
	b := &Batch{Start: start, End: end, Labels: p.labels, Skipped: map[Kind]string{}}
	late := end.Sub(start) > p.cfg.Period
	if late {
		missed := int64(end.Sub(start)/p.cfg.Period) - 1
		p.col.update(func(s *Stats) { s.MissedWindows += max(missed, 1) })
		start = end.Add(-p.cfg.Period)
		b.Start = start
	}
	n := runtime.NumGoroutine()
	rebase := false
	for _, k := range p.cfg.Kinds {
		var (
			pr   *profile.Profile
			skip string
		)
		switch k {
		case KindCPU, KindWall:
			ch := w.cpu
			if k == KindWall {
				ch = w.wall
			}
			t0 := time.Now()
			res := <-ch
			pr = res.p
			if res.err != nil {
				skip = res.err.Error()
				if errors.Is(res.err, ErrCPUProfilerInUse) {
					skip += "; retrying next window"
				}
			}
			p.col.account(k, time.Since(t0), 0, skip)
		default:
			if late && k != KindGoroutine {
				skip = "late window: counters re-based"
				p.col.account(k, 0, 0, skip)
				rebase = true
				break
			}
			pr, skip = p.col.collect(k, start, end, w.seq)
		}
		if skip != "" {
			b.Skipped[k] = skip
			p.cfg.Logger.Debug("profiling: window skipped", "kind", k, "reason", skip)
			continue
		}
		t0, cpu := time.Now(), startCPU()
		data, err := p.finish(pr)
		took, cpuTook := time.Since(t0), cpu.stop()
		if err != nil {
			b.Skipped[k] = err.Error()
			continue
		}
		p.col.produced(k, len(data), took, cpuTook)
		ps, pe := time.Unix(0, pr.TimeNanos), time.Unix(0, pr.TimeNanos+pr.DurationNanos)
		b.Profiles = append(b.Profiles, Profile{Kind: k, Start: ps, End: pe, Data: data, Source: "window"})
	}
	if rebase {
		p.col.baseline() // the next window's deltas start from now
	}
	p.col.update(func(s *Stats) { s.Windows++; s.Goroutines = n })
	p.q.push(item{b: b, done: done})
}

// deliver hands batches to the store and sinks, one at a time, until the queue is closed and drained.
func (p *Profiler) deliver() {
	defer close(p.sendDone)
	for {
		it, ok := p.q.pop()
		if !ok {
			return
		}
		for _, s := range p.sinks {
			if p.sendCtx.Err() != nil {
				p.q.drop(1)
				break
			}
			if err := s.Send(p.sendCtx, it.b); err != nil {
				p.col.update(func(st *Stats) {
					st.SinkErrors++
					st.LastError = err.Error()
					if s == Sink(p.store) {
						st.StoreErrors++
					}
				})
				p.cfg.Logger.Warn("profiling: sink failed", "err", err)
			}
		}
		if it.done != nil {
			close(it.done)
		}
	}
}
