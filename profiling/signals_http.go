package profiling

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SignalsReport is the body of GET /api/signals.
type SignalsReport struct {
	Limits   ContainerLimits `json:"limits"`
	LimitErr string          `json:"limits_error,omitempty"`
	Interval string          `json:"interval"`
	// Recorder is the flight recorder's state: "running", "off" (no rule
	// captures traces) or why it could not start.
	Recorder string         `json:"flight_recorder"`
	Latest   Point          `json:"latest"`
	Routes   []RouteSignals `json:"routes"` // latest interval; the first is the total
	Rules    []RuleStatus   `json:"rules"`
	Captures []Capture      `json:"captures"`
	History  []Point        `json:"history"`
}

// Report assembles what /api/signals serves, with the history since `since`.
func (m *Monitor) Report(since time.Time) SignalsReport {
	p, routes := m.Latest()
	r := SignalsReport{Limits: m.limits, Interval: m.cfg.Interval.String(), Latest: p, Routes: routes,
		Rules: m.Rules(), Captures: m.Captures(), History: m.History(since)}
	if m.limErr != nil {
		r.LimitErr = m.limErr.Error()
	}
	r.Recorder = m.cap.recorderState()
	return r
}

// SignalsHandler serves GET /api/signals as JSON. The query parameter
// `since` (a Go duration, default 5m, at most the configured History) picks
// how much history is included; a bad value gets 400 with the reason.
func (m *Monitor) SignalsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		since := 5 * time.Minute
		if s := r.URL.Query().Get("since"); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil || d < 0 {
				http.Error(w, fmt.Sprintf("profiling: api/signals: bad since %q: want a duration like 15m", s), http.StatusBadRequest)
				return
			}
			since = min(d, m.cfg.History)
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		enc.Encode(m.Report(m.cfg.now().Add(-since)))
	})
}

// chart is one small SVG chart of the index page.
type chart struct {
	title string
	unit  string // "s", "B", "%", ""
	value func(*Point) float64
	// none, if set, says why the latest point has no value ("no limit").
	none func(*Point) string
}

var charts = []chart{
	{title: "scheduler latency p99", unit: "s", value: func(p *Point) float64 { return p.SchedLatency.P99 }},
	{title: "GC pause max", unit: "s", value: func(p *Point) float64 { return p.GCPause.Max }},
	{title: "GC CPU", unit: "%", value: func(p *Point) float64 { return p.GCCPUFraction }},
	{title: "CPU of limit (per GC cycle)", unit: "%", value: func(p *Point) float64 { return p.CPUUtilization }},
	{title: "goroutines", unit: "", value: func(p *Point) float64 { return float64(p.Goroutines) }},
	{title: "heap live", unit: "B", value: func(p *Point) float64 { return float64(p.HeapLive) }},
	{title: "memory headroom", unit: "B", value: func(p *Point) float64 { return float64(p.MemoryHeadroom) }, none: func(p *Point) string {
		if p.MemoryLimit == 0 {
			return "no GOMEMLIMIT or container limit"
		}
		return ""
	}},
	{title: "requests/s", unit: "", value: func(p *Point) float64 { return p.HTTP.Throughput }},
	{title: "HTTP p99", unit: "s", value: func(p *Point) float64 { return p.HTTP.Latency.P99 }},
	{title: "HTTP errors", unit: "%", value: func(p *Point) float64 { return p.HTTP.ErrorRatio }},
}

// chartWidth is the number of columns of a chart: 15 s of the hour each.
const chartWidth = 240

// WriteIndexSection writes the index page's "signals" section: the last
// hour as small server-rendered SVG charts (no script, no CDN), the rules
// and the captures.
func (m *Monitor) WriteIndexSection(w io.Writer) error {
	now := m.cfg.now()
	hist := m.History(now.Add(-time.Hour))
	var b strings.Builder
	b.WriteString(`<section id="signals"><h2>Signals (last hour)</h2><div style="display:flex;flex-wrap:wrap;gap:8px">`)
	for _, c := range charts {
		writeChart(&b, c, hist, now)
	}
	b.WriteString(`</div>`)
	writeRules(&b, m.Rules())
	writeCaptures(&b, m.Captures(), m.cfg.Profiler != nil)
	b.WriteString(`</section>`)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeChart draws c over the hour ending at now: each of chartWidth
// columns is one time slot holding the maximum of its samples (so a spike
// stays visible); slots without samples are gaps, not zeros.
func writeChart(b *strings.Builder, c chart, hist []Point, now time.Time) {
	var cols [chartWidth]float64
	var has [chartWidth]bool
	start, slot := now.Add(-time.Hour), time.Hour/chartWidth
	top, last := 0.0, 0.0
	for i := range hist {
		col := int(hist[i].Time.Sub(start) / slot)
		if col < 0 || col >= chartWidth {
			continue
		}
		v := c.value(&hist[i])
		cols[col], has[col] = max(cols[col], v), true
		top, last = max(top, v), v
	}
	caption := fmt.Sprintf("%s (max %s)", formatUnit(last, c.unit), formatUnit(top, c.unit))
	if c.none != nil && len(hist) > 0 {
		if why := c.none(&hist[len(hist)-1]); why != "" {
			caption = why
		}
	}
	fmt.Fprintf(b, `<figure style="margin:0"><figcaption style="font:12px sans-serif">%s: %s</figcaption>`,
		html.EscapeString(c.title), html.EscapeString(caption))
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="48" viewBox="0 0 %d 48" role="img" aria-label="%s"><rect width="100%%" height="100%%" fill="#f6f6f6"/>`,
		chartWidth, chartWidth, html.EscapeString(c.title))
	if top > 0 {
		open := false
		for x := range chartWidth {
			if !has[x] {
				if open {
					b.WriteString(`"/>`)
					open = false
				}
				continue
			}
			if !open {
				b.WriteString(`<polyline fill="none" stroke="#c0392b" stroke-width="1" points="`)
				open = true
			}
			fmt.Fprintf(b, "%d,%.1f ", x, 46-44*cols[x]/top)
		}
		if open {
			b.WriteString(`"/>`)
		}
	}
	b.WriteString(`</svg></figure>`)
}

func writeRules(b *strings.Builder, rules []RuleStatus) {
	if len(rules) == 0 {
		return
	}
	b.WriteString(`<h3>Trigger rules</h3><table><tr><th>rule</th><th>signal</th><th>value</th><th>baseline</th><th>fired</th><th>cooldown</th><th>capped</th></tr>`)
	for _, r := range rules {
		fmt.Fprintf(b, `<tr><td>%s</td><td>%s</td><td>%.4g</td><td>%.4g</td><td>%d</td><td>%d</td><td>%d</td></tr>`,
			html.EscapeString(r.Rule), html.EscapeString(r.Signal), r.Value, r.Baseline, r.Fired, r.Cooldown, r.Capped)
	}
	b.WriteString(`</table>`)
}

func writeCaptures(b *strings.Builder, caps []Capture, links bool) {
	b.WriteString(`<h3>Captures</h3>`)
	if len(caps) == 0 {
		b.WriteString(`<p>none yet</p>`)
		return
	}
	b.WriteString(`<table><tr><th>time</th><th>rule</th><th>value</th><th>range</th><th>files</th><th>errors</th></tr>`)
	for _, c := range caps {
		f := c.Firing
		fmt.Fprintf(b, `<tr><td>%s</td><td>%s</td><td>%s=%.4g (%s %.4g)</td><td>%s – %s</td><td>`,
			f.Time.UTC().Format(time.RFC3339), html.EscapeString(f.Rule), html.EscapeString(f.Signal), f.Value,
			f.Kind, f.Threshold, c.From.UTC().Format("15:04:05"), c.To.UTC().Format("15:04:05"))
		for _, file := range c.Files {
			if links {
				fmt.Fprintf(b, `<a href="api/file?name=%s">%s</a> `, url.QueryEscape(file.Entry.Name), file.Kind)
			} else {
				fmt.Fprintf(b, `%s `, file.Kind)
			}
		}
		fmt.Fprintf(b, `</td><td>%s</td></tr>`, html.EscapeString(strings.Join(c.Errors, "; ")))
	}
	b.WriteString(`</table>`)
}

func formatUnit(v float64, unit string) string {
	switch unit {
	case "s":
		return time.Duration(v * 1e9).Round(time.Microsecond).String()
	case "%":
		return fmt.Sprintf("%.1f%%", 100*v)
	case "B":
		const mib = 1 << 20
		return fmt.Sprintf("%.1f MiB", v/mib)
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// Handler serves the monitor's routes for a service that runs it without a
// Profiler:
//
//	GET /metrics        Prometheus text format (hotpath's own registry)
//	GET /api/signals    JSON: limits, latest sample, routes, rules, captures, history (?since=15m)
//	GET /               a page with the signals section
//
// These routes are not guarded: mount them where only trusted clients reach.
// With MonitorConfig.Profiler set it returns the profiler's Handler, which
// serves the same routes (and the captures' files at /api/file) behind its
// Authorize/loopback guard while the monitor runs; mounting p.Handler()
// directly is the same.
func (m *Monitor) Handler() http.Handler {
	if p := m.cfg.Profiler; p != nil {
		return p.Handler()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.MetricsHandler())
	mux.Handle("GET /api/signals", m.SignalsHandler())
	mux.HandleFunc("GET /{$}", m.serveIndex)
	return mux
}

// serveIndex writes a page holding the signals section.
func (m *Monitor) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, `<!doctype html><meta charset="utf-8"><title>hotpath signals</title>`)
	m.WriteIndexSection(w)
}
