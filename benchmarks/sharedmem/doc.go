// Package sharedmem measures package sharedmem against the alternatives a Go program has for
// talking to another process (a pipe, a Unix socket) or goroutine (a channel), and against an
// in-process copy as the memory-bandwidth ceiling.
//
//	cd benchmarks && go test -run '^$' -bench . -count 6 ./sharedmem | tee new.txt
//
// The suites run on Linux only (they need memfd, futex and pipe2).
package sharedmem
