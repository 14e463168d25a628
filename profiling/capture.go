package profiling

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// CPUCapturer takes a gzipped CPU profile of the next d. *Profiler
// implements it through its single owner of the process-wide CPU profiler,
// so a trigger never fights the continuous windows or /debug/pprof/profile
// for runtime/pprof.StartCPUProfile.
type CPUCapturer interface {
	CaptureCPU(ctx context.Context, d time.Duration) ([]byte, error)
}

// CaptureStore keeps the files of trigger captures, each written atomically
// (a failed capture leaves no file). *Profiler implements it with its local
// store, next to the windows.
type CaptureStore interface {
	SaveCapture(ctx context.Context, p Profile) (Entry, error)
}

// CaptureConfig says what a firing rule captures and where it goes.
type CaptureConfig struct {
	// CPU takes the CPU profile. Nil means MonitorConfig.Profiler; with
	// neither, CPU captures are skipped and the capture records why.
	CPU CPUCapturer
	// Store keeps the files. Nil means MonitorConfig.Profiler; with neither,
	// captures are listed with their firing but their files are not kept.
	Store CaptureStore
	// CPUDuration is how long the CPU profile after a firing lasts. Zero means 5s.
	CPUDuration time.Duration
	// TraceMinAge is how far back the flight recorder keeps the execution
	// trace. Zero means 10s. The recorder runs only while some rule captures
	// "trace", because execution tracing costs 1-2% CPU.
	TraceMinAge time.Duration
	// TraceMaxBytes caps the flight recorder's window (a hint to the runtime;
	// it wins over TraceMinAge). Zero means 16 MiB.
	TraceMaxBytes uint64
	// MaxCaptures bounds the captures listed; older ones are dropped from the
	// list (not from the store) and counted. Zero means 50.
	MaxCaptures int
}

// Capture is one trigger capture: the firing that caused it, the time range
// its files cover and the files stored.
type Capture struct {
	ID     string        `json:"id"`
	Firing Firing        `json:"firing"`
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	Files  []CaptureFile `json:"files"`
	// Errors says, per kind, why it is absent ("cpu: capture of this kind already running").
	Errors []string `json:"errors,omitempty"`
}

// CaptureFile is one file of a capture, as stored.
type CaptureFile struct {
	Kind  Kind      `json:"kind"`
	Bytes int       `json:"bytes"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Entry Entry     `json:"entry"` // the store's entry (Name is its path in the store)
}

// capturer runs captures: one goroutine per firing, at most one capture of
// each kind at a time (a busy kind is skipped and said so, not queued).
type capturer struct {
	cfg   CaptureConfig
	prof  *Profiler // may be nil
	now   func() time.Time
	fr    *trace.FlightRecorder
	frErr error
	busy  map[Kind]*atomic.Bool
	kinds map[string][]Kind // rule name → capture kinds

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	caps    []Capture
	dropped uint64
	failed  uint64
}

func newCapturer(cfg CaptureConfig, prof *Profiler, rules []*ruleState, now func() time.Time) (*capturer, error) {
	if cfg.CPUDuration < 0 || cfg.TraceMinAge < 0 || cfg.MaxCaptures < 0 {
		return nil, fmt.Errorf("profiling: start monitor: %w: negative capture setting", ErrInvalidConfig)
	}
	if cfg.CPUDuration == 0 {
		cfg.CPUDuration = 5 * time.Second
	}
	if cfg.TraceMinAge == 0 {
		cfg.TraceMinAge = 10 * time.Second
	}
	if cfg.TraceMaxBytes == 0 {
		cfg.TraceMaxBytes = 16 << 20
	}
	if cfg.MaxCaptures == 0 {
		cfg.MaxCaptures = 50
	}
	if prof != nil && cfg.CPU == nil {
		cfg.CPU = prof
	}
	if prof != nil && cfg.Store == nil && prof.Store() != nil {
		cfg.Store = prof
	}
	c := &capturer{cfg: cfg, prof: prof, now: now, busy: map[Kind]*atomic.Bool{}, kinds: map[string][]Kind{}}
	for _, k := range captureOrder {
		c.busy[k] = new(atomic.Bool)
	}
	for _, r := range rules {
		c.kinds[r.rule.Name] = r.kinds
		if slices.Contains(r.kinds, KindTrace) && c.fr == nil {
			c.fr = trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: cfg.TraceMinAge, MaxBytes: cfg.TraceMaxBytes})
		}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// captureOrder is the order captures are taken in: the trace of the past
// first (it ages out), then the state now (goroutines, heap), then the CPU
// profile of the next seconds.
var captureOrder = []Kind{KindTrace, KindGoroutine, KindHeap, KindCPU}

// start starts the flight recorder. Only one may run per process; if
// another owner has it, trace captures are skipped with the reason.
func (c *capturer) start() {
	if c.fr == nil {
		return
	}
	if err := c.fr.Start(); err != nil {
		c.frErr = fmt.Errorf("flight recorder: %w", err)
		c.fr = nil
	}
}

// recorderState says whether the flight recorder runs, for /api/signals.
// Only the monitor's goroutines and handlers call it, after start.
func (c *capturer) recorderState() string {
	switch {
	case c.frErr != nil:
		return c.frErr.Error()
	case c.fr == nil:
		return "off"
	case !c.fr.Enabled():
		return "stopped"
	}
	return "running"
}

func (c *capturer) stop(ctx context.Context) error {
	c.cancel()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("profiling: stop monitor: captures still running: %w", ctx.Err())
	}
	if c.fr != nil {
		c.fr.Stop()
	}
	return nil
}

// fire starts a capture for f in the background.
func (c *capturer) fire(f Firing) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.record(c.run(f))
	}()
}

// run takes the kinds f's rule asks for, each into memory first, and
// stores each complete file with the firing as its metadata.
func (c *capturer) run(f Firing) Capture {
	cp := Capture{ID: f.Time.UTC().Format("20060102T150405.000Z") + "-" + sanitize(f.Rule), Firing: f, From: f.Time, To: f.Time}
	kinds := c.kinds[f.Rule]
	for _, k := range captureOrder {
		if !slices.Contains(kinds, k) {
			continue
		}
		from := c.now()
		b, err := c.take(k)
		to := c.now()
		if err != nil {
			cp.Errors = append(cp.Errors, string(k)+": "+err.Error())
			continue
		}
		if k == KindTrace {
			from = from.Add(-c.cfg.TraceMinAge) // the recorder's window, at most
		}
		cp.From, cp.To = minTime(cp.From, from), maxTime(cp.To, to)
		file := CaptureFile{Kind: k, Bytes: len(b), From: from, To: to}
		if c.cfg.Store == nil {
			cp.Errors = append(cp.Errors, string(k)+": not kept: no store")
			continue
		}
		e, err := c.cfg.Store.SaveCapture(c.ctx, Profile{Kind: k, Start: from, End: to, Data: b,
			Source: "trigger-" + f.Rule, Meta: f.meta(cp.ID)})
		if err != nil {
			cp.Errors = append(cp.Errors, string(k)+": store: "+err.Error())
			continue
		}
		file.Entry = e
		cp.Files = append(cp.Files, file)
	}
	return cp
}

// meta is the firing as store metadata, kept next to each file.
func (f Firing) meta(id string) map[string]string {
	m := map[string]string{
		"capture": id, "rule": f.Rule, "signal": f.Signal, "kind": f.Kind,
		"threshold": strconv.FormatFloat(f.Threshold, 'g', -1, 64),
		"value":     strconv.FormatFloat(f.Value, 'g', -1, 64),
		"fired_at":  f.Time.UTC().Format(time.RFC3339Nano),
	}
	if f.Route != "" {
		m["route"] = f.Route
	}
	if f.Kind == Relative.String() {
		m["baseline"] = strconv.FormatFloat(f.Baseline, 'g', -1, 64)
	}
	return m
}

// take captures one kind into memory, refusing if one of the kind runs.
func (c *capturer) take(k Kind) ([]byte, error) {
	busy := c.busy[k]
	if !busy.CompareAndSwap(false, true) {
		return nil, ErrBusy
	}
	defer busy.Store(false)
	var (
		b   []byte
		err error
	)
	switch k {
	case KindTrace:
		if c.fr == nil {
			err = c.frErr
			if err == nil {
				err = errors.New("flight recorder not running")
			}
			break
		}
		var buf bytes.Buffer
		_, err = c.fr.WriteTo(&buf)
		b = buf.Bytes()
	case KindGoroutine, KindHeap:
		if c.prof != nil {
			b, err = c.prof.CaptureProfile(c.ctx, k) // labelled like the windows
			break
		}
		var buf bytes.Buffer
		err = pprof.Lookup(string(k)).WriteTo(&buf, 0)
		b = buf.Bytes()
	case KindCPU:
		if c.cfg.CPU == nil {
			err = ErrNoCPUOwner
			break
		}
		b, err = c.cfg.CPU.CaptureCPU(c.ctx, c.cfg.CPUDuration)
	}
	if err == nil && len(b) == 0 {
		err = errors.New("empty capture")
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (c *capturer) record(cp Capture) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(cp.Files) == 0 {
		c.failed++
	}
	c.caps = append(c.caps, cp)
	if over := len(c.caps) - c.cfg.MaxCaptures; over > 0 {
		c.caps = slices.Delete(c.caps, 0, over)
		c.dropped += uint64(over)
	}
}

func (c *capturer) counts() (held int, dropped, failed uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.caps), c.dropped, c.failed
}

// file returns the stored entry called name if it belongs to a listed capture.
func (c *capturer) file(name string) (Entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cp := range c.caps {
		for _, f := range cp.Files {
			if f.Entry.Name == name {
				return f.Entry, true
			}
		}
	}
	return Entry{}, false
}

func (c *capturer) list() []Capture {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.caps)
	slices.Reverse(out)
	return out
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// The continuous profiler is the triggers' CPU owner and store.
var (
	_ CPUCapturer  = (*Profiler)(nil)
	_ CaptureStore = (*Profiler)(nil)
)
