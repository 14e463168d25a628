package profiling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// ingestRequest is what the fake server saw in one valid request.
type ingestRequest struct {
	at               time.Time
	name             string
	from, until      int64
	profile          *profile.Profile
	sampleTypeConfig map[string]pyroscopeSampleType // nil when the field was absent
	tenant           string
}

// fakePyroscope is a loopback server that checks every request against the ingest API and answers
// with what respond returns for the n-th request (0-based). A request that breaks the API fails the
// test.
type fakePyroscope struct {
	t       *testing.T
	srv     *httptest.Server
	respond func(n int, w http.ResponseWriter, r *http.Request) bool // false: already answered

	mu       sync.Mutex
	requests int
	firstAt  time.Time // when request 0 arrived
	accepted []ingestRequest
}

var ingestName = regexp.MustCompile(`^[A-Za-z0-9_.-]+\{([A-Za-z0-9_.-]+=[^,{}=]*(,[A-Za-z0-9_.-]+=[^,{}=]*)*)?\}$`)

func newFakePyroscope(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request) bool) *fakePyroscope {
	t.Helper()
	f := &fakePyroscope{t: t, respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePyroscope) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := f.requests
	f.requests++
	if n == 0 {
		f.firstAt = time.Now()
	}
	f.mu.Unlock()
	req, err := parseIngest(r)
	if err != nil {
		f.t.Errorf("request %d breaks the ingest API: %v", n, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if f.respond != nil && !f.respond(n, w, r) {
		return
	}
	f.mu.Lock()
	f.accepted = append(f.accepted, req)
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// parseIngest validates r against the published ingest API and decodes it.
func parseIngest(r *http.Request) (ingestRequest, error) {
	req := ingestRequest{at: time.Now(), tenant: r.Header.Get("X-Scope-OrgID")}
	if r.Method != http.MethodPost || r.URL.Path != "/ingest" {
		return req, fmt.Errorf("%s %s, want POST /ingest", r.Method, r.URL.Path)
	}
	q := r.URL.Query()
	req.name = q.Get("name")
	if !ingestName.MatchString(req.name) {
		return req, fmt.Errorf("name %q is not app{k=v,…}", req.name)
	}
	var err error
	if req.from, err = strconv.ParseInt(q.Get("from"), 10, 64); err != nil {
		return req, fmt.Errorf("from %q: %v", q.Get("from"), err)
	}
	if req.until, err = strconv.ParseInt(q.Get("until"), 10, 64); err != nil || req.until <= req.from {
		return req, fmt.Errorf("until %q: want an integer after from %d", q.Get("until"), req.from)
	}
	if req.from < 1e9 || req.from > 1e10 {
		return req, fmt.Errorf("from %d is not UNIX seconds", req.from)
	}
	for k, want := range map[string]string{"format": "pprof", "spyName": "gospy", "sampleRate": "100"} {
		if got := q.Get(k); got != want {
			return req, fmt.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return req, fmt.Errorf("Content-Type %q, want multipart/form-data with a boundary", r.Header.Get("Content-Type"))
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		return req, fmt.Errorf("multipart: %v", err)
	}
	fhs := r.MultipartForm.File["profile"]
	if len(fhs) != 1 {
		return req, fmt.Errorf("%d profile fields, want 1", len(fhs))
	}
	data, err := readFormFile(fhs[0].Open)
	if err != nil {
		return req, err
	}
	if req.profile, err = profile.ParseData(data); err != nil {
		return req, fmt.Errorf("profile field is not pprof: %v", err)
	}
	if fhs := r.MultipartForm.File["sample_type_config"]; len(fhs) == 1 {
		data, err := readFormFile(fhs[0].Open)
		if err != nil {
			return req, err
		}
		if err := json.Unmarshal(data, &req.sampleTypeConfig); err != nil {
			return req, fmt.Errorf("sample_type_config: %v", err)
		}
	}
	return req, nil
}

func readFormFile[F io.ReadCloser](open func() (F, error)) ([]byte, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func (f *fakePyroscope) got() []ingestRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ingestRequest(nil), f.accepted...)
}

func (f *fakePyroscope) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// testWindow returns a window of kind with a real pprof body whose one sample has value v.
func testWindow(t testing.TB, kind string, start time.Time, v int64) pushWindow {
	t.Helper()
	types := map[string][]*profile.ValueType{
		"cpu":   {{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		"heap":  {{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"}, {Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"}},
		"mutex": {{Type: "contentions", Unit: "count"}, {Type: "delay", Unit: "nanoseconds"}},
	}[kind]
	fn := &profile.Function{ID: 1, Name: "main.hot", SystemName: "main.hot", Filename: "main.go"}
	loc := &profile.Location{ID: 1, Address: 0x1000, Line: []profile.Line{{Function: fn, Line: 10}}}
	vals := make([]int64, len(types))
	for i := range vals {
		vals[i] = v
	}
	p := &profile.Profile{
		SampleType: types, TimeNanos: start.UnixNano(), DurationNanos: int64(10 * time.Second),
		Sample: []*profile.Sample{{Location: []*profile.Location{loc}, Value: vals}}, Location: []*profile.Location{loc}, Function: []*profile.Function{fn},
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return pushWindow{Kind: kind, Start: start, End: start.Add(10 * time.Second), Labels: map[string]string{"instance": "i-1"}, Data: buf.Bytes()}
}

func startSink(t *testing.T, cfg PyroscopeConfig) *Pyroscope {
	t.Helper()
	p, err := PyroscopeSink(cfg)
	if err != nil {
		t.Fatalf("PyroscopeSink(%+v) = %v", cfg, err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	return p
}

func stop(t *testing.T, p *Pyroscope, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	return p.Stop(ctx)
}

var t0 = time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)

func TestPyroscopeProtocol(t *testing.T) {
	srv := newFakePyroscope(t, nil)
	p := startSink(t, PyroscopeConfig{URL: srv.srv.URL, App: "checkout", TenantID: "team-a", Labels: map[string]string{"env": "prod", "instance": "overridden"}})
	for i, kind := range []string{"cpu", "heap", "mutex"} {
		p.push(testWindow(t, kind, t0.Add(time.Duration(i)*10*time.Second), int64(i+1)))
	}
	if err := stop(t, p, 10*time.Second); err != nil {
		t.Fatalf("Stop = %v, want nil", err)
	}
	got := srv.got()
	if len(got) != 3 {
		t.Fatalf("server accepted %d requests, want 3", len(got))
	}
	for i, want := range []struct {
		kind string
		stc  string // a key sample_type_config must hold, "" when absent
	}{{"cpu", ""}, {"heap", "inuse_space"}, {"mutex", "delay"}} {
		r := got[i]
		from := t0.Add(time.Duration(i) * 10 * time.Second).Unix()
		if r.name != "checkout{env=prod,instance=i-1}" || r.from != from || r.until != from+10 || r.tenant != "team-a" {
			t.Errorf("request %d = name %q from %d until %d tenant %q, want checkout{env=prod,instance=i-1} %d %d team-a", i, r.name, r.from, r.until, r.tenant, from, from+10)
		}
		if v := r.profile.Sample[0].Value[0]; v != int64(i+1) {
			t.Errorf("request %d profile value = %d, want %d", i, v, i+1)
		}
		if _, ok := r.sampleTypeConfig[want.stc]; (want.stc == "") != (r.sampleTypeConfig == nil) || (want.stc != "" && !ok) {
			t.Errorf("request %d (%s) sample_type_config = %v, want key %q", i, want.kind, r.sampleTypeConfig, want.stc)
		}
	}
	if s := p.Stats(); s.Sent != 3 || s.Dropped+s.Failed+s.Retries != 0 {
		t.Errorf("Stats() = %+v, want 3 sent and nothing else", s)
	}
}

func TestPyroscopeFaults(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	tests := []struct {
		name      string
		responses []func(w http.ResponseWriter, r *http.Request) // then 200
		cfg       PyroscopeConfig
		want      PyroscopeStats
		minGap    time.Duration // least time between the last two requests
		retriesGE bool          // want.Retries is a lower bound (a loaded machine may time out a retry too)
	}{
		{name: "500 then ok", responses: []func(http.ResponseWriter, *http.Request){status(500), status(502)},
			want: PyroscopeStats{Sent: 1, Retries: 2}},
		{name: "429 with Retry-After is honoured", responses: []func(http.ResponseWriter, *http.Request){retryAfter("1")},
			want: PyroscopeStats{Sent: 1, Retries: 1}, minGap: time.Second},
		{name: "503 with HTTP-date Retry-After", responses: []func(http.ResponseWriter, *http.Request){retryAfterDate(1500 * time.Millisecond)},
			want: PyroscopeStats{Sent: 1, Retries: 1}, minGap: time.Second},
		{name: "timeout then ok", responses: []func(http.ResponseWriter, *http.Request){hang},
			cfg: PyroscopeConfig{Timeout: 500 * time.Millisecond}, want: PyroscopeStats{Sent: 1, Retries: 1}, retriesGE: true},
		{name: "400 is not retried", responses: []func(http.ResponseWriter, *http.Request){status(400)},
			want: PyroscopeStats{Failed: 1}},
		{name: "out of attempts", responses: []func(http.ResponseWriter, *http.Request){status(500), status(500), status(500)},
			cfg: PyroscopeConfig{Attempts: 3}, want: PyroscopeStats{Failed: 1, Retries: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakePyroscope(t, func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n < len(tt.responses) {
					tt.responses[n](w, r)
					return false
				}
				return true
			})
			cfg := tt.cfg
			cfg.URL = srv.srv.URL
			cfg.MinBackoff, cfg.MaxBackoff = 5*time.Millisecond, 20*time.Millisecond
			p := startSink(t, cfg)
			p.push(testWindow(t, "cpu", t0, 1))
			if err := stop(t, p, 20*time.Second); err != nil {
				t.Fatalf("Stop = %v", err)
			}
			got := p.Stats()
			if tt.retriesGE && got.Retries >= tt.want.Retries {
				got.Retries = tt.want.Retries
			}
			if got != tt.want {
				t.Errorf("Stats() = %+v, want %+v", got, tt.want)
			}
			if tt.minGap > 0 {
				reqs := srv.got()
				if len(reqs) != 1 {
					t.Fatalf("accepted %d, want 1", len(reqs))
				}
				if gap := reqs[0].at.Sub(srv.firstAt); gap < tt.minGap {
					t.Errorf("retry came %v after the 429/503, want ≥ %v (Retry-After)", gap, tt.minGap)
				}
			}
		})
	}
}

func status(code int) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no", code) }
}

func retryAfter(v string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", v)
		http.Error(w, "slow down", http.StatusTooManyRequests)
	}
}

func retryAfterDate(d time.Duration) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		// HTTP dates have whole seconds: round up so the pause is at least d.
		w.Header().Set("Retry-After", time.Now().Add(d).Add(time.Second).UTC().Truncate(time.Second).Format(http.TimeFormat))
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}
}

func TestPyroscopeQueueDropsOldest(t *testing.T) {
	release := make(chan struct{})
	var blocked atomic.Bool
	srv := newFakePyroscope(t, func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			blocked.Store(true)
			<-release
		}
		return true
	})
	p := startSink(t, PyroscopeConfig{URL: srv.srv.URL, Queue: 4})
	p.push(testWindow(t, "cpu", t0, 0))
	for !blocked.Load() {
		time.Sleep(time.Millisecond)
	}
	// The sender is stuck in request 0; these ten go to a queue of four.
	for i := 1; i <= 10; i++ {
		p.push(testWindow(t, "cpu", t0.Add(time.Duration(i)*10*time.Second), int64(i)))
	}
	if s := p.Stats(); s.Queued != 4 || s.Dropped != 6 {
		t.Errorf("Stats() with a stuck server = %+v, want 4 queued and 6 dropped", s)
	}
	close(release)
	if err := stop(t, p, 10*time.Second); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	var got []int64
	for _, r := range srv.got() {
		got = append(got, r.profile.Sample[0].Value[0])
	}
	if want := []int64{0, 7, 8, 9, 10}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("windows delivered = %v, want %v (the newest kept)", got, want)
	}
}

// TestPyroscopeOutage keeps the server unreachable (connections reset) while windows arrive: they go
// to the spill directory instead of memory, and are replayed once the server is back. A second sink
// on the same directory replays what the first left behind.
func TestPyroscopeOutage(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	srv := newFakePyroscope(t, func(n int, w http.ResponseWriter, r *http.Request) bool {
		if down.Load() {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close() // the client sees a broken connection, not an answer
			}
			return false
		}
		return true
	})
	dir := t.TempDir()
	cfg := PyroscopeConfig{URL: srv.srv.URL, SpillDir: dir, Queue: 2, Attempts: 2, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	p := startSink(t, cfg)
	const n = 12
	for i := range n {
		p.push(testWindow(t, "cpu", t0.Add(time.Duration(i)*10*time.Second), int64(i)))
		waitFor(t, "the queue to empty", func() bool { return p.Stats().Queued == 0 }) // windows arrive slower than disk
	}
	// Everything ends up on disk (none dropped, none held in memory).
	err := stop(t, p, 200*time.Millisecond)
	s := p.Stats()
	if s.Dropped != 0 || s.Sent != 0 || s.Spilled != n || err != nil {
		t.Fatalf("Stats() after an outage = %+v (Stop: %v), want %d spilled, none dropped or sent, Stop nil", s, err, n)
	}

	down.Store(false)
	p2 := startSink(t, cfg)
	p2.push(testWindow(t, "cpu", t0.Add(n*10*time.Second), n))
	// Spilled windows are replayed in the background; Stop does not wait for them (they are safe on
	// disk), so wait here.
	waitFor(t, "the replay", func() bool { return p2.Stats().Replayed == n })
	if err := stop(t, p2, 10*time.Second); err != nil {
		t.Fatalf("Stop after recovery = %v", err)
	}
	if s := p2.Stats(); s.Sent != n+1 || s.Replayed != n {
		t.Errorf("Stats() after recovery = %+v, want %d sent, %d replayed", s, n+1, n)
	}
	seen := map[int64]bool{}
	for _, r := range srv.got() {
		seen[r.profile.Sample[0].Value[0]] = true
	}
	if len(seen) != n+1 {
		t.Errorf("server holds %d distinct windows, want %d", len(seen), n+1)
	}
}

func TestPyroscopeStopBounded(t *testing.T) {
	srv := newFakePyroscope(t, func(n int, w http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done()
		return false
	})
	p := startSink(t, PyroscopeConfig{URL: srv.srv.URL})
	p.push(testWindow(t, "cpu", t0, 1))
	p.push(testWindow(t, "cpu", t0.Add(10*time.Second), 2))
	err := stop(t, p, 100*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop with a hung server = %v, want DeadlineExceeded", err)
	}
	if s := p.Stats(); s.Dropped != 2 || s.Queued != 0 {
		t.Errorf("Stats() after a bounded Stop = %+v, want 2 dropped", s)
	}
	if err := p.Stop(t.Context()); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
	p.push(testWindow(t, "cpu", t0, 3))
	if s := p.Stats(); s.Dropped != 3 {
		t.Errorf("push after Stop: Dropped = %d, want 3", s.Dropped)
	}
}

func TestPyroscopeConfigErrors(t *testing.T) {
	for _, cfg := range []PyroscopeConfig{
		{},
		{URL: "pyroscope:4040"},
		{URL: "ftp://x"},
		{URL: "http://x", Queue: -1},
		{URL: "http://x", Timeout: -time.Second},
	} {
		if p, err := PyroscopeSink(cfg); !errors.Is(err, ErrInvalidConfig) {
			if p != nil {
				p.Stop(t.Context())
			}
			t.Errorf("PyroscopeSink(%+v) = %v, want ErrInvalidConfig", cfg, err)
		}
	}
}

func TestAppName(t *testing.T) {
	tests := []struct {
		app       string
		base, own map[string]string
		want      string
	}{
		{"svc", nil, nil, "svc{}"},
		{"svc", map[string]string{"b": "2", "a": "1"}, map[string]string{"b": "3"}, "svc{a=1,b=3}"},
		{"my app/x", map[string]string{"route": "/orders/{id}", "k k": "a,b=c"}, nil, "my_app_x{k_k=a_b_c,route=/orders/_id_}"},
	}
	for _, tt := range tests {
		if got := appName(tt.app, tt.base, tt.own); got != tt.want || !ingestName.MatchString(got) {
			t.Errorf("appName(%q, %v, %v) = %q, want %q", tt.app, tt.base, tt.own, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-3", 0}, {"7", 7 * time.Second}, {" 2 ", 2 * time.Second}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	minD, maxD := 100*time.Millisecond, time.Second
	for n, base := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		for range 100 {
			if got := backoff(minD, maxD, n); got < base/2 || got >= base*3/2 {
				t.Fatalf("backoff(%v, %v, %d) = %v, want in [%v, %v)", minD, maxD, n, got, base/2, base*3/2)
			}
		}
	}
}

// FuzzDecodeSpill feeds arbitrary bytes to the spill file decoder: it must return a window or an
// error, never panic, and a decoded window must encode back to the same header.
func FuzzDecodeSpill(f *testing.F) {
	f.Add([]byte(`{"kind":"cpu","start":"2026-12-03T17:00:00Z","end":"2026-12-03T17:00:10Z","labels":{"a":"b"}}` + "\n\x1f\x8b"))
	f.Add([]byte("\n"))
	f.Add([]byte(`{"kind":""}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := decodeSpill(data)
		if err != nil {
			return
		}
		if w.Kind == "" || w.Start.IsZero() {
			t.Fatalf("decodeSpill(%q) = %+v without an error", data, w)
		}
		if _, err := json.Marshal(w); err != nil {
			t.Fatalf("decoded window does not encode: %v", err)
		}
	})
}

// TestPyroscopeAsProfilerSink runs a Pyroscope sink in a Profiler: each window's profiles reach the
// server under the service's name with the window's labels, and the Profiler's Stop drains the sink.
func TestPyroscopeAsProfilerSink(t *testing.T) {
	srv := newFakePyroscope(t, nil)
	sink, err := PyroscopeSink(PyroscopeConfig{URL: srv.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(Config{Service: "orders-svc", Instance: "i-7", Kinds: []Kind{KindHeap, KindGoroutine}, NoStore: true, Sinks: []Sink{sink}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(t.Context()); err != nil {
		t.Fatalf("Flush = %v", err)
	}
	if err := p.Stop(t.Context()); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	got := map[string]ingestRequest{}
	for _, r := range srv.got() {
		for _, st := range r.profile.SampleType {
			got[st.Type] = r
		}
	}
	for _, typ := range []string{"inuse_space", "goroutine"} {
		r, ok := got[typ]
		if !ok {
			t.Errorf("no request carried sample type %s; got %d requests", typ, len(srv.got()))
			continue
		}
		if !regexp.MustCompile(`^orders-svc\{.*instance=i-7.*service=orders-svc.*\}$`).MatchString(r.name) {
			t.Errorf("%s pushed as %q, want orders-svc{…instance=i-7…service=orders-svc…}", typ, r.name)
		}
		if r.sampleTypeConfig == nil {
			t.Errorf("%s pushed without sample_type_config", typ)
		}
	}
	if s := sink.Stats(); s.Sent < 2 || s.Dropped+s.Failed != 0 {
		t.Errorf("sink Stats() = %+v, want ≥ 2 sent, none dropped or failed", s)
	}
}
