// Package pyroscope measures what hotpath's Pyroscope sink costs the profiler when the server does not
// answer: Send must stay O(1) and never wait on the network.
package pyroscope

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/hotpath-dev/hotpath/benchmarks"
	"github.com/hotpath-dev/hotpath/profiling"
)

// window returns one CPU window whose pprof body is about size bytes of samples.
func window(b *testing.B, size int) *profiling.Batch {
	b.Helper()
	fn := &profile.Function{ID: 1, Name: "main.hot", SystemName: "main.hot", Filename: "main.go", StartLine: 1}
	p := &profile.Profile{SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}, Function: []*profile.Function{fn}}
	for i := range max(1, size/16) {
		loc := &profile.Location{ID: uint64(i + 1), Address: uint64(i), Line: []profile.Line{{Function: fn, Line: int64(i)}}}
		p.Location = append(p.Location, loc)
		p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{loc}, Value: []int64{1, 10_000_000}})
	}
	var buf bytes.Buffer
	if err := p.WriteUncompressed(&buf); err != nil {
		b.Fatal(err)
	}
	start := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	return &profiling.Batch{Start: start, End: start.Add(time.Minute), Labels: map[string]string{"service": "bench"},
		Profiles: []profiling.Profile{{Kind: profiling.KindCPU, Start: start, End: start.Add(time.Minute), Data: buf.Bytes()}}}
}

// BenchmarkSendServerHung sends windows to a server that never answers: the queue is full, so each
// window displaces the oldest (reported as dropped/op).
func BenchmarkSendServerHung(b *testing.B) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	for _, size := range benchmarks.Sizes[:3] {
		b.Run(size.Name, func(b *testing.B) {
			sink, err := profiling.PyroscopeSink(profiling.PyroscopeConfig{URL: srv.URL, Timeout: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			batch := window(b, size.Bytes)
			b.ReportAllocs()
			for b.Loop() {
				sink.Send(context.Background(), batch)
			}
			b.ReportMetric(float64(sink.Stats().Dropped)/float64(b.N), "dropped/op")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			sink.Stop(ctx) // the server never answers: what is queued is dropped
			cancel()
		})
	}
}
