// Package rpc measures REST/JSON against gRPC/protobuf on loopback and says where the difference comes
// from, by measuring the two apart:
//
//   - encoding cost alone: encoding/json against protobuf-go, marshal and unmarshal, with the size on
//     the wire;
//   - round trip: every pairing of transport (HTTP/1.1 with net/http, gRPC over HTTP/2 with grpc-go)
//     and codec (JSON, protobuf), so transport and codec effects can be read separately.
//
// The protobuf messages are generated (orderpb, committed with its go:generate line). The gRPC
// service is a hand-written grpc.ServiceDesc with one unary Echo method rather than
// protoc-gen-go-grpc output: it is twenty lines, it is exactly what the generator would emit for one
// method, and it saves a second code generator for one file.
package rpc
