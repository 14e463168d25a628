package profiling

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"
)

// MonitorConfig configures the saturation monitor, the golden signals it
// samples and the trigger rules it evaluates. The zero value works: it
// samples the runtime every second and keeps an hour of history.
type MonitorConfig struct {
	// Profiler, if set, is the continuous profiler the monitor works with:
	// its single CPU-profiler owner takes the triggers' CPU profiles, its
	// store keeps their files (served by /api/file), and from StartMonitor
	// to Stop the profiler's Handler serves the monitor's /metrics and
	// /api/signals and its index page shows the signals section, behind the
	// profiler's Authorize/loopback guard. A profiler has at most one
	// monitor at a time.
	Profiler *Profiler
	// Interval between samples. Zero means 1s: fine enough to see a
	// scheduler stall, and a sample costs a few microseconds (see
	// BenchmarkSample), so the monitor's cost stays far below 0.01% of a core.
	Interval time.Duration
	// History is how much of the past is kept for charts and /api/signals.
	// Zero means 1h; at most 86400 points are kept whatever the interval.
	History time.Duration
	// Signals, if set, is sampled with the runtime so HTTP signals are
	// charted, exported and can fire rules.
	Signals *Signals
	// Rules fire captures when a signal goes wrong. See Rule.
	Rules []Rule
	// Capture configures what a firing rule captures and where it goes.
	Capture CaptureConfig
	// Limits overrides the container limits; nil means read them from the
	// cgroup files of this process (none on systems without cgroups).
	Limits *ContainerLimits

	now func() time.Time // the clock; nil means time.Now
}

// Monitor samples the runtime (and optionally HTTP signals) on an interval,
// keeps a bounded history, evaluates trigger rules and runs their captures.
// Its methods are safe for concurrent use.
type Monitor struct {
	cfg    MonitorConfig
	limits ContainerLimits
	samp   *sampler
	rules  []*ruleState
	cap    *capturer

	mu      sync.RWMutex
	ring    []Point
	next    int
	full    bool
	latest  Point
	routes  []RouteSignals
	limErr  error
	samples uint64

	metrics func() http.Handler // the /metrics handler, built on first use

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// StartMonitor validates cfg, reads the container limits, starts the flight
// recorder if a rule captures traces, attaches the monitor to
// cfg.Profiler (if set) and starts sampling. It returns promptly; Stop ends
// it. Starting a second monitor on a profiler that has one is an error
// wrapping ErrInvalidConfig.
func StartMonitor(cfg MonitorConfig) (*Monitor, error) {
	m, err := newMonitor(cfg)
	if err != nil {
		return nil, err
	}
	if err := m.attach(); err != nil {
		return nil, err
	}
	m.cap.start()
	var s Saturation
	m.samp.read(m.cfg.now(), &s) // prime the deltas
	go m.loop()
	return m, nil
}

func newMonitor(cfg MonitorConfig) (*Monitor, error) {
	if cfg.Interval < 0 || cfg.History < 0 {
		return nil, fmt.Errorf("profiling: start monitor: %w: negative Interval or History", ErrInvalidConfig)
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	if cfg.History == 0 {
		cfg.History = time.Hour
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	m := &Monitor{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	m.metrics = sync.OnceValue(m.newMetricsHandler)
	names := map[string]bool{}
	for _, r := range cfg.Rules {
		if err := r.normalize(); err != nil {
			return nil, err
		}
		if names[r.Name] {
			return nil, fmt.Errorf("profiling: rule %q: duplicate name: %w", r.Name, ErrInvalidRule)
		}
		names[r.Name] = true
		m.rules = append(m.rules, newRuleState(r))
	}
	if cfg.Limits != nil {
		m.limits = *cfg.Limits
	} else {
		m.limits, m.limErr = readContainerLimits(os.DirFS("/"))
	}
	m.samp = newSampler(m.limits)
	m.ring = make([]Point, min(max(int(cfg.History/cfg.Interval), 1), 86400))
	c, err := newCapturer(cfg.Capture, cfg.Profiler, m.rules, cfg.now)
	if err != nil {
		return nil, err
	}
	m.cap = c
	return m, nil
}

func (m *Monitor) loop() {
	defer close(m.done)
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.step(m.cfg.now())
		}
	}
}

// step takes one sample at now, records it and evaluates the rules.
func (m *Monitor) step(now time.Time) {
	p := Point{Time: now}
	dt := now.Sub(m.samp.prevTime)
	m.samp.read(now, &p.Saturation)
	var routes []RouteSignals
	if m.cfg.Signals != nil {
		routes = m.cfg.Signals.sample(dt)
		p.HTTP = routes[0]
	} else {
		routes = []RouteSignals{{}}
	}
	var firings []Firing
	m.mu.Lock()
	m.ring[m.next] = p
	m.next = (m.next + 1) % len(m.ring)
	m.full = m.full || m.next == 0
	m.latest, m.routes = p, routes
	m.samples++
	for _, rs := range m.rules {
		v, ok := signalValue(rs.rule.Signal, &p.Saturation, routes, rs.rule.Route)
		if !ok {
			continue
		}
		if f, fire := rs.observe(now, v); fire {
			firings = append(firings, f)
		}
	}
	m.mu.Unlock()
	for _, f := range firings {
		m.cap.fire(f)
	}
}

// Stop ends sampling, cancels captures still running (a CPU capture cut
// short is discarded, never stored half-done), waits for every goroutine the
// monitor started and stops the flight recorder. It is idempotent; ctx bounds
// the wait.
func (m *Monitor) Stop(ctx context.Context) error {
	m.stopOnce.Do(func() {
		m.detach()
		close(m.stop)
		<-m.done
		m.stopErr = m.cap.stop(ctx)
	})
	return m.stopErr
}

// attach makes m the monitor of cfg.Profiler, whose Handler then serves m's routes.
func (m *Monitor) attach() error {
	p := m.cfg.Profiler
	if p != nil && !p.monitor.CompareAndSwap(nil, m) {
		return fmt.Errorf("profiling: start monitor: %w: the profiler already has a running monitor", ErrInvalidConfig)
	}
	return nil
}

// detach undoes attach; the profiler's monitor routes answer 404 again.
func (m *Monitor) detach() {
	if p := m.cfg.Profiler; p != nil {
		p.monitor.CompareAndSwap(m, nil)
	}
}

// Limits returns the container limits in use and the error met reading them.
func (m *Monitor) Limits() (ContainerLimits, error) { return m.limits, m.limErr }

// Latest returns the newest sample and the per-route HTTP signals of its
// interval (the first entry is the total).
func (m *Monitor) Latest() (Point, []RouteSignals) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.latest, append([]RouteSignals(nil), m.routes...)
}

// History returns the samples taken since `since`, oldest first.
func (m *Monitor) History(since time.Time) []Point {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := m.next
	if m.full {
		n = len(m.ring)
	}
	out := make([]Point, 0, n)
	start := 0
	if m.full {
		start = m.next
	}
	for i := range n {
		p := m.ring[(start+i)%len(m.ring)]
		if !p.Time.Before(since) {
			out = append(out, p)
		}
	}
	return out
}

// Rules returns the state of every rule.
func (m *Monitor) Rules() []RuleStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]RuleStatus, len(m.rules))
	for i, rs := range m.rules {
		out[i] = rs.st
	}
	return out
}

// Captures returns the captures taken, newest first.
func (m *Monitor) Captures() []Capture { return m.cap.list() }
