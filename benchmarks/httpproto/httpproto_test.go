package httpproto

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"testing"

	"github.com/hotpath-dev/hotpath/benchmarks"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// protocol is one side of the comparison.
type protocol struct {
	name  string
	proto func(*http.Protocols)
}

var protocols = []protocol{
	{"h1", func(p *http.Protocols) { p.SetHTTP1(true) }},
	{"h2c", func(p *http.Protocols) { p.SetUnencryptedHTTP2(true) }},
}

// bodies are the two response sizes from the shared table: the smallest and 1 MiB.
func bodies() []benchmarks.Size {
	return []benchmarks.Size{benchmarks.Sizes[0], benchmarks.Sizes[len(benchmarks.Sizes)-1]}
}

// serve starts a loopback server speaking only p that answers every request with body. The returned
// function stops it and waits for it.
func serve(tb testing.TB, p protocol, body []byte) (url string, stop func()) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(body)
		}),
		Protocols: new(http.Protocols),
	}
	p.proto(srv.Protocols)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/", func() {
		srv.Close()
		if err := <-done; err != http.ErrServerClosed {
			tb.Errorf("Serve = %v, want %v", err, http.ErrServerClosed)
		}
	}
}

// client returns a client speaking only p that keeps up to streams idle connections.
func client(p protocol, streams int) *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols), MaxIdleConnsPerHost: streams, ForceAttemptHTTP2: false}
	p.proto(tr.Protocols)
	return &http.Client{Transport: tr}
}

// get does one request and reads the whole response, checking the protocol and size.
func get(ctx context.Context, c *http.Client, url string, wantProto, wantLen int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return err
	}
	if resp.ProtoMajor != wantProto || n != int64(wantLen) {
		return fmt.Errorf("got HTTP/%d and %d bytes, want HTTP/%d and %d", resp.ProtoMajor, n, wantProto, wantLen)
	}
	return nil
}

func TestProtocols(t *testing.T) {
	for i, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			url, stop := serve(t, p, []byte("hello"))
			defer stop()
			c := client(p, 1)
			defer c.CloseIdleConnections()
			if err := get(t.Context(), c, url, i+1, 5); err != nil {
				t.Errorf("get(%s) = %v, want nil", p.name, err)
			}
		})
	}
}

// BenchmarkRoundTrip runs GET requests from streams concurrent goroutines; ns/op is per request, so
// it falls as concurrency hides latency.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range bodies() {
		body := make([]byte, size.Bytes)
		for _, streams := range []int{1, 50, 200} {
			for i, p := range protocols {
				b.Run(fmt.Sprintf("size=%s/streams=%d/proto=%s", size.Name, streams, p.name), func(b *testing.B) {
					url, stop := serve(b, p, body)
					defer stop()
					c := client(p, streams)
					defer c.CloseIdleConnections()
					ctx := b.Context()
					b.SetBytes(int64(size.Bytes))
					b.ReportAllocs()
					if streams == 1 {
						for b.Loop() {
							if err := get(ctx, c, url, i+1, size.Bytes); err != nil {
								b.Fatal(err)
							}
						}
						return
					}
					// RunParallel starts parallelism × GOMAXPROCS goroutines: round up to at least streams.
					procs := runtime.GOMAXPROCS(0)
					b.SetParallelism((streams + procs - 1) / procs)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := get(ctx, c, url, i+1, size.Bytes); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		}
	}
}
