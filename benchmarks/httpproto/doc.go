// Package httpproto measures HTTP/1.1 against HTTP/2 cleartext (h2c) in net/http alone, on loopback:
// one server per protocol (http.Server.Protocols), one client transport per protocol
// (http.Transport.Protocols), 1, 50 and 200 concurrent streams, a small and a 1 MiB response.
//
// HTTP/1.1 opens one connection per concurrent request (the transport keeps up to the concurrency
// idle); HTTP/2 multiplexes every stream over one connection.
package httpproto
