// Package profiling is hotpath's always-on continuous profiler and saturation monitor: it collects CPU,
// heap, goroutine, mutex, block and wall-clock profiles in fixed windows, keeps them in a local store,
// pushes them to Pyroscope, exports them for PGO, samples the runtime's saturation signals and the HTTP
// golden signals, captures evidence when one of them goes wrong, and serves all of it on one endpoint
// that `go tool pprof`, Prometheus and a browser read directly.
//
// # Usage
//
//	p, err := profiling.Start(profiling.Config{Service: "orders"})
//	if err != nil { ... }
//	sig := profiling.NewSignals(profiling.SignalsConfig{})
//	mon, err := profiling.StartMonitor(profiling.MonitorConfig{Profiler: p, Signals: sig, Rules: profiling.DefaultRules()})
//	if err != nil { ... }
//	api := profiling.RouteLabels(appMux, profiling.MiddlewareConfig{Signals: sig})
//	mux := http.NewServeMux()
//	mux.Handle("/v1/", api)
//	mux.Handle("/", p.Handler()) // the endpoint, the monitor's routes included
//	...
//	mon.Stop(ctx) // at shutdown: the monitor first, then the profiler its captures use
//	p.Stop(ctx)
//
// Then `go tool pprof http://127.0.0.1:6060/api/profile?kind=cpu&from=-1h` shows the last hour,
// `go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=10` works as with net/http/pprof
// while the windows carry on, /ui/ shows a flame graph and /metrics is scraped by Prometheus.
// examples/service is a complete service wired this way. Only Start and Handler are needed for the
// profiler alone; importing the package does no work (templates and metric descriptions are built on
// first use).
//
// # Windows, deltas and labels
//
// Windows end on multiples of Config.Period on the wall clock (for periods that divide a day: round
// minutes), so windows of different processes line up. An early timer tick waits for the boundary; a
// late one never stretches a window: a window that spans more than one period (the process was not
// scheduled) is cut back to one period, its counter deltas are dropped and the missed windows are
// counted. Each profile's TimeNanos and DurationNanos give its real span.
//
// Counters (alloc_objects, alloc_space, contentions, delay) become per-window deltas; gauges (inuse_*,
// goroutines) are the values at the end of the window. Every profile carries the labels service,
// version, host, instance, pgo (the binary's -pgo build setting, or "off") and Config.Labels, as pprof
// comments "hotpath:key=value" (shown by `go tool pprof -comments`) and in each Batch.
//
// # The CPU profiler has one owner
//
// runtime/pprof allows one CPU profile at a time. A Profiler's CPU owner is the only code in hotpath
// that starts it; the continuous window, /debug/pprof/profile and triggers ([Profiler.CaptureCPU]) all
// ask the owner, which cuts the running profile into segments at every capture boundary and gives each
// caller exactly its span. When something else holds the CPU profiler, the window is skipped with the
// reason recorded (Stats.CPUHeld, Batch.Skipped) and retried next window.
//
// # Collection and overhead
//
// The defaults (see DefaultPeriod and the constants next to it for the reasoning) aim at less than 0.5%
// of the service's CPU: the CPU profiler runs 10 s in every 60 s window; heap and goroutine profiles are
// read once a window; mutex, block and wall are opt-in. Measured by component (benchmarks/profiling):
// a running CPU profiler adds about 1% to a hot function (not significant at n=8), so about 0.2% at the
// default duty; closing a window (heap and goroutine read, diffed, encoded) takes about 15 ms, 0.025% of
// a minute. The goroutine profile is downsampled above
// Config.GoroutineLimit goroutines and the wall-clock profile skipped above Config.WallGoroutineLimit,
// because both cost time per goroutine. [Profiler.Stats] reports the profiler's own collect and encode
// time, bytes, and skipped windows with their reasons.
//
// # Store
//
// The local store (Config.Dir, default os.UserCacheDir()/hotpath/profiles/<service>) is a directory:
//
//	VERSION                                   "hotpath-store 1"
//	index.json                                {"version":1,"entries":[Entry...]}: a cache of the files
//	<kind>/<startms>_<endms>_<source>_<instance>.pb.gz      one gzipped pprof per kind per window
//	<kind>/<startms>_<endms>_<source>_<instance>.meta.json  optional capture details (Profile.Meta)
//	trace/<startms>_<endms>_<source>_<instance>.trace       runtime/trace and flight-recorder captures
//
// startms and endms are Unix milliseconds (UTC); source is "window" for periodic windows or a capture's
// token, and instance is Config.Instance, both reduced to [a-z0-9.-] so that '_' only separates fields.
// Processes of one service may share a directory: their files never collide, and a range merge sums
// them. The files are the truth: index.json is rewritten after every batch and rebuilt from
// the files by [OpenStore] (tools reading another process's store use StoreConfig.ReadOnly). Every write
// goes to a temporary file ".tmp-*" that is fsynced and renamed, so a reader sees a whole file or none;
// temporaries left by a crash are removed at open, and a file that does not decode is dropped, never
// served. Retention removes files older than Config.MaxAge and the oldest while the total exceeds
// Config.MaxBytes.
//
// # Endpoint and routes
//
// [Profiler.Handler] is the one handler to mount; every route is listed here once:
//
//	GET /                                   index: kinds, latest windows, profiler cost, and with a
//	                                        monitor its signals charts, rules and captures
//	GET /api/profiles?kind=&from=&to=       stored entries (JSON)
//	GET /api/profile?kind=&from=&to=&label= one merged pprof for the range
//	GET /api/diff?kind=&from=&to=&base_from=&base_to=
//	                                        head range minus base range (pprof)
//	GET /api/file?name=                     one stored file as written: a window, a trigger's capture
//	                                        (profile or flight-recorder trace), by its index name
//	GET /api/stats                          the profiler's own cost (JSON)
//	GET /ui/?kind=&from=&to=&label=         pprof web UI
//	GET /metrics                            Prometheus text format    } while a Monitor started with
//	GET /api/signals?since=                 signals, rules, captures  } MonitorConfig.Profiler = p
//	                                        (JSON)                    } runs; otherwise 404 with why
//	GET /debug/pprof/                       net/http/pprof-compatible index
//	GET /debug/pprof/profile?seconds=N      CPU profile through the profiler's CPU owner
//	GET /debug/pprof/trace?seconds=N        execution trace
//	GET /debug/pprof/{heap,allocs,goroutine,mutex,block,threadcreate}[?debug=N][&seconds=N]
//	GET /debug/pprof/cmdline                only with Config.EnableCmdline
//
// from and to take RFC 3339 times, Unix seconds or offsets from now such as -1h. Profiles reveal code,
// stacks and arguments, and a CPU profile request burns CPU, so the handler serves only loopback
// clients unless Config.Authorize is set (one check for every route, the monitor's included), caps
// ?seconds= at Config.MaxCaptureSeconds (and below the server's WriteTimeout), runs at most one CPU
// profile and one trace at a time (a second request gets 429 at once), answers bad query values with
// 400 and a one-line reason, and stops work when the request's context ends. Nothing is registered on
// http.DefaultServeMux.
//
// # Web UI
//
// /ui/?kind=cpu&from=-1h&to=now (kind defaults to cpu) serves the pprof web UI (flame graph, top,
// graph, source, peek) for any stored range, with the label filters below. It runs
// github.com/google/pprof's driver in process: the driver gets the merged profile through its Fetch
// hook and hands over its handlers through its HTTPServer hook, so nothing listens, nothing is fetched
// over the network, no binary is opened (source listings come from the profile's file and line data;
// disassembly is not served) and no pprof settings file is written. The last four prepared selections
// are kept for 15 s, so moving between views does not merge the store again. The graph view needs
// Graphviz's dot on PATH. The index page links each kind and each window to it.
//
// # Pyroscope
//
// [PyroscopeSink] returns a Sink for Config.Sinks that pushes every window to a Grafana Pyroscope
// server through its HTTP ingest API (POST /ingest?name=app{labels}&from=&until=&format=pprof with the
// pprof in a multipart "profile" field and a "sample_type_config" field for kinds the server does not
// know by name). Send never blocks: windows wait in a bounded queue that drops the oldest; one
// goroutine sends them, retrying with exponential backoff and jitter and honouring 429/503
// Retry-After; with PyroscopeConfig.SpillDir, windows go to disk while the server is unreachable and
// are replayed when it answers again. [Pyroscope.Stats] counts sent, dropped, failed, retried,
// spilled and replayed windows.
//
// # PGO
//
// [MergePGO] merges CPU windows into a profile for `go build -pgo`, keeping only windows of the most
// common length so each weighs the same; [StorePGOWindows] reads them from a store directory. The
// command `hotpath pgo -o default.pgo [-window 1h] SOURCE...` does both for endpoints and store
// directories and prints what the profile covers; examples/pgo runs the loop end to end.
//
// # Route labels and golden signals
//
// [RouteLabels] is the one HTTP middleware. It runs each request under the pprof labels route (the
// pattern of the ServeMux it wraps, never the raw path) and method, so CPU and goroutine profiles split
// by endpoint; [Do] adds labels around any code. /api/profile, /api/diff and /ui/ keep only the samples
// carrying ?label=key:value (repeatable, all must match), e.g. ?label=route:/orders/{id}. With
// MiddlewareConfig.Signals set, the same middleware records the four golden signals per route in a
// [Signals]: a latency histogram, throughput, errors (5xx and panics) and in-flight requests; with
// MiddlewareConfig.Observe, it hands each finished request to a hook. Only then is the ResponseWriter
// wrapped, once, with github.com/felixge/httpsnoop, which keeps http.Flusher, http.Hijacker,
// io.ReaderFrom and http.Pusher. [Signals.Middleware] is the standalone form for services without
// route labels (it names routes by the full pattern, method included). Costs are measured in
// benchmarks/routelabels and benchmarks/signals.
//
// # Saturation and triggers
//
// [StartMonitor] samples runtime/metrics every MonitorConfig.Interval (1 s): scheduler latency (Go's
// event-loop delay: how long runnable goroutines wait for a thread), GC pauses and CPU, goroutines,
// heap live and goal, memory-limit headroom, CPU time by class, with container limits read from cgroup
// v2 or v1, plus the HTTP signals of MonitorConfig.Signals; it keeps an hour of history. [Rule]s fire on
// any signal ([SignalNames]) above or below a threshold or relative to a moving baseline, with a
// warm-up, a cooldown and a cap per hour; [DefaultRules] is a conservative set. A firing captures,
// through the profiler's single CPU owner, a CPU profile of the next seconds, the goroutine and heap
// profiles, and a runtime/trace flight-recorder snapshot of the seconds before it (the recorder runs
// only while some rule captures "trace"); the files go to the profiler's store with the rule and the
// values that fired it, and are listed by /api/signals and the index and served by /api/file. A
// capture that fails stores nothing; two captures of one kind never run at once. With
// MonitorConfig.Profiler set, the monitor attaches itself to the profiler from StartMonitor to
// [Monitor.Stop] (one monitor per profiler). A service without a Profiler mounts [Monitor.Handler]
// (/metrics, /api/signals and a signals page, unguarded) or registers [Monitor.Collector] and
// [Signals.Collector] on its own Prometheus registry.
//
// # Concurrency
//
// Profiler, Store, Monitor, Signals and Pyroscope are safe for concurrent use. Start and StartMonitor
// return at once; Stop waits for every goroutine they started (stop the monitor before the profiler
// its captures use), and Stop is idempotent. Queues, caches and histories are bounded with documented
// defaults, and what overflows is counted.
package profiling
