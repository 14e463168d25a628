// Package profiling is hotpath's always-on continuous profiler: it collects CPU, heap, goroutine, mutex,
// block and wall-clock profiles in fixed windows, keeps them in a local store, and serves them on an
// endpoint that `go tool pprof` reads directly.
//
// # Usage
//
//	p, err := profiling.Start(profiling.Config{Service: "orders"})
//	if err != nil { ... }
//	defer p.Stop(context.Background())
//	go http.ListenAndServe("127.0.0.1:6060", p.Handler())
//
// Then `go tool pprof http://127.0.0.1:6060/api/profile?kind=cpu&from=-1h` shows the last hour, and
// `go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=10` works as with net/http/pprof
// while the windows carry on.
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
// # Overhead and budgets
//
// The defaults (see DefaultPeriod and the constants next to it for the reasoning) keep the cost under
// 0.5% of a core: the CPU profiler runs 10 s in every 60 s window; heap and goroutine profiles are read
// once a window; mutex, block and wall are opt-in. The goroutine profile is downsampled above
// Config.GoroutineLimit goroutines and the wall-clock profile skipped above Config.WallGoroutineLimit,
// because both cost time per goroutine. [Profiler.Stats] reports the profiler's own collect and encode
// time, bytes, and skipped windows with their reasons.
//
// # Store layout
//
// The local store (Config.Dir, default os.UserCacheDir()/hotpath/profiles/<service>) is a directory:
//
//	VERSION                                   "hotpath-store 1"
//	index.json                                {"version":1,"entries":[Entry...]}: a cache of the files
//	<kind>/<startms>_<endms>_<source>_<instance>.pb.gz      one gzipped pprof per kind per window
//	<kind>/<startms>_<endms>_<source>_<instance>.meta.json  optional capture details (Profile.Meta)
//	trace/<startms>_<endms>_<source>_<instance>.trace       runtime/trace captures
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
// # Endpoint security
//
// Profiles reveal code, stacks and arguments, and a CPU profile request burns CPU. [Profiler.Handler]
// serves only loopback clients unless Config.Authorize is set, caps ?seconds= at
// Config.MaxCaptureSeconds (and below the server's WriteTimeout), runs at most one CPU profile and one
// trace at a time (a second request gets 429 at once), answers bad query values with 400 and a one-line
// reason, and stops work when the request's context ends. /debug/pprof/cmdline is off unless
// Config.EnableCmdline is set.
//
// # Concurrency
//
// A Profiler and a Store are safe for concurrent use. Start returns at once; Stop waits for every
// goroutine the Profiler started.
//
// # Files
//
// Files of this package owned by the continuous profiler: atomic.go batch.go clock.go collect.go
// config.go cpu.go delta.go doc.go errors.go handler.go index.go kind.go labels.go profiler.go query.go
// queue.go routes.go store.go wall.go and their _test.go files. Features built on it add routes in
// routes.go (extraRoutes) and keep to files of their own.
package profiling
