// Package benchmarks measures each claim of hotpath's guide in Go.
//
// It is a module of its own so that the peers it compares against never enter the library's go.mod.
// Each suite lives in a sub-package; run them all with
//
//	cd benchmarks && go test -run '^$' -bench . ./...
package benchmarks
