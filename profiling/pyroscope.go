package profiling

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of PyroscopeConfig, each chosen for a service that must never notice its profiler's backend.
const (
	// DefaultPyroscopeQueue windows wait in memory: with five kinds per 10 s window that is about a
	// minute of backlog, enough to ride out a server restart, at a few hundred KiB per window.
	DefaultPyroscopeQueue = 32
	// DefaultPyroscopeTimeout bounds one request; a window of pprof is small, so a slow server is a
	// down server.
	DefaultPyroscopeTimeout = 10 * time.Second
	// DefaultPyroscopeMinBackoff is the first retry delay; each failure doubles it (with ±50% jitter so
	// a fleet does not retry in step) up to DefaultPyroscopeMaxBackoff.
	DefaultPyroscopeMinBackoff = time.Second
	DefaultPyroscopeMaxBackoff = time.Minute
	// DefaultPyroscopeAttempts tries a window gets before it is counted failed (or spilled).
	DefaultPyroscopeAttempts = 5
	// DefaultPyroscopeMaxRetryAfter caps how long a server's Retry-After may pause pushing, so one
	// misconfigured proxy cannot stall the sink for a day.
	DefaultPyroscopeMaxRetryAfter = 10 * time.Minute
	// DefaultPyroscopeSpillBytes bounds the spill directory; the oldest spilled windows go first.
	DefaultPyroscopeSpillBytes = 256 << 20
)

// PyroscopeConfig configures PyroscopeSink. Only URL is required.
type PyroscopeConfig struct {
	// URL is the Pyroscope server, e.g. "http://pyroscope:4040"; "/ingest" is appended to its path.
	URL string
	// App is the application name; the server appends the profile type ("checkout.cpu"). Default: each
	// window's "service" label, else "hotpath". Characters other than letters, digits, '_', '-' and '.'
	// become '_'.
	App string
	// Labels are added to every window's own labels (service, instance, …) in the name's {k=v,…}.
	Labels map[string]string
	// TenantID, when set, is sent as X-Scope-OrgID (multi-tenant servers).
	TenantID string
	// Header holds extra request headers, e.g. Authorization.
	Header http.Header
	// Client sends the requests. Default: a client with its own transport.
	Client *http.Client
	// Timeout bounds one request. Default DefaultPyroscopeTimeout.
	Timeout time.Duration
	// Queue is how many windows wait in memory; when full the oldest is dropped (counted). Default
	// DefaultPyroscopeQueue.
	Queue int
	// Attempts is how many times one window is tried on a retryable failure (network error, timeout,
	// 429, 5xx) before it is counted failed, or spilled when SpillDir is set. Default
	// DefaultPyroscopeAttempts.
	Attempts int
	// MinBackoff and MaxBackoff bound the exponential retry delay. Defaults DefaultPyroscopeMinBackoff
	// and DefaultPyroscopeMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter caps a server's Retry-After. Default DefaultPyroscopeMaxRetryAfter.
	MaxRetryAfter time.Duration
	// SpillDir, when set, is a directory where windows go while the server is unreachable, so an
	// outage costs disk, not memory and not data; they are replayed, oldest first, once a push
	// succeeds again. Empty: no spilling.
	SpillDir string
	// SpillBytes bounds SpillDir. Default DefaultPyroscopeSpillBytes.
	SpillBytes int64
}

func (c PyroscopeConfig) withDefaults() (PyroscopeConfig, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("profiling: pyroscope: url %q: want http(s)://host[:port][/path]: %w", c.URL, ErrInvalidConfig)
	}
	for name, d := range map[string]time.Duration{"Timeout": c.Timeout, "MinBackoff": c.MinBackoff, "MaxBackoff": c.MaxBackoff, "MaxRetryAfter": c.MaxRetryAfter} {
		if d < 0 {
			return c, fmt.Errorf("profiling: pyroscope: %s %v is negative: %w", name, d, ErrInvalidConfig)
		}
	}
	if c.Queue < 0 || c.Attempts < 0 || c.SpillBytes < 0 {
		return c, fmt.Errorf("profiling: pyroscope: Queue, Attempts and SpillBytes must not be negative: %w", ErrInvalidConfig)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Timeout, DefaultPyroscopeTimeout)
	def(&c.MinBackoff, DefaultPyroscopeMinBackoff)
	def(&c.MaxBackoff, DefaultPyroscopeMaxBackoff)
	def(&c.MaxRetryAfter, DefaultPyroscopeMaxRetryAfter)
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.Queue == 0 {
		c.Queue = DefaultPyroscopeQueue
	}
	if c.Attempts == 0 {
		c.Attempts = DefaultPyroscopeAttempts
	}
	if c.SpillBytes == 0 {
		c.SpillBytes = DefaultPyroscopeSpillBytes
	}
	if c.Client == nil {
		c.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	return c, nil
}

// PyroscopeStats counts what a Pyroscope sink did with the windows it was given.
type PyroscopeStats struct {
	Sent     int64 // windows the server accepted
	Dropped  int64 // windows dropped: queue full (oldest first), spill full, or left over at Stop
	Failed   int64 // windows given up on: rejected by the server (4xx) or out of attempts without a spill
	Retries  int64 // requests repeated after a retryable failure
	Spilled  int64 // windows written to SpillDir
	Replayed int64 // spilled windows later accepted by the server (also counted in Sent)
	Queued   int   // windows waiting in memory now
}

// Pyroscope pushes profile windows to a Grafana Pyroscope server through its HTTP ingest API
// (POST /ingest, format=pprof, multipart fields "profile" and "sample_type_config"). It never blocks
// the caller: windows wait in a bounded queue that drops the oldest, and one goroutine sends them,
// retrying with exponential backoff and jitter and honouring 429 with Retry-After. Safe for
// concurrent use.
type Pyroscope struct {
	cfg       PyroscopeConfig
	ownClient bool      // cfg.Client was made here: its idle connections are closed at Stop
	spill     *spillDir // nil without SpillDir

	mu      sync.Mutex
	queue   []pushWindow
	stopped bool
	wake    chan struct{} // cap 1: the queue changed or Stop was called

	stopCtx  context.Context // cancelled when Stop's ctx expires: abandons requests and waits
	cancel   context.CancelFunc
	draining chan struct{} // closed by Stop: send what is queued, then exit
	done     chan struct{} // closed when the sender goroutine has returned

	sent, dropped, failed, retries, spilled, replayed atomic.Int64
}

// pushWindow is one profile of one kind over one window, as pushed.
type pushWindow struct {
	Kind   string            `json:"kind"`
	Start  time.Time         `json:"start"`
	End    time.Time         `json:"end"`
	Labels map[string]string `json:"labels,omitempty"`
	Data   []byte            `json:"-"` // pprof, gzipped or not

	attempts  int
	spillName string // set when read back from the spill directory
}

// PyroscopeSink starts a sink pushing to the server cfg.URL names. It returns an error wrapping
// ErrInvalidConfig for a bad config, or one from creating cfg.SpillDir. Call Stop to release it.
func PyroscopeSink(cfg PyroscopeConfig) (*Pyroscope, error) {
	ownClient := cfg.Client == nil
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pyroscope{
		cfg:       cfg,
		ownClient: ownClient,
		queue:     make([]pushWindow, 0, cfg.Queue),
		wake:      make(chan struct{}, 1),
		draining:  make(chan struct{}),
		done:      make(chan struct{}),
	}
	if cfg.SpillDir != "" {
		if p.spill, err = openSpillDir(cfg.SpillDir, cfg.SpillBytes); err != nil {
			return nil, err
		}
	}
	p.stopCtx, p.cancel = context.WithCancel(context.Background())
	go p.run()
	return p, nil
}

// Send queues every pprof profile of b for pushing and returns at once; it implements Sink, so a
// Pyroscope goes in Config.Sinks. It never blocks and never fails: what cannot be queued is counted in
// Stats. Execution traces (KindTrace) are not pushed.
func (p *Pyroscope) Send(_ context.Context, b *Batch) error {
	for _, pr := range b.Profiles {
		if !pr.Kind.isPprof() {
			continue
		}
		p.push(pushWindow{Kind: string(pr.Kind), Start: pr.Start, End: pr.End, Labels: b.Labels, Data: pr.Data})
	}
	return nil
}

// Close is Stop; the Profiler calls it once at its own Stop, after the last batch.
func (p *Pyroscope) Close(ctx context.Context) error { return p.Stop(ctx) }

var _ interface {
	Sink
	sinkCloser
} = (*Pyroscope)(nil)

// push queues w for sending and returns at once. When the queue is full the oldest window is dropped.
// After Stop it only counts w as dropped.
func (p *Pyroscope) push(w pushWindow) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		p.dropped.Add(1)
		return
	}
	if len(p.queue) >= p.cfg.Queue {
		p.popFrontLocked()
		p.dropped.Add(1)
	}
	p.queue = append(p.queue, w)
	p.mu.Unlock()
	p.signal()
}

func (p *Pyroscope) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Stats returns the sink's counters.
func (p *Pyroscope) Stats() PyroscopeStats {
	p.mu.Lock()
	queued := len(p.queue)
	p.mu.Unlock()
	return PyroscopeStats{
		Sent: p.sent.Load(), Dropped: p.dropped.Load(), Failed: p.failed.Load(), Retries: p.retries.Load(),
		Spilled: p.spilled.Load(), Replayed: p.replayed.Load(), Queued: queued,
	}
}

// Stop stops accepting windows, sends what is queued until ctx is done (with SpillDir, while the
// server is down, it spills at once instead of waiting out the backoff), then spills or drops
// (counted) what is left, and waits for the sender goroutine. It is idempotent. It returns an error
// wrapping ctx's error when windows were dropped undelivered.
func (p *Pyroscope) Stop(ctx context.Context) error {
	p.mu.Lock()
	first := !p.stopped
	p.stopped = true
	p.mu.Unlock()
	if first {
		close(p.draining)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.cancel()
		<-p.done
	}
	p.cancel()
	if p.ownClient {
		p.cfg.Client.CloseIdleConnections()
	}
	p.mu.Lock()
	left := p.queue
	p.queue = nil
	p.mu.Unlock()
	dropped := 0
	for _, w := range left {
		switch {
		case w.spillName != "": // already on disk
		case p.spill != nil && p.spill.put(w) == nil:
			p.spilled.Add(1) // safe on disk, replayed by the next sink on this SpillDir
		default:
			p.dropped.Add(1)
			dropped++
		}
	}
	if dropped > 0 {
		return fmt.Errorf("profiling: pyroscope: stop: %d windows dropped undelivered: %w", dropped, cmp.Or(ctx.Err(), ErrStopped))
	}
	return nil
}

// run is the sender goroutine.
func (p *Pyroscope) run() {
	defer close(p.done)
	var (
		gate     time.Time // no request before this (backoff or Retry-After)
		failures int       // consecutive retryable failures, for the backoff
		down     bool      // the last attempt failed without a server answer we can use
		current  *pushWindow
	)
	for {
		if wait := time.Until(gate); wait > 0 {
			if !p.sleep(wait, down) {
				if current != nil {
					p.requeueFront(current)
				}
				return
			}
			continue
		}
		if current == nil {
			current = p.next()
		}
		if current == nil {
			if !p.idle() {
				return
			}
			continue
		}
		res := p.send(p.stopCtx, current)
		switch {
		case res.err == nil:
			p.sent.Add(1)
			if current.spillName != "" {
				p.replayed.Add(1)
				p.spill.remove(current.spillName)
			}
			current, failures, down, gate = nil, 0, false, time.Time{}
		case res.permanent:
			p.failed.Add(1)
			if current.spillName != "" {
				p.spill.remove(current.spillName)
			}
			current = nil
		default:
			if p.stopCtx.Err() != nil {
				p.requeueFront(current)
				return
			}
			failures++
			down = res.retryAfter == 0
			delay := backoff(p.cfg.MinBackoff, p.cfg.MaxBackoff, failures)
			if res.retryAfter > 0 {
				delay = min(res.retryAfter, p.cfg.MaxRetryAfter)
			}
			gate = time.Now().Add(delay)
			current.attempts++
			switch {
			case current.spillName != "":
				current = nil // stays on disk for a later replay
			case current.attempts < p.cfg.Attempts:
				p.retries.Add(1)
			case p.spill != nil && p.spill.put(*current) == nil:
				p.spilled.Add(1)
				current = nil
			default:
				p.failed.Add(1)
				current = nil
			}
		}
	}
}

// next takes the oldest queued window, or, when the queue is empty, the oldest spilled one (which
// probes the server while it is down: the backoff gate paces it).
func (p *Pyroscope) next() *pushWindow {
	p.mu.Lock()
	if len(p.queue) > 0 {
		w := p.popFrontLocked()
		p.mu.Unlock()
		return &w
	}
	p.mu.Unlock()
	if p.spill == nil || isClosed(p.draining) {
		return nil
	}
	w, ok := p.spill.oldest()
	if !ok {
		return nil
	}
	return &w
}

// popFrontLocked removes and returns the oldest queued window. The queue keeps its backing array
// (at most Queue windows, moved down by one), so a full queue costs no allocation per window.
func (p *Pyroscope) popFrontLocked() pushWindow {
	w := p.queue[0]
	n := copy(p.queue, p.queue[1:])
	p.queue[n] = pushWindow{}
	p.queue = p.queue[:n]
	return w
}

func (p *Pyroscope) requeueFront(w *pushWindow) {
	if w.spillName != "" {
		return
	}
	p.mu.Lock()
	p.queue = slices.Insert(p.queue, 0, *w)
	p.mu.Unlock()
}

// idle waits for a window or for Stop; false means the sender should exit.
func (p *Pyroscope) idle() bool {
	if isClosed(p.draining) {
		return false // drained: Stop saw an empty queue
	}
	select {
	case <-p.wake:
		return true
	case <-p.draining:
		return true // one more look at the queue
	}
}

// sleep waits out a backoff. While the server is down and a spill directory is set, windows arriving
// meanwhile go to disk instead of crowding the queue, and Stop ends the wait at once (what is left
// is spilled). False means the sender should exit.
func (p *Pyroscope) sleep(d time.Duration, down bool) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	spilling := down && p.spill != nil
	draining := p.draining
	if !spilling {
		draining = nil // without a spill, Stop waits for the backoff (within its ctx) to deliver
	}
	for {
		if spilling {
			p.spillQueue()
		}
		select {
		case <-t.C:
			return true
		case <-p.stopCtx.Done():
			return false
		case <-draining:
			return false
		case <-p.wake:
		}
	}
}

// spillQueue moves every queued window to the spill directory.
func (p *Pyroscope) spillQueue() {
	p.mu.Lock()
	ws := slices.Clone(p.queue)
	clear(p.queue)
	p.queue = p.queue[:0]
	p.mu.Unlock()
	for _, w := range ws {
		if err := p.spill.put(w); err != nil {
			p.dropped.Add(1)
			continue
		}
		p.spilled.Add(1)
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// backoff returns the delay before retry number n (n ≥ 1): min·2^(n-1) capped at max, times a
// uniformly random factor in [0.5, 1.5) so a fleet does not retry in step.
func backoff(minD, maxD time.Duration, n int) time.Duration {
	d := minD
	for i := 1; i < n && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// sendResult is the outcome of one request.
type sendResult struct {
	err        error
	permanent  bool          // retrying cannot help (4xx other than 408/429)
	retryAfter time.Duration // the server asked for this pause (429 or 503 with Retry-After)
}

// send makes one ingest request for w.
func (p *Pyroscope) send(ctx context.Context, w *pushWindow) sendResult {
	req, err := p.request(ctx, w)
	if err != nil {
		return sendResult{err: err, permanent: true}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	resp, err := p.cfg.Client.Do(req.WithContext(ctx))
	if err != nil {
		return sendResult{err: fmt.Errorf("profiling: pyroscope: push %s: %w", w.Kind, err)}
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return sendResult{}
	}
	res := sendResult{err: fmt.Errorf("profiling: pyroscope: push %s: %s: %s", w.Kind, resp.Status, bytes.TrimSpace(body))}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		res.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if res.retryAfter == 0 && resp.StatusCode == http.StatusTooManyRequests {
			res.retryAfter = p.cfg.MinBackoff // a 429 without a hint still means "not now"
		}
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
	default:
		res.permanent = true
	}
	return res
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date. Zero when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 1<<30)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// request builds the ingest request for w:
//
//	POST <URL>/ingest?name=<app>{k=v,…}&from=<unix s>&until=<unix s>&format=pprof&spyName=gospy&sampleRate=100
//	Content-Type: multipart/form-data; fields "profile" (the pprof) and, for kinds the server does not
//	know by name, "sample_type_config" (JSON).
func (p *Pyroscope) request(ctx context.Context, w *pushWindow) (*http.Request, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("profile", "profile.pprof")
	if err != nil {
		return nil, err
	}
	fw.Write(w.Data)
	if stc := sampleTypeConfig(w.Kind); stc != nil {
		fw, err = mw.CreateFormFile("sample_type_config", "sample_type_config.json")
		if err != nil {
			return nil, err
		}
		if err := json.NewEncoder(fw).Encode(stc); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	u, _ := url.Parse(p.cfg.URL) // validated in withDefaults
	u.Path = strings.TrimSuffix(u.Path, "/") + "/ingest"
	q := url.Values{}
	app := p.cfg.App
	if app == "" {
		app = w.Labels["service"]
	}
	if app == "" {
		app = "hotpath"
	}
	q.Set("name", appName(app, p.cfg.Labels, w.Labels))
	q.Set("from", strconv.FormatInt(w.Start.Unix(), 10))
	until := w.End.Unix()
	if until <= w.Start.Unix() {
		until = w.Start.Unix() + 1
	}
	q.Set("until", strconv.FormatInt(until, 10))
	q.Set("format", "pprof")
	q.Set("spyName", "gospy")
	q.Set("sampleRate", "100")
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), &body)
	if err != nil {
		return nil, fmt.Errorf("profiling: pyroscope: push %s: %w", w.Kind, err)
	}
	for k, vs := range p.cfg.Header {
		req.Header[k] = slices.Clone(vs)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if p.cfg.TenantID != "" {
		req.Header.Set("X-Scope-OrgID", p.cfg.TenantID)
	}
	return req, nil
}

// pyroscopeSampleType is one entry of the ingest API's sample_type_config.
type pyroscopeSampleType struct {
	Units       string `json:"units,omitempty"`
	Aggregation string `json:"aggregation,omitempty"`
	DisplayName string `json:"display-name,omitempty"`
	Sampled     bool   `json:"sampled,omitempty"`
}

// sampleTypeConfig describes the sample types of a kind the server would otherwise misread; nil for
// kinds it knows (cpu, and heap's alloc_*/inuse_*, whose in-use gauges still need averaging).
func sampleTypeConfig(kind string) map[string]pyroscopeSampleType {
	switch kind {
	case "heap":
		return map[string]pyroscopeSampleType{
			"alloc_objects": {Units: "objects"},
			"alloc_space":   {Units: "bytes"},
			"inuse_objects": {Units: "objects", Aggregation: "average"},
			"inuse_space":   {Units: "bytes", Aggregation: "average"},
		}
	case "goroutine":
		return map[string]pyroscopeSampleType{
			"goroutine": {Units: "goroutines", Aggregation: "average", DisplayName: "goroutine"},
		}
	case "mutex", "block":
		return map[string]pyroscopeSampleType{
			"contentions": {Units: "lock_samples", DisplayName: kind + "_count"},
			"delay":       {Units: "lock_nanoseconds", DisplayName: kind + "_duration"},
		}
	case "wall":
		return map[string]pyroscopeSampleType{
			"samples": {Units: "samples", DisplayName: "wall_samples", Sampled: true},
			"time":    {DisplayName: "wall_nanoseconds"},
		}
	}
	return nil
}

// appName builds the ingest "name": app{k=v,…} with keys sorted, the window's labels overriding the
// sink's. Pyroscope parses the braces, so ',', '{', '}' and '=' in values become '_', and keys and
// the app name keep only letters, digits, '_', '-' and '.'.
func appName(app string, base, own map[string]string) string {
	labels := make(map[string]string, len(base)+len(own))
	for k, v := range base {
		labels[k] = v
	}
	for k, v := range own {
		labels[k] = v
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k = sanitizeName(k); k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var b strings.Builder
	b.WriteString(sanitizeName(app))
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strings.Map(func(r rune) rune {
			switch r {
			case ',', '{', '}', '=':
				return '_'
			}
			return r
		}, labelValue(labels, k)))
	}
	b.WriteByte('}')
	return b.String()
}

// labelValue finds the value of sanitized key k among labels whose keys may not be sanitized yet.
func labelValue(labels map[string]string, k string) string {
	if v, ok := labels[k]; ok {
		return v
	}
	for key, v := range labels {
		if sanitizeName(key) == k {
			return v
		}
	}
	return ""
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			return r
		}
		return '_'
	}, s)
}
