package profiling

import (
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"
)

// indexPage is parsed on first use, not at package init: importing the package costs nothing.
var indexPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("index").Funcs(template.FuncMap{
		"ts":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") },
		"rfc": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	}).Parse(`<!doctype html>
<meta charset="utf-8">
<title>hotpath profiles · {{.Labels.service}}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left}tr:nth-child(even){background:#f4f4f4}code{font-size:13px}</style>
<h1>{{.Labels.service}} <small>{{.Labels.version}} · {{.Labels.instance}} · pgo={{.Labels.pgo}}</small></h1>
<p>Window {{.Period}}, kinds {{range .Kinds}}<code>{{.}}</code> {{end}}— {{.Files}} files, {{.Bytes}} bytes in <code>{{.Dir}}</code>.</p>
<h2>Last hour, merged</h2>
<ul>{{range .Kinds}}<li><a href="api/profile?kind={{.}}&amp;from=-1h">{{.}}</a> · <a href="ui/?kind={{.}}&amp;from=-1h">flame graph</a>
{{end}}</ul>
{{with .Extra}}<h2>More</h2><ul>{{range .}}<li><a href="{{.Href}}">{{.Title}}</a>
{{end}}</ul>{{end}}
<h2>Latest windows</h2>
<table><tr><th>kind<th>start<th>end<th>source<th>bytes
{{range .Entries}}<tr><td>{{.Kind}}<td>{{ts .Start}}<td>{{ts .End}}<td>{{.Source}}<td>{{.Size}}{{if ne .Kind "trace"}}<td><a href="ui/?kind={{.Kind}}&amp;from={{rfc .Start}}&amp;to={{rfc .End}}">view</a>{{end}}
{{end}}</table>
<h2>Profiler cost</h2>
<table><tr><th>kind<th>collected<th>skipped<th>bytes<th>collect time<th>CPU time<th>last skip
{{range $k, $v := .Stats.Kinds}}<tr><td>{{$k}}<td>{{$v.Collected}}<td>{{$v.Skipped}}<td>{{$v.Bytes}}<td>{{$v.CollectTime}}<td>{{$v.CPUTime}}<td>{{$v.LastSkip}}
{{end}}</table>
<p>Windows {{.Stats.Windows}}, missed {{.Stats.MissedWindows}}, queue dropped {{.Stats.QueueDropped}}, sink errors {{.Stats.SinkErrors}}. <a href="api/stats">JSON</a> · <a href="debug/pprof/">/debug/pprof/</a></p>
{{.Signals}}`))
})

func (p *Profiler) serveIndex(w http.ResponseWriter, r *http.Request) {
	type link struct{ Href, Title string }
	data := struct {
		Labels  map[string]string
		Period  time.Duration
		Kinds   []Kind
		Dir     string
		Files   int
		Bytes   int64
		Entries []Entry
		Stats   Stats
		Extra   []link
		Signals template.HTML // the attached monitor's section, built by escaping writers
	}{Labels: p.labels, Period: p.cfg.Period, Kinds: p.cfg.Kinds, Stats: p.Stats()}
	if p.store != nil {
		data.Dir = p.store.Dir()
		data.Bytes, data.Files = p.store.Size()
		es := p.store.List("", time.Time{}, time.Time{})
		for i := len(es) - 1; i >= 0 && len(data.Entries) < 30; i-- {
			data.Entries = append(data.Entries, es[i])
		}
	}
	m := p.monitor.Load()
	for _, rt := range p.extraRoutes() {
		if rt.title != "" && (m != nil || !rt.needsMonitor) {
			data.Extra = append(data.Extra, link{routePath(rt.pattern), rt.title})
		}
	}
	if m != nil {
		var b strings.Builder
		m.WriteIndexSection(&b)
		data.Signals = template.HTML(b.String())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	indexPage().Execute(w, data)
}

// routePath returns the path of a ServeMux pattern ("GET /ui/" → "ui/"), relative to the index.
func routePath(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '/' {
			return pattern[i+1:]
		}
	}
	return pattern
}
