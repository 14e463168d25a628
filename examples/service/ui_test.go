package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	neturl "net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// boxText matches the labels the pprof flame graph script draws into its boxes.
var boxText = regexp.MustCompile(`<div class="boxtext"[^>]*>([^<]*)</div>`)

// hotRange returns the query selecting the CPU windows stored so far, once their merge holds at least
// min samples under app.PriceOrder; "" before that.
func hotRange(t *testing.T, url string, min int64) string {
	t.Helper()
	var list struct {
		Entries []struct{ Start, End time.Time }
	}
	if _, b := fetch(t, url+"/api/profiles?kind=cpu"); json.Unmarshal(b, &list) != nil || len(list.Entries) < 2 {
		return ""
	}
	q := neturl.Values{"from": {list.Entries[0].Start.Format(time.RFC3339Nano)}, "to": {list.Entries[len(list.Entries)-1].End.Format(time.RFC3339Nano)}}.Encode()
	status, b := fetch(t, url+"/api/profile?kind=cpu&"+q)
	p, err := profile.ParseData(b)
	if status != 200 || err != nil {
		return ""
	}
	var n int64
	for _, s := range p.Sample {
		if onStack(s, "PriceOrder") {
			n += s.Value[0]
		}
	}
	if n < min {
		return ""
	}
	return q
}

// onStack reports whether a function whose name ends in suffix is on the sample's stack, inlined or not.
func onStack(s *profile.Sample, suffix string) bool {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function != nil && strings.HasSuffix(l.Function.Name, suffix) {
				return true
			}
		}
	}
	return false
}

// TestServiceFlameGraphInChromium is the web UI's done-when check: under load, the service's /ui/
// shows a flame graph in a real headless Chromium, with a box for app.PriceOrder, where the
// service's CPU goes. The served HTML carries function names only inside a script; the boxes exist
// only once the browser ran it.
func TestServiceFlameGraphInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			browser = path
			break
		}
	}
	if browser == "" {
		t.Skip("SKIPPED: no Chromium on PATH, so the flame graph is not checked in a real browser (apt-get install -y chromium)")
	}
	url := startService(t, "-period", "1s", "-cpu", "1s", "-kinds", "cpu", "-dir", t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	for range 4 {
		go load(ctx, url)
	}
	// Wait for windows taken under load that hold a fair number of PriceOrder samples (a loaded
	// machine or the race detector can starve the service), and view exactly those windows.
	rng := ""
	for deadline := time.Now().Add(60 * time.Second); rng == ""; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no CPU windows with 20 PriceOrder samples after 60 s of load")
		}
		rng = hotRange(t, url, 20)
	}
	cancel()
	if _, served := fetch(t, url+"/ui/flamegraph?kind=cpu&"+rng); boxText.Match(served) {
		t.Fatalf("served flame graph HTML already contains box labels; the browser check would prove nothing")
	}

	bctx, bcancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer bcancel()
	cmd := exec.CommandContext(bctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--window-size=1600,1200", "--virtual-time-budget=10000",
		"--dump-dom", url+"/ui/?kind=cpu&"+rng)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.Bytes())
	}
	var labels []string
	for _, m := range boxText.FindAllStringSubmatch(stdout.String(), -1) {
		l := html.UnescapeString(m[1])
		labels = append(labels, l)
		if strings.HasSuffix(l, "PriceOrder") {
			return
		}
	}
	t.Errorf("flame graph boxes drawn by Chromium = %q, want one labelled …PriceOrder", labels)
}
