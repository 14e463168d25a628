package profiling

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CPUCapturer takes a CPU profile of the next d and writes it to w as
// gzipped pprof. The continuous profiler's Profiler implements it: it is the
// one owner of the process-wide CPU profiler, so a trigger never fights it
// for runtime/pprof.StartCPUProfile.
type CPUCapturer interface {
	CaptureCPU(ctx context.Context, d time.Duration, w io.Writer) error
}

// CaptureStore keeps what triggers capture. SaveCapture receives the record
// and the files' bytes (all complete: failed kinds are absent, never empty)
// and must store them atomically.
type CaptureStore interface {
	SaveCapture(ctx context.Context, c Capture, files map[string][]byte) error
}

// CaptureConfig says what a firing rule captures and where it goes.
type CaptureConfig struct {
	// CPU is the CPU-profiler owner. Nil means CPU captures are skipped and
	// the capture records why.
	CPU CPUCapturer
	// CPUDuration is how long the CPU profile after a firing lasts. Zero means 5s.
	CPUDuration time.Duration
	// TraceMinAge is how far back the flight recorder keeps the execution
	// trace. Zero means 10s. The recorder runs only while some rule
	// captures "trace", because tracing costs 1-2% CPU.
	TraceMinAge time.Duration
	// TraceMaxBytes caps the flight recorder's window (a hint to the
	// runtime, which wins over TraceMinAge). Zero means 16 MiB.
	TraceMaxBytes uint64
	// Store keeps captures. Nil means Dir.
	Store CaptureStore
	// Dir is the directory of the built-in store, used when Store is nil.
	// Empty means captures are kept in memory only (MaxCaptures of them).
	Dir string
	// MaxCaptures bounds the captures listed (and, for Dir, kept on disk);
	// older ones are dropped and counted. Zero means 50.
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

// CaptureFile is one stored file of a capture.
type CaptureFile struct {
	Kind  string    `json:"kind"`
	Name  string    `json:"name"`
	Bytes int       `json:"bytes"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// capturer runs captures: one goroutine per firing, at most one capture of
// each kind at a time (a busy kind is skipped and said so, not queued).
type capturer struct {
	cfg   CaptureConfig
	now   func() time.Time
	fr    *trace.FlightRecorder
	frErr error
	busy  map[string]*atomic.Bool
	kinds map[string][]string // rule name → capture kinds
	store CaptureStore

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	caps    []Capture
	dropped uint64
	failed  uint64
}

func newCapturer(cfg CaptureConfig, rules []*ruleState, now func() time.Time) (*capturer, error) {
	if cfg.CPUDuration < 0 || cfg.TraceMinAge < 0 || cfg.MaxCaptures < 0 {
		return nil, fmt.Errorf("profiling: start monitor: negative capture setting: %w", ErrInvalidRule)
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
	c := &capturer{cfg: cfg, now: now, busy: map[string]*atomic.Bool{}, kinds: map[string][]string{}, store: cfg.Store}
	for _, k := range allCaptures {
		c.busy[k] = new(atomic.Bool)
	}
	if c.store == nil && cfg.Dir != "" {
		c.store = &dirStore{dir: cfg.Dir, max: cfg.MaxCaptures}
	}
	for _, r := range rules {
		c.kinds[r.rule.Name] = r.rule.Capture
	}
	for _, r := range rules {
		if slices.Contains(r.rule.Capture, CaptureTrace) {
			c.fr = trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: cfg.TraceMinAge, MaxBytes: cfg.TraceMaxBytes})
			break
		}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

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
		c.run(f)
	}()
}

// run takes the captures of f in order of urgency: the trace of the past
// first (it ages out), then goroutines and heap (the state now), then the
// CPU profile of the next seconds. Each file is complete in memory before
// anything is stored.
func (c *capturer) run(f Firing) {
	rule := f.Rule
	kinds := c.kinds[rule]
	cp := Capture{ID: f.Time.UTC().Format("20060102T150405.000Z") + "-" + sanitize(rule), Firing: f, From: f.Time, To: f.Time}
	files := map[string][]byte{}
	for _, k := range allCaptures { // fixed order, whatever the rule lists
		if !slices.Contains(kinds, k) {
			continue
		}
		from := c.now()
		b, err := c.take(k)
		to := c.now()
		if err != nil {
			cp.Errors = append(cp.Errors, k+": "+err.Error())
			continue
		}
		if k == CaptureTrace {
			from = from.Add(-c.cfg.TraceMinAge)
		}
		cp.From, cp.To = minTime(cp.From, from), maxTime(cp.To, to)
		name := k + captureExt(k)
		files[name] = b
		cp.Files = append(cp.Files, CaptureFile{Kind: k, Name: name, Bytes: len(b), From: from, To: to})
	}
	if c.store != nil && len(files) > 0 {
		if err := c.store.SaveCapture(c.ctx, cp, files); err != nil {
			cp.Errors = append(cp.Errors, "store: "+err.Error())
			cp.Files = nil
		}
	}
	c.record(cp)
}

// take captures one kind into memory, refusing if one of the kind runs.
func (c *capturer) take(kind string) ([]byte, error) {
	busy := c.busy[kind]
	if !busy.CompareAndSwap(false, true) {
		return nil, ErrCaptureBusy
	}
	defer busy.Store(false)
	var buf bytes.Buffer
	var err error
	switch kind {
	case CaptureTrace:
		if c.fr == nil {
			err = c.frErr
			if err == nil {
				err = errors.New("flight recorder not running")
			}
			break
		}
		_, err = c.fr.WriteTo(&buf)
	case CaptureGoroutine, CaptureHeap:
		err = pprof.Lookup(kind).WriteTo(&buf, 0)
	case CaptureCPU:
		if c.cfg.CPU == nil {
			err = ErrNoCPUOwner
			break
		}
		err = c.cfg.CPU.CaptureCPU(c.ctx, c.cfg.CPUDuration, &buf)
		if err == nil && c.ctx.Err() != nil {
			err = errStopped
		}
	}
	if err == nil && buf.Len() == 0 {
		err = errors.New("empty capture")
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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

// has reports whether file is a stored file of capture id.
func (c *capturer) has(id, file string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cp := range c.caps {
		if cp.ID != id {
			continue
		}
		for _, f := range cp.Files {
			if f.Name == file {
				return true
			}
		}
	}
	return false
}

func (c *capturer) list() []Capture {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.caps)
	slices.Reverse(out)
	return out
}

func captureExt(kind string) string {
	if kind == CaptureTrace {
		return ".trace"
	}
	return ".pb.gz"
}

// sanitize keeps a rule name safe as part of a file name.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
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
