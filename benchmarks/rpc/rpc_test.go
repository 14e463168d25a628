package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"testing"

	"github.com/hotpath-dev/hotpath/benchmarks"
	"github.com/hotpath-dev/hotpath/benchmarks/rpc/orderpb"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is one loopback REST server and two gRPC servers (protobuf and JSON codec) with their clients.
type env struct {
	restURL             string
	rest                *http.Client
	grpcProto, grpcJSON *grpc.ClientConn
	stop                []func()
}

func (e *env) close() {
	for i := len(e.stop) - 1; i >= 0; i-- {
		e.stop[i]()
	}
}

func listen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	return ln
}

// startGRPC serves echoService on loopback and returns a client connection to it.
func startGRPC(tb testing.TB, e *env, opts ...grpc.ServerOption) *grpc.ClientConn {
	tb.Helper()
	ln := listen(tb)
	srv := grpc.NewServer(opts...)
	srv.RegisterService(&echoService, echoServer{})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	e.stop = append(e.stop, func() { srv.Stop(); <-done })
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatalf("grpc.NewClient: %v", err)
	}
	e.stop = append(e.stop, func() { cc.Close() })
	return cc
}

func newEnv(tb testing.TB, streams int) *env {
	tb.Helper()
	e := new(env)
	ln := listen(tb)
	srv := &http.Server{Handler: http.HandlerFunc(restHandler)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	e.stop = append(e.stop, func() { srv.Close(); <-done })
	e.restURL = "http://" + ln.Addr().String() + "/order"
	tr := &http.Transport{MaxIdleConnsPerHost: streams}
	e.rest = &http.Client{Transport: tr}
	e.stop = append(e.stop, tr.CloseIdleConnections)
	e.grpcProto = startGRPC(tb, e)
	e.grpcJSON = startGRPC(tb, e, grpc.ForceServerCodec(jsonCodec{}))
	return e
}

// post does one REST round trip with the given content type and raw body and returns the response body.
func (e *env) post(ctx context.Context, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.restURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := e.rest.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("POST %s: %s: %s", e.restURL, resp.Status, out)
	}
	return out, err
}

// roundTrip is one request/response pairing of transport and codec; each encodes the request and
// decodes the response as a real client would.
type roundTrip struct {
	name string
	do   func(ctx context.Context, e *env, o *order, p *orderpb.Order) (int, error) // returns items echoed
}

var roundTrips = []roundTrip{
	{"rest-json", func(ctx context.Context, e *env, o *order, _ *orderpb.Order) (int, error) {
		body, err := json.Marshal(o)
		if err != nil {
			return 0, err
		}
		out, err := e.post(ctx, "application/json", body)
		if err != nil {
			return 0, err
		}
		var got order
		err = json.Unmarshal(out, &got)
		return len(got.Items), err
	}},
	{"rest-proto", func(ctx context.Context, e *env, _ *order, p *orderpb.Order) (int, error) {
		body, err := proto.Marshal(p)
		if err != nil {
			return 0, err
		}
		out, err := e.post(ctx, "application/x-protobuf", body)
		if err != nil {
			return 0, err
		}
		var got orderpb.Order
		err = proto.Unmarshal(out, &got)
		return len(got.Items), err
	}},
	{"grpc-json", func(ctx context.Context, e *env, o *order, _ *orderpb.Order) (int, error) {
		var got order
		err := e.grpcJSON.Invoke(ctx, "/hotpath.benchmarks.order.Echo/EchoJSON", o, &got, grpc.ForceCodec(jsonCodec{}))
		return len(got.Items), err
	}},
	{"grpc-proto", func(ctx context.Context, e *env, _ *order, p *orderpb.Order) (int, error) {
		var got orderpb.Order
		err := e.grpcProto.Invoke(ctx, "/hotpath.benchmarks.order.Echo/Echo", p, &got)
		return len(got.Items), err
	}},
}

func TestRoundTrips(t *testing.T) {
	e := newEnv(t, 1)
	defer e.close()
	o, p := newOrder(4 << 10)
	for _, rt := range roundTrips {
		t.Run(rt.name, func(t *testing.T) {
			n, err := rt.do(t.Context(), e, o, p)
			if err != nil || n != len(o.Items) {
				t.Errorf("%s round trip = %d items, %v; want %d items, nil", rt.name, n, err, len(o.Items))
			}
		})
	}
}

func TestPayloadsAgree(t *testing.T) {
	o, p := newOrder(64 << 10)
	j, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back order
	if err := json.Unmarshal(j, &back); err != nil || !reflect.DeepEqual(&back, o) {
		t.Errorf("json round trip = %v, %v; want equal order", err, reflect.DeepEqual(&back, o))
	}
	b, err := proto.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var pb orderpb.Order
	if err := proto.Unmarshal(b, &pb); err != nil || !proto.Equal(&pb, p) || len(pb.Items) != len(o.Items) {
		t.Errorf("proto round trip = %v; want equal order with %d items", err, len(o.Items))
	}
}

var sinkN int

// BenchmarkEncode measures the codecs alone; wire-B is the encoded size of one order.
func BenchmarkEncode(b *testing.B) {
	for _, size := range benchmarks.Sizes {
		o, p := newOrder(size.Bytes)
		js, _ := json.Marshal(o)
		pbs, _ := proto.Marshal(p)
		b.Run(fmt.Sprintf("size=%s/codec=json/op=marshal", size.Name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, _ := json.Marshal(o)
				sinkN = len(out)
			}
			b.ReportMetric(float64(len(js)), "wire-B")
		})
		b.Run(fmt.Sprintf("size=%s/codec=proto/op=marshal", size.Name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, _ := proto.Marshal(p)
				sinkN = len(out)
			}
			b.ReportMetric(float64(len(pbs)), "wire-B")
		})
		b.Run(fmt.Sprintf("size=%s/codec=json/op=unmarshal", size.Name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var got order
				if err := json.Unmarshal(js, &got); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(js)), "wire-B")
		})
		b.Run(fmt.Sprintf("size=%s/codec=proto/op=unmarshal", size.Name), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var got orderpb.Order
				if err := proto.Unmarshal(pbs, &got); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(pbs)), "wire-B")
		})
	}
}

// BenchmarkRoundTrip measures one request/response per op over loopback, encoding and decoding
// included, for every transport × codec pairing, from 1 and from 50 concurrent callers.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []benchmarks.Size{benchmarks.Sizes[0], benchmarks.Sizes[2]} {
		o, p := newOrder(size.Bytes)
		for _, streams := range []int{1, 50} {
			for _, rt := range roundTrips {
				b.Run(fmt.Sprintf("size=%s/streams=%d/api=%s", size.Name, streams, rt.name), func(b *testing.B) {
					e := newEnv(b, streams)
					defer e.close()
					ctx := b.Context()
					b.ReportAllocs()
					if streams == 1 {
						for b.Loop() {
							if n, err := rt.do(ctx, e, o, p); err != nil || n != len(o.Items) {
								b.Fatalf("%s = %d items, %v", rt.name, n, err)
							}
						}
						return
					}
					procs := runtime.GOMAXPROCS(0)
					b.SetParallelism((streams + procs - 1) / procs)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if n, err := rt.do(ctx, e, o, p); err != nil || n != len(o.Items) {
								b.Errorf("%s = %d items, %v", rt.name, n, err)
								return
							}
						}
					})
				})
			}
		}
	}
}
