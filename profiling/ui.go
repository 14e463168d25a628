package profiling

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/driver"
	"github.com/google/pprof/profile"
)

// The web UI keeps the last few profiles it prepared, so moving between the flame graph, top, graph,
// source and peek views of one selection does not merge the store again on every click.
const (
	// uiCacheEntries bounds the prepared profiles held (each is a profile plus its serialised copy:
	// typically a few hundred KiB to a few MiB).
	uiCacheEntries = 4
	// uiCacheTTL bounds how stale a view may be: a selection without an end ("up to now") grows by a
	// window each period, so a prepared profile is rebuilt after this long.
	uiCacheTTL = 15 * time.Second
)

// uiQueryKeys are the query parameters that select the profile; every other parameter belongs to the
// pprof UI (si, f, h, …) and does not change which profile is loaded.
var uiQueryKeys = []string{"kind", "from", "to", "label"}

// profileSource returns the profile the query parameters select (kind, from, to, …). Label filters are
// applied by the caller. The returned profile is not modified. An error wrapping ErrBadRequest becomes a
// 400, ErrNotFound a 404.
type profileSource func(ctx context.Context, q url.Values) (*profile.Profile, error)

// uiHandler serves the pprof web UI (github.com/google/pprof/driver, in process) for the profile each
// request's query selects. It expects to be mounted with the mount prefix stripped, so its paths are
// the driver's: /flamegraph, /top, /graph, /peek, /source, /disasm, /download. Safe for concurrent use.
type uiHandler struct {
	load profileSource
	now  func() time.Time

	mu    sync.Mutex
	cache map[string]*uiEntry
}

// uiEntry is one prepared profile. done is closed once handlers or err is set.
type uiEntry struct {
	done     chan struct{}
	handlers map[string]http.Handler
	err      error
	built    time.Time
	used     time.Time
}

// uiProfile is the UI's profile source on a Profiler: the store's merge of kind (default cpu) over
// [from, to), the same selection as /api/profile.
func (p *Profiler) uiProfile(ctx context.Context, q url.Values) (*profile.Profile, error) {
	if p.store == nil {
		return nil, fmt.Errorf("profiling: ui: %w: the local store is off", ErrNotFound)
	}
	k := KindCPU
	if q.Get("kind") != "" {
		var err error
		if k, err = parseKindParam(q); err != nil {
			return nil, err
		}
	}
	if !k.isPprof() {
		return nil, fmt.Errorf("%w: kind=%s: not a pprof kind", ErrBadRequest, k)
	}
	from, to, err := parseRange(q, "from", "to", p.cfg.clock.Now())
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, _, err := p.store.Merge(k, from, to)
	return m, err
}

func newUIHandler(load profileSource) *uiHandler {
	return &uiHandler{load: load, now: time.Now, cache: make(map[string]*uiEntry)}
}

func (u *uiHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "profiling: ui: method not allowed", http.StatusMethodNotAllowed)
		return
	}
	sub := r.URL.Path
	switch sub {
	case "", "/":
		// The driver's own "/" redirects too; answering here saves preparing a profile for it. The
		// Location stays relative (http.Redirect would resolve it against the stripped path), so the
		// browser resolves it against the mount point, wherever that is.
		w.Header().Set("Location", (&url.URL{Path: "flamegraph", RawQuery: r.URL.RawQuery}).String())
		w.WriteHeader(http.StatusFound)
		return
	case "/disasm":
		// Disassembly needs the binary and objdump, which a service endpoint does not run.
		http.Error(w, "profiling: ui: disassembly is not served here: download the profile and run go tool pprof -http with the binary", http.StatusNotImplemented)
		return
	case "/saveconfig", "/deleteconfig":
		// The driver would write pprof settings under the service user's config directory.
		http.Error(w, "profiling: ui: saving pprof settings is disabled on a service endpoint", http.StatusForbidden)
		return
	}
	q := r.URL.Query()
	filters, err := ParseLabelFilters(q["label"])
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	handlers, err := u.prepare(r.Context(), q, filters)
	if err != nil {
		httpError(w, errorStatus(err), err)
		return
	}
	h, ok := handlers[sub]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.ServeHTTP(w, r)
}

// errorStatus maps an error from a profile source to an HTTP status.
func errorStatus(err error) int {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return http.StatusServiceUnavailable
	}
	return statusOf(err)
}

// uiKey is the canonical form of the selecting part of q.
func uiKey(q url.Values) string {
	sel := url.Values{}
	for _, k := range uiQueryKeys {
		if vs := q[k]; len(vs) > 0 {
			vs = slices.Clone(vs)
			slices.Sort(vs)
			sel[k] = vs
		}
	}
	return sel.Encode()
}

// prepare returns the driver's handlers for the profile q selects, from the cache when fresh. Callers
// asking for the same selection at once share one preparation.
func (u *uiHandler) prepare(ctx context.Context, q url.Values, filters []LabelFilter) (map[string]http.Handler, error) {
	key := uiKey(q)
	now := u.now()
	u.mu.Lock()
	e, ok := u.cache[key]
	if ok && isDone(e.done) && (e.err != nil || now.Sub(e.built) > uiCacheTTL) {
		delete(u.cache, key)
		ok = false
	}
	if !ok {
		u.evictLocked()
		e = &uiEntry{done: make(chan struct{}), built: now}
		u.cache[key] = e
		go u.build(e, q, filters) // detached from ctx: the result serves the callers that come next
	}
	e.used = now
	u.mu.Unlock()
	select {
	case <-e.done:
		return e.handlers, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("profiling: ui: prepare profile: %w", ctx.Err())
	}
}

// buildTimeout bounds one preparation, which runs detached from the request that started it.
const buildTimeout = time.Minute

func (u *uiHandler) build(e *uiEntry, q url.Values, filters []LabelFilter) {
	defer close(e.done)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	p, err := u.load(ctx, q)
	if err != nil {
		e.err = fmt.Errorf("profiling: ui: load profile: %w", err)
		return
	}
	p = FilterLabels(p, filters)
	if len(p.Sample) == 0 && len(filters) > 0 {
		e.err = fmt.Errorf("profiling: ui: no samples carry %v: %w", filters, ErrNotFound)
		return
	}
	e.handlers, e.err = driverHandlers(p)
}

// evictLocked drops the least recently used finished entries until there is room for one more.
func (u *uiHandler) evictLocked() {
	for len(u.cache) >= uiCacheEntries {
		var oldest string
		var at time.Time
		for k, e := range u.cache {
			if isDone(e.done) && (oldest == "" || e.used.Before(at)) {
				oldest, at = k, e.used
			}
		}
		if oldest == "" {
			return // every entry is still being built; they are bounded by the callers waiting
		}
		delete(u.cache, oldest)
	}
}

func isDone(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// driverMu serialises driver.PProf: the driver keeps process-wide state (its "interactive mode" flag
// and the current configuration) that it writes on every run.
var driverMu sync.Mutex

// driverHandlers runs the pprof driver over p and returns the web UI handlers it hands to its HTTP
// server hook. Nothing listens, nothing is fetched over the network, nothing is read from os.Args, and
// no file is written: every plugin the driver would take from the process is replaced.
func driverHandlers(p *profile.Profile) (map[string]http.Handler, error) {
	var handlers map[string]http.Handler
	driverMu.Lock()
	defer driverMu.Unlock()
	err := driver.PProf(&driver.Options{
		// Port 0 with an explicit host: the driver then neither listens nor probes for a free port.
		Flagset:       newDriverFlags("-http=127.0.0.1:0", "-no_browser", "-symbolize=none", "hotpath"),
		Fetch:         fixedFetcher{p: p.Copy()},
		Sym:           noSymbolizer{},
		Obj:           noObjTool{},
		UI:            quietUI{},
		Writer:        noWriter{},
		HTTPTransport: noTransport{},
		HTTPServer: func(args *driver.HTTPServerArgs) error {
			handlers = args.Handlers
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("profiling: ui: pprof driver: %w", err)
	}
	if handlers == nil {
		return nil, errors.New("profiling: ui: pprof driver returned no handlers")
	}
	return handlers, nil
}

// driverFlags is the driver's FlagSet over fixed arguments instead of os.Args.
type driverFlags struct {
	fs    *flag.FlagSet
	args  []string
	extra []string
}

func newDriverFlags(args ...string) *driverFlags {
	fs := flag.NewFlagSet("pprof", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &driverFlags{fs: fs, args: args}
}

func (f *driverFlags) Bool(name string, def bool, usage string) *bool {
	return f.fs.Bool(name, def, usage)
}
func (f *driverFlags) Int(name string, def int, usage string) *int { return f.fs.Int(name, def, usage) }
func (f *driverFlags) Float64(name string, def float64, usage string) *float64 {
	return f.fs.Float64(name, def, usage)
}
func (f *driverFlags) String(name, def, usage string) *string { return f.fs.String(name, def, usage) }

func (f *driverFlags) StringList(name, def, usage string) *[]*string {
	list := []*string{&def}
	f.fs.Func(name, usage, func(s string) error {
		list = append(list, &s)
		return nil
	})
	return &list
}

func (f *driverFlags) ExtraUsage() string        { return strings.Join(f.extra, "\n") }
func (f *driverFlags) AddExtraUsage(text string) { f.extra = append(f.extra, text) }

func (f *driverFlags) Parse(usage func()) []string {
	if err := f.fs.Parse(f.args); err != nil {
		return nil
	}
	return f.fs.Args()
}

// fixedFetcher hands the driver a profile already in memory. It returns an empty source so the driver
// treats the profile as local and saves no copy of it under $HOME/pprof.
type fixedFetcher struct{ p *profile.Profile }

func (f fixedFetcher) Fetch(string, time.Duration, time.Duration) (*profile.Profile, string, error) {
	return f.p, "", nil
}

// noSymbolizer leaves profiles as they are: Go profiles carry their symbols.
type noSymbolizer struct{}

func (noSymbolizer) Symbolize(string, driver.MappingSources, *profile.Profile) error { return nil }

// noObjTool opens no binaries. Go profiles carry function names, files and lines, from which the
// source view is built; the driver would otherwise run objdump over the service's binary on each
// source view. The Disassemble view therefore reports that disassembly is unavailable.
type noObjTool struct{}

func (noObjTool) Open(file string, _, _, _ uint64, _ string) (driver.ObjFile, error) {
	return nil, fmt.Errorf("profiling: ui: open %q: reading binaries is disabled", file)
}

func (noObjTool) Disasm(file string, _, _ uint64, _ bool) ([]driver.Inst, error) {
	return nil, fmt.Errorf("profiling: ui: disassemble %q: reading binaries is disabled", file)
}

// quietUI is the driver's UI with no terminal: no input, messages dropped (errors reach the browser).
type quietUI struct{}

func (quietUI) ReadLine(string) (string, error)     { return "", io.EOF }
func (quietUI) Print(...any)                        {}
func (quietUI) PrintErr(...any)                     {}
func (quietUI) IsTerminal() bool                    { return false }
func (quietUI) WantBrowser() bool                   { return false }
func (quietUI) SetAutoComplete(func(string) string) {}

// noWriter refuses the driver's requests to write report files.
type noWriter struct{}

func (noWriter) Open(name string) (io.WriteCloser, error) {
	return nil, fmt.Errorf("profiling: ui: write %q: writing files is disabled", name)
}

// noTransport refuses every outgoing request the driver might make (remote symbolisation, fetches).
type noTransport struct{}

func (noTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("profiling: ui: fetch %q: network access is disabled", r.URL.Redacted())
}
