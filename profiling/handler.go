package profiling

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"
)

// Handler returns the endpoint: the index page, the store's range API, the web UI, the routes of an
// attached Monitor and net/http/pprof-compatible routes, behind the Authorize hook (or, without one, a
// loopback-only check). The package documentation's "Endpoint and routes" lists every route. Mount it
// on a server of your own; nothing is registered on http.DefaultServeMux.
func (p *Profiler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.serveIndex)
	mux.HandleFunc("GET /api/profiles", p.serveList)
	mux.HandleFunc("GET /api/profile", p.serveProfile)
	mux.HandleFunc("GET /api/diff", p.serveDiff)
	mux.HandleFunc("GET /api/file", p.serveFile)
	mux.HandleFunc("GET /api/stats", p.serveStats)
	mux.HandleFunc("GET /debug/pprof/{$}", p.servePprofIndex)
	mux.HandleFunc("GET /debug/pprof/profile", p.serveCPU)
	mux.HandleFunc("GET /debug/pprof/trace", p.serveTrace)
	mux.HandleFunc("GET /debug/pprof/cmdline", p.serveCmdline)
	mux.HandleFunc("GET /debug/pprof/{name}", p.serveNamed)
	for _, r := range p.extraRoutes() {
		mux.Handle(r.pattern, r.handler)
	}
	return p.guard(mux)
}

// guard applies Authorize, or refuses clients that are not on a loopback address.
func (p *Profiler) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.cfg.Authorize != nil {
			if err := p.cfg.Authorize(r); err != nil {
				httpError(w, http.StatusForbidden, err)
				return
			}
		} else if !loopback(r.RemoteAddr) {
			httpError(w, http.StatusForbidden, errors.New("profiling: refused: non-loopback client and no Authorize hook"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopback reports whether addr ("host:port") is a loopback address.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// httpError answers with code and err's message on one line.
func httpError(w http.ResponseWriter, code int, err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// statusOf maps a package error to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrCorrupt):
		return http.StatusNotFound
	case errors.Is(err, ErrBusy):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrCPUProfilerInUse):
		return http.StatusConflict
	case errors.Is(err, ErrStopped):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (p *Profiler) needStore(w http.ResponseWriter) bool {
	if p.store == nil {
		httpError(w, http.StatusNotFound, fmt.Errorf("profiling: %w: the local store is off", ErrNotFound))
		return false
	}
	return true
}

func (p *Profiler) serveList(w http.ResponseWriter, r *http.Request) {
	if !p.needStore(w) {
		return
	}
	q := r.URL.Query()
	var k Kind
	if v := q.Get("kind"); v != "" {
		var err error
		if k, err = parseKindParam(q); err != nil {
			httpError(w, http.StatusBadRequest, err)
			return
		}
	}
	from, to, err := parseRange(q, "from", "to", p.cfg.clock.Now())
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	entries := p.store.List(k, from, to)
	if entries == nil {
		entries = []Entry{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Labels  map[string]string `json:"labels"`
		Entries []Entry           `json:"entries"`
	}{p.labels, entries})
}

// mergeQuery reads kind and a range and merges the store's windows.
func (p *Profiler) mergeQuery(r *http.Request, fromKey, toKey string) (*profile.Profile, error) {
	q := r.URL.Query()
	k, err := parseKindParam(q)
	if err != nil {
		return nil, err
	}
	if !k.isPprof() {
		return nil, fmt.Errorf("%w: kind=%s: not a pprof kind", ErrBadRequest, k)
	}
	from, to, err := parseRange(q, fromKey, toKey, p.cfg.clock.Now())
	if err != nil {
		return nil, err
	}
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	filters, err := ParseLabelFilters(q["label"])
	if err != nil {
		return nil, err
	}
	m, _, err := p.store.Merge(k, from, to)
	if err != nil || len(filters) == 0 {
		return m, err
	}
	if m = FilterLabels(m, filters); len(m.Sample) == 0 {
		return nil, fmt.Errorf("profiling: %w: no samples carry %v", ErrNotFound, filters)
	}
	return m, nil
}

func (p *Profiler) serveProfile(w http.ResponseWriter, r *http.Request) {
	if !p.needStore(w) {
		return
	}
	m, err := p.mergeQuery(r, "from", "to")
	if err != nil {
		httpError(w, statusOf(err), err)
		return
	}
	writeProfile(w, r, m, "profile")
}

func (p *Profiler) serveDiff(w http.ResponseWriter, r *http.Request) {
	if !p.needStore(w) {
		return
	}
	q := r.URL.Query()
	if q.Get("base_from") == "" && q.Get("base_to") == "" {
		httpError(w, http.StatusBadRequest, fmt.Errorf("%w: base_from or base_to is required", ErrBadRequest))
		return
	}
	head, err := p.mergeQuery(r, "from", "to")
	if err != nil {
		httpError(w, statusOf(err), fmt.Errorf("head: %w", err))
		return
	}
	base, err := p.mergeQuery(r, "base_from", "base_to")
	if err != nil {
		httpError(w, statusOf(err), fmt.Errorf("base: %w", err))
		return
	}
	d, err := diffProfiles(head, base)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	writeProfile(w, r, d, "diff")
}

// diffProfiles returns head minus base; samples of base carry the label pprof::base=true, as
// `go tool pprof -diff_base` marks them.
func diffProfiles(head, base *profile.Profile) (*profile.Profile, error) {
	base = base.Copy()
	for _, s := range base.Sample {
		if s.Label == nil {
			s.Label = map[string][]string{}
		}
		s.Label["pprof::base"] = []string{"true"}
	}
	base.Scale(-1)
	d, err := profile.Merge([]*profile.Profile{head, base})
	if err != nil {
		return nil, fmt.Errorf("profiling: diff: %w", err)
	}
	return d, nil
}

// writeProfile writes p gzipped as a download.
func writeProfile(w http.ResponseWriter, r *http.Request, p *profile.Profile, name string) {
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	writeBytes(w, b.Bytes(), name)
}

func writeBytes(w http.ResponseWriter, b []byte, name string) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// serveFile serves one stored file by its index name; only names in the index are served, so no path
// outside the store can be named.
func (p *Profiler) serveFile(w http.ResponseWriter, r *http.Request) {
	if !p.needStore(w) {
		return
	}
	name := r.URL.Query().Get("name")
	e, ok := p.store.Lookup(name)
	if !ok {
		httpError(w, http.StatusNotFound, fmt.Errorf("profiling: file %q: %w", name, ErrNotFound))
		return
	}
	b, err := p.store.Read(e)
	if err != nil {
		httpError(w, statusOf(err), err)
		return
	}
	writeBytes(w, b, path.Base(e.Name))
}

func (p *Profiler) serveStats(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(p.Stats())
}

// captureLimit returns the longest capture this request may run: the configured cap, and less than the
// server's WriteTimeout (a capture longer than it would be cut off mid-write).
func (p *Profiler) captureLimit(r *http.Request) int {
	limit := p.cfg.MaxCaptureSeconds
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.WriteTimeout > 0 {
		limit = min(limit, int(srv.WriteTimeout/time.Second)-1)
	}
	return limit
}

func (p *Profiler) serveCPU(w http.ResponseWriter, r *http.Request) {
	d, err := parseSeconds(r.URL.Query(), 30, p.captureLimit(r))
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	if !p.cpuCapture.CompareAndSwap(false, true) {
		httpError(w, http.StatusTooManyRequests, fmt.Errorf("profiling: cpu profile: %w", ErrBusy))
		return
	}
	defer p.cpuCapture.Store(false)
	b, err := p.CaptureCPU(r.Context(), d)
	if err != nil {
		httpError(w, statusOf(err), err)
		return
	}
	writeBytes(w, b, "profile")
}

func (p *Profiler) serveTrace(w http.ResponseWriter, r *http.Request) {
	d, err := parseSeconds(r.URL.Query(), 1, p.captureLimit(r))
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	if !p.traceCapture.CompareAndSwap(false, true) {
		httpError(w, http.StatusTooManyRequests, fmt.Errorf("profiling: trace: %w", ErrBusy))
		return
	}
	defer p.traceCapture.Store(false)
	var b bytes.Buffer
	if err := trace.Start(&b); err != nil {
		httpError(w, http.StatusConflict, fmt.Errorf("profiling: trace: %v", err))
		return
	}
	timer := time.NewTimer(d)
	select {
	case <-timer.C:
	case <-r.Context().Done():
		timer.Stop()
	}
	trace.Stop()
	if r.Context().Err() != nil {
		return
	}
	writeBytes(w, b.Bytes(), "trace")
}

func (p *Profiler) serveCmdline(w http.ResponseWriter, r *http.Request) {
	if !p.cfg.EnableCmdline {
		httpError(w, http.StatusNotFound, errors.New("profiling: cmdline is off (Config.EnableCmdline)"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, strings.Join(os.Args, "\x00"))
}

// serveNamed serves a runtime profile by name, like net/http/pprof: ?debug=N for text, ?gc=1 to run a
// GC before a heap profile, and ?seconds=N for a delta over the next N seconds in which, unlike
// net/http/pprof, only counters are subtracted and in-use values stay the current ones.
func (p *Profiler) serveNamed(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	pp := pprof.Lookup(name)
	if pp == nil {
		httpError(w, http.StatusNotFound, fmt.Errorf("profiling: %w: unknown profile %q", ErrNotFound, name))
		return
	}
	q := r.URL.Query()
	debug := 0
	if v := q.Get("debug"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 2 {
			httpError(w, http.StatusBadRequest, fmt.Errorf("%w: debug=%q: want 0, 1 or 2", ErrBadRequest, v))
			return
		}
		debug = n
	}
	if q.Get("gc") == "1" && (name == "heap" || name == "allocs") {
		runtimeGC()
	}
	if q.Get("seconds") != "" {
		p.serveNamedDelta(w, r, pp, debug)
		return
	}
	if debug > 0 {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	}
	pp.WriteTo(w, debug)
}

func (p *Profiler) serveNamedDelta(w http.ResponseWriter, r *http.Request, pp *pprof.Profile, debug int) {
	d, err := parseSeconds(r.URL.Query(), 30, p.captureLimit(r))
	if err == nil && debug != 0 {
		err = fmt.Errorf("%w: seconds and debug cannot be combined", ErrBadRequest)
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	read := func() (*profile.Profile, error) {
		var b bytes.Buffer
		if err := pp.WriteTo(&b, 0); err != nil {
			return nil, err
		}
		return profile.Parse(&b)
	}
	p0, err := read()
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	start := time.Now()
	timer := time.NewTimer(d)
	select {
	case <-timer.C:
	case <-r.Context().Done():
		timer.Stop()
		return
	}
	p1, err := read()
	if err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	out := delta(p0, p1)
	out.TimeNanos = start.UnixNano()
	out.DurationNanos = time.Since(start).Nanoseconds()
	writeProfile(w, r, out, pp.Name()+"-delta")
}

// pprofIndex is parsed on first use, not at package init.
var pprofIndex = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("pprof").Parse(`<!doctype html>
<title>/debug/pprof/</title>
<h1>/debug/pprof/</h1>
<p>Served by hotpath's profiler; the CPU profile comes from its single CPU-profiler owner.</p>
<ul>
<li><a href="profile?seconds=30">profile</a> (CPU, 30 s)
<li><a href="trace?seconds=1">trace</a> (1 s)
{{range .}}<li><a href="{{.Name}}?debug=1">{{.Name}}</a> ({{.Count}})
{{end}}</ul>
`))
})

func (p *Profiler) servePprofIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	type row struct {
		Name  string
		Count int
	}
	var rows []row
	for _, pp := range pprof.Profiles() {
		rows = append(rows, row{pp.Name(), pp.Count()})
	}
	pprofIndex().Execute(w, rows)
}
