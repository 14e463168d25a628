package profiling

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Defaults for the zero Config. Each number is chosen so that the profiler's cost stays well under 0.5% of
// one core for a typical service; the reasons sit next to the numbers.
const (
	// DefaultPeriod is the window length. One minute keeps per-window encode work (a heap and a goroutine
	// profile, a few milliseconds each) under 0.02% of a core, and is short enough to find an incident.
	DefaultPeriod = time.Minute
	// DefaultCPUDuration is how long the CPU profiler runs in each window. The CPU profiler costs about
	// 1% of the profiled CPU time while it runs (a SIGPROF every 10 ms of CPU, a few µs each), so a
	// 10 s duty in every 60 s window keeps the average below 0.2%. Windows are equal in length, so merged
	// ranges stay representative (and usable as default.pgo).
	DefaultCPUDuration = 10 * time.Second
	// DefaultWallDuration is how long fgprof samples in each window when KindWall is enabled. fgprof
	// walks every goroutine 99 times a second, so it runs for a short slice only.
	DefaultWallDuration = 5 * time.Second
	// DefaultMutexFraction samples one mutex contention event in 100 when KindMutex is enabled
	// (runtime.SetMutexProfileFraction). 100 keeps the sampling cost unmeasurable on contended locks.
	DefaultMutexFraction = 100
	// DefaultBlockRate samples blocking events of at least 10 ms on average when KindBlock is enabled
	// (runtime.SetBlockProfileRate, in nanoseconds). Lower rates record many short waits and cost CPU on
	// every channel operation.
	DefaultBlockRate = int(10 * time.Millisecond)
	// DefaultGoroutineLimit is the goroutine count above which the goroutine profile is downsampled
	// (taken once every ceil(n/limit) windows). Its cost is about 1 µs per goroutine, so 10,000 costs
	// about 10 ms of CPU per window.
	DefaultGoroutineLimit = 10_000
	// DefaultWallGoroutineLimit is the goroutine count above which the wall-clock profile is skipped:
	// fgprof costs about 0.7 ms per sample at 1,000 goroutines, which at 99 Hz is already 7% of a core
	// during its slice.
	DefaultWallGoroutineLimit = 1_000
	// DefaultMaxAge is how long the local store keeps profiles.
	DefaultMaxAge = 72 * time.Hour
	// DefaultMaxBytes bounds the local store's total size: oldest files go first.
	DefaultMaxBytes = 512 << 20
	// DefaultMaxCaptureSeconds caps ?seconds= of on-demand CPU profiles and traces.
	DefaultMaxCaptureSeconds = 60
	// DefaultQueue is the number of batches waiting for the sinks; when full the oldest is dropped and
	// counted.
	DefaultQueue = 4
)

// Config configures a Profiler. The zero value works: it profiles cpu, heap and goroutine once a minute
// and stores the results under os.UserCacheDir()/hotpath/profiles/<service>.
//
// Config is passed by value; Start copies it.
type Config struct {
	// Service names the program (label "service"). Default: the executable's base name.
	Service string
	// Version of the program (label "version"). Default: the main module's version from build info.
	Version string
	// Host is label "host". Default: os.Hostname.
	Host string
	// Instance tells processes on one host apart (label "instance"). Default: "<host>-<pid>".
	Instance string
	// Labels are extra labels carried by every profile. Keys must not collide with the ones above.
	Labels map[string]string

	// Kinds to collect each window. Default: cpu, heap, goroutine. KindTrace is not allowed here.
	Kinds []Kind
	// Period is the window length; windows are aligned to multiples of Period on the wall clock.
	// Default DefaultPeriod; at least 1 s.
	Period time.Duration
	// CPUDuration is how long the CPU profiler runs at the start of each window. Default
	// DefaultCPUDuration, capped at Period.
	CPUDuration time.Duration
	// WallDuration is how long fgprof runs at the start of each window. Default DefaultWallDuration.
	WallDuration time.Duration
	// MutexFraction is passed to runtime.SetMutexProfileFraction when KindMutex is on. Default
	// DefaultMutexFraction. The previous value is restored at Stop.
	MutexFraction int
	// BlockRate is passed to runtime.SetBlockProfileRate (ns) when KindBlock is on. Default
	// DefaultBlockRate. Set back to 0 at Stop.
	BlockRate int
	// GoroutineLimit is the ceiling for the goroutine profile (see DefaultGoroutineLimit); -1 means none.
	GoroutineLimit int
	// WallGoroutineLimit is the ceiling for the wall-clock profile (see DefaultWallGoroutineLimit).
	WallGoroutineLimit int

	// Dir is the local store's directory. Default under os.UserCacheDir().
	Dir string
	// NoStore turns the local store off; then only Sinks receive profiles and the endpoint's range API
	// answers 404.
	NoStore bool
	// MaxAge is the store's retention by age. Default DefaultMaxAge.
	MaxAge time.Duration
	// MaxBytes is the store's retention by size. Default DefaultMaxBytes.
	MaxBytes int64
	// Sinks receive every window's Batch after the local store, in window order, from one goroutine.
	Sinks []Sink
	// Queue bounds the batches waiting for sinks (drop oldest, counted). Default DefaultQueue.
	Queue int

	// Authorize, if set, is called for every endpoint request; a non-nil error answers 403 with its text.
	// When nil, only loopback clients are served.
	Authorize func(r *http.Request) error
	// MaxCaptureSeconds caps ?seconds= of on-demand captures. Default DefaultMaxCaptureSeconds.
	MaxCaptureSeconds int
	// EnableCmdline serves /debug/pprof/cmdline (off by default: command lines carry secrets).
	EnableCmdline bool

	// Logger receives one line per problem (a failed write, a skipped window). Default: discarded.
	Logger *slog.Logger

	clock clock // tests replace the wall clock
}

// withDefaults returns c with every zero field filled in, or an error wrapping ErrInvalidConfig.
func (c Config) withDefaults() (Config, error) {
	bad := func(field string, v any, why string) error {
		return fmt.Errorf("profiling: start: %w: %s = %v: %s", ErrInvalidConfig, field, v, why)
	}
	if c.Service == "" {
		c.Service = filepath.Base(os.Args[0])
	}
	if c.Host == "" {
		c.Host, _ = os.Hostname()
	}
	if c.Instance == "" {
		c.Instance = fmt.Sprintf("%s-%d", c.Host, os.Getpid())
	}
	if c.Version == "" {
		c.Version = buildVersion()
	}
	for k := range c.Labels {
		switch k {
		case "service", "version", "host", "instance", "pgo", "kind":
			return c, bad("Labels", k, "reserved label")
		}
	}
	if len(c.Kinds) == 0 {
		c.Kinds = defaultKinds
	}
	seen := map[Kind]bool{}
	for _, k := range c.Kinds {
		if _, err := ParseKind(string(k)); err != nil || !k.windowed() {
			return c, bad("Kinds", k, "not a windowed kind")
		}
		if seen[k] {
			return c, bad("Kinds", k, "listed twice")
		}
		seen[k] = true
	}
	if c.Period == 0 {
		c.Period = DefaultPeriod
	}
	if c.Period < time.Second {
		return c, bad("Period", c.Period, "want at least 1s")
	}
	if c.CPUDuration == 0 {
		c.CPUDuration = min(DefaultCPUDuration, c.Period)
	}
	if c.CPUDuration < 0 || c.CPUDuration > c.Period {
		return c, bad("CPUDuration", c.CPUDuration, "want 0 < CPUDuration <= Period")
	}
	if c.WallDuration == 0 {
		c.WallDuration = min(DefaultWallDuration, c.Period)
	}
	if c.WallDuration < 0 || c.WallDuration > c.Period {
		return c, bad("WallDuration", c.WallDuration, "want 0 < WallDuration <= Period")
	}
	if c.MutexFraction == 0 {
		c.MutexFraction = DefaultMutexFraction
	}
	if c.BlockRate == 0 {
		c.BlockRate = DefaultBlockRate
	}
	if c.MutexFraction < 0 || c.BlockRate < 0 {
		return c, bad("MutexFraction/BlockRate", fmt.Sprint(c.MutexFraction, "/", c.BlockRate), "want >= 0")
	}
	if c.GoroutineLimit == 0 {
		c.GoroutineLimit = DefaultGoroutineLimit
	}
	if c.WallGoroutineLimit == 0 {
		c.WallGoroutineLimit = DefaultWallGoroutineLimit
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxAge < 0 || c.MaxBytes < 0 {
		return c, bad("MaxAge/MaxBytes", fmt.Sprint(c.MaxAge, "/", c.MaxBytes), "want >= 0")
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.Queue < 0 {
		return c, bad("Queue", c.Queue, "want > 0")
	}
	if c.MaxCaptureSeconds == 0 {
		c.MaxCaptureSeconds = DefaultMaxCaptureSeconds
	}
	if c.MaxCaptureSeconds < 0 {
		return c, bad("MaxCaptureSeconds", c.MaxCaptureSeconds, "want > 0")
	}
	if c.Dir == "" && !c.NoStore {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		c.Dir = filepath.Join(base, "hotpath", "profiles", sanitize(c.Service))
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = realClock{}
	}
	return c, nil
}

// has reports whether kind k is collected.
func (c *Config) has(k Kind) bool {
	for _, x := range c.Kinds {
		if x == k {
			return true
		}
	}
	return false
}
