package profiling

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/google/pprof/profile"
)

// lookupName maps a kind to its runtime/pprof profile name.
var lookupName = map[Kind]string{
	KindHeap:      "heap",
	KindGoroutine: "goroutine",
	KindMutex:     "mutex",
	KindBlock:     "block",
}

// snapshot reads the runtime's current profile of kind k (cumulative for counters) and parses it.
func snapshot(k Kind) (*profile.Profile, error) {
	pp := pprof.Lookup(lookupName[k])
	if pp == nil {
		return nil, fmt.Errorf("profiling: snapshot %s: no such runtime profile", k)
	}
	var b bytes.Buffer
	if err := pp.WriteTo(&b, 0); err != nil {
		return nil, fmt.Errorf("profiling: snapshot %s: %w", k, err)
	}
	p, err := profile.Parse(&b)
	if err != nil {
		return nil, fmt.Errorf("profiling: snapshot %s: parse: %w", k, err)
	}
	return p, nil
}

// KindStats is the profiler's own cost and outcome for one kind.
type KindStats struct {
	Collected   int64         `json:"collected"`    // profiles produced
	Skipped     int64         `json:"skipped"`      // windows without a profile of this kind
	LastSkip    string        `json:"last_skip"`    // why the last one was skipped
	Bytes       int64         `json:"bytes"`        // encoded bytes produced
	CollectTime time.Duration `json:"collect_time"` // time spent reading, diffing and encoding (not the sampling itself)
	// CPUTime is the CPU the profiler's own goroutine used for that work (Linux; zero elsewhere).
	CPUTime time.Duration `json:"cpu_time"`
}

// Stats is the profiler's account of its own work, for the endpoint and for tests.
type Stats struct {
	Windows       int64              `json:"windows"`        // windows closed
	MissedWindows int64              `json:"missed_windows"` // boundaries passed while the process was not scheduled
	QueueDropped  int64              `json:"queue_dropped"`  // batches dropped because the sink queue was full
	SinkErrors    int64              `json:"sink_errors"`    // failed Sink.Send calls (store included)
	StoreErrors   int64              `json:"store_errors"`   // failed writes to the local store
	CPUHeld       int64              `json:"cpu_held"`       // CPU windows skipped: another owner held the profiler
	Goroutines    int                `json:"goroutines"`     // goroutines at the last window
	Kinds         map[Kind]KindStats `json:"kinds"`
	LastError     string             `json:"last_error,omitempty"`
}

// collector turns runtime profiles into per-window profiles, within budget, and keeps the account.
type collector struct {
	cfg  *Config
	prev map[Kind]*profile.Profile // last cumulative snapshot of each counter kind

	mu    sync.Mutex
	stats Stats
}

func newCollector(cfg *Config) *collector {
	return &collector{cfg: cfg, prev: map[Kind]*profile.Profile{}, stats: Stats{Kinds: map[Kind]KindStats{}}}
}

// baseline takes the cumulative snapshots the next window's deltas are computed against.
func (c *collector) baseline() {
	for _, k := range []Kind{KindHeap, KindMutex, KindBlock} {
		if !c.cfg.has(k) {
			continue
		}
		if p, err := snapshot(k); err == nil {
			c.prev[k] = p
		} else {
			delete(c.prev, k)
		}
	}
}

// collect produces the end-of-window profile of a snapshot kind (heap, goroutine, mutex, block) for the
// window [start, end) whose index is seq; the skip reason is set when it produced none.
func (c *collector) collect(k Kind, start, end time.Time, seq int64) (p *profile.Profile, skip string) {
	t0, cpu := time.Now(), startCPU()
	defer func() { c.account(k, time.Since(t0), cpu.stop(), skip) }()
	if k == KindGoroutine {
		if n := runtime.NumGoroutine(); c.cfg.GoroutineLimit > 0 && n > c.cfg.GoroutineLimit {
			every := int64((n + c.cfg.GoroutineLimit - 1) / c.cfg.GoroutineLimit)
			if seq%every != 0 {
				return nil, fmt.Sprintf("%s: downsampled: %d goroutines over limit %d, taken every %d windows", ErrOverBudget, n, c.cfg.GoroutineLimit, every)
			}
		}
	}
	cur, err := snapshot(k)
	if err != nil {
		return nil, err.Error()
	}
	if k != KindGoroutine { // heap, mutex, block carry counters
		prev, ok := c.prev[k]
		c.prev[k] = cur.Copy()
		if !ok {
			return nil, "no baseline yet"
		}
		cur = delta(prev, cur)
	}
	cur.TimeNanos = start.UnixNano()
	cur.DurationNanos = end.Sub(start).Nanoseconds()
	return cur, ""
}

// account records one collection of kind k.
func (c *collector) account(k Kind, took, cpu time.Duration, skip string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ks := c.stats.Kinds[k]
	ks.CollectTime += took
	ks.CPUTime += cpu
	if skip != "" {
		ks.Skipped++
		ks.LastSkip = skip
	}
	c.stats.Kinds[k] = ks
}

// produced records the encoded size of one profile of kind k and the time spent encoding it.
func (c *collector) produced(k Kind, n int, took, cpu time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ks := c.stats.Kinds[k]
	ks.Collected++
	ks.Bytes += int64(n)
	ks.CollectTime += took
	ks.CPUTime += cpu
	c.stats.Kinds[k] = ks
}

// update applies f to the stats under the lock.
func (c *collector) update(f func(s *Stats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.stats)
}

// snapshotStats returns a copy of the stats.
func (c *collector) snapshotStats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Kinds = make(map[Kind]KindStats, len(c.stats.Kinds))
	for k, v := range c.stats.Kinds {
		s.Kinds[k] = v
	}
	return s
}

// runtimeGC is runtime.GC; a variable so tests can count calls.
var runtimeGC = runtime.GC
