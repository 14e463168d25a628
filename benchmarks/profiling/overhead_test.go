// Package profiling measures what continuous profiling costs a service: the example order service runs
// as three processes — no profiler, hotpath's profiler at its defaults, and grafana/pyroscope-go at its
// defaults pushing to a loopback sink — and a closed-loop load generator measures each in turn.
package profiling

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	duration = flag.Duration("overhead.duration", 2*time.Second, "load per mode per round (use >= 20s for numbers; hotpath's window is 60s)")
	clients  = flag.Int("overhead.clients", 4, "concurrent keep-alive clients")
)

var modes = []string{"off", "hotpath", "pyroscope"}

// server is one running svc process.
type server struct {
	cmd *exec.Cmd
	url string
}

func buildSvc(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "svc")
	out, err := exec.CommandContext(b.Context(), "go", "build", "-o", bin, "./svc").CombinedOutput()
	if err != nil {
		b.Fatalf("go build ./svc: %v\n%s", err, out)
	}
	return bin
}

func startSvc(b *testing.B, bin, mode, sink string) *server {
	b.Helper()
	cmd := exec.Command(bin, "-mode", mode, "-sink", sink, "-dir", b.TempDir())
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1") // one core for the service, one for the load
	cmd.Stderr = os.Stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		b.Fatalf("svc -mode %s: %v", mode, err)
	}
	s := &server{cmd: cmd, url: strings.TrimSpace(line)}
	b.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return s
}

// rssKiB reads the resident set size of pid from /proc.
func rssKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

const orderBody = `{"customer":"ada","items":[{"sku":"a","quantity":12,"cents":150},{"sku":"b","quantity":1,"cents":999}]}`

// drive runs a closed-loop load against url for d and returns the completed requests' latencies.
func drive(ctx context.Context, client *http.Client, url string, d time.Duration) ([]time.Duration, int64) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu     sync.Mutex
		lat    []time.Duration
		errors atomic.Int64
		wg     sync.WaitGroup
	)
	for range *clients {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1<<14)
			for ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/orders", strings.NewReader(orderBody))
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errors.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errors.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, errors.Load()
}

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

// BenchmarkOverhead: each iteration is one round that loads every mode for -overhead.duration, in a
// rotated order. Metrics per mode: requests/s, p99 latency, peak RSS; and the throughput loss of each
// profiler against no profiler. Compare rounds with benchstat (-count=N).
func BenchmarkOverhead(b *testing.B) {
	var uploads atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if strings.HasSuffix(r.URL.Path, "/ingest") {
			uploads.Add(1)
		}
	}))
	defer sink.Close()
	bin := buildSvc(b)
	servers := map[string]*server{}
	for _, m := range modes {
		servers[m] = startSvc(b, bin, m, sink.URL)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients, DisableCompression: true}}
	defer client.CloseIdleConnections()

	reqs := map[string]int64{}
	lats := map[string][]time.Duration{}
	secs := map[string]float64{}
	var errs int64
	round := 0
	for b.Loop() {
		for i := range modes {
			m := modes[(i+round)%len(modes)]
			t0 := time.Now()
			lat, e := drive(b.Context(), client, servers[m].url, *duration)
			secs[m] += time.Since(t0).Seconds()
			reqs[m] += int64(len(lat))
			lats[m] = append(lats[m], lat...)
			errs += e
		}
		round++
	}
	if errs > 0 {
		b.Errorf("%d failed requests", errs)
	}
	rps := map[string]float64{}
	for _, m := range modes {
		rps[m] = float64(reqs[m]) / secs[m]
		b.ReportMetric(rps[m], m+"-req/s")
		b.ReportMetric(float64(p99(lats[m]).Microseconds()), m+"-p99-µs")
		b.ReportMetric(float64(rssKiB(servers[m].cmd.Process.Pid, "VmHWM"))/1024, m+"-peak-RSS-MiB")
	}
	b.ReportMetric(100*(1-rps["hotpath"]/rps["off"]), "hotpath-loss-%")
	b.ReportMetric(100*(1-rps["pyroscope"]/rps["off"]), "pyroscope-loss-%")
	b.ReportMetric(float64(uploads.Load()), "pyroscope-uploads")
	b.ReportMetric(0, "ns/op")
}
