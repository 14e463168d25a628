package profiling

import (
	"bytes"
	"context"
	"html"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

// chromium returns the path of a headless-capable Chromium, or skips the test saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("SKIPPED: no Chromium on PATH, so the flame graph is not checked in a real browser (apt-get install -y chromium)")
	return ""
}

// renderedDOM loads pageURL in headless Chromium and returns the DOM after the page's scripts ran.
func renderedDOM(t *testing.T, browser, pageURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
		"--user-data-dir="+t.TempDir(), "--window-size=1600,1200", "--virtual-time-budget=10000",
		"--dump-dom", pageURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium --dump-dom %s: %v\n%s", pageURL, err, stderr.Bytes())
	}
	return stdout.String()
}

// boxText matches the labels the flame graph script draws into its boxes.
var boxText = regexp.MustCompile(`<div class="boxtext"[^>]*>([^<]*)</div>`)

// TestUIFlameGraphInChromium opens the flame graph of a CPU profile of uiHotSpin in a real headless
// Chromium and checks that the page's script drew a box labelled with it. The served HTML holds the
// function names only inside a script; box labels exist only once the script ran in the browser.
func TestUIFlameGraphInChromium(t *testing.T) {
	browser := chromium(t)
	cpu := childCPUProfile(t)
	srv := uiServer(t, func(ctx context.Context, q url.Values) (*profile.Profile, error) { return cpu, nil })

	_, served := get(t, srv.URL+"/ui/flamegraph?kind=cpu")
	if boxText.MatchString(served) {
		t.Fatalf("served flame graph HTML already contains box labels; the browser check would prove nothing")
	}
	dom := renderedDOM(t, browser, srv.URL+"/ui/?kind=cpu")
	var labels []string
	for _, m := range boxText.FindAllStringSubmatch(dom, -1) {
		labels = append(labels, html.UnescapeString(m[1]))
	}
	hot := false
	for _, l := range labels {
		hot = hot || strings.HasSuffix(l, "uiHotSpin")
	}
	if !hot {
		i := max(0, strings.Index(dom, `id="stack-chart"`))
		t.Errorf("flame graph boxes drawn by Chromium = %q, want one labelled …uiHotSpin; chart: %.2000s", labels, dom[i:])
	}
}
