// Package zerocopy measures hotpath/zerocopy: views against copies, and serving files over loopback
// through middleware (a naive wrapper, hotpath's Wrap, plain http.ServeFile, and nginx with sendfile on
// when it is installed), reporting GB/s and CPU seconds per GB.
//
//	cd benchmarks && go test -run '^$' -bench . -count 6 ./zerocopy/ | tee zc.txt
//	go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /op zc.txt
//
// For the serve comparison, zerocopy/interleave.sh runs each (size, server) pair once per round in its
// own process and prints benchstat's table (GB/s, user and system CPU seconds per GB).
package zerocopy
