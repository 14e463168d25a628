package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// boxText matches the labels the pprof flame graph script draws into its boxes.
var boxText = regexp.MustCompile(`<div class="boxtext"[^>]*>([^<]*)</div>`)

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
	var list struct{ Entries []struct{ Kind string } }
	for deadline := time.Now().Add(20 * time.Second); len(list.Entries) < 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no two CPU windows after 20 s: %+v", list)
		}
		_, b := fetch(t, url+"/api/profiles?kind=cpu")
		json.Unmarshal(b, &list)
	}
	cancel()
	if _, served := fetch(t, url+"/ui/flamegraph?kind=cpu"); boxText.Match(served) {
		t.Fatalf("served flame graph HTML already contains box labels; the browser check would prove nothing")
	}

	bctx, bcancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer bcancel()
	cmd := exec.CommandContext(bctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--window-size=1600,1200", "--virtual-time-budget=10000",
		"--dump-dom", url+"/ui/?kind=cpu&from=-1h")
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
