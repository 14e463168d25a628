package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/hotpath-dev/hotpath/benchmarks/rpc/orderpb"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// echoServer answers Echo with the order it received, decoded and re-encoded.
type echoServer struct{}

// echoService is what protoc-gen-go-grpc would generate for
// "service Echo { rpc Echo(Order) returns (Order); }", written out by hand.
var echoService = grpc.ServiceDesc{
	ServiceName: "hotpath.benchmarks.order.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Echo", Handler: echoProto},
		{MethodName: "EchoJSON", Handler: echoJSON},
	},
	Metadata: "order.proto",
}

// echoProto decodes into the protobuf message.
func echoProto(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	in := new(orderpb.Order)
	if err := dec(in); err != nil {
		return nil, err
	}
	return in, nil
}

// echoJSON decodes into the plain struct; its server runs with jsonCodec.
func echoJSON(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	in := new(order)
	if err := dec(in); err != nil {
		return nil, err
	}
	return in, nil
}

// jsonCodec carries JSON over gRPC, to separate the codec from the transport.
type jsonCodec struct{}

func (jsonCodec) Marshal(v any) ([]byte, error)   { return json.Marshal(v) }
func (jsonCodec) Unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
func (jsonCodec) Name() string                    { return "json" }

// restHandler is the REST side: POST an order, get it back, in JSON or protobuf by Content-Type.
func restHandler(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var out []byte
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/json":
		var o order
		if err = json.Unmarshal(body, &o); err == nil {
			out, err = json.Marshal(&o)
		}
	case "application/x-protobuf":
		var o orderpb.Order
		if err = proto.Unmarshal(body, &o); err == nil {
			out, err = proto.Marshal(&o)
		}
	default:
		err = fmt.Errorf("unsupported content type %q", ct)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
	w.Write(out)
}
