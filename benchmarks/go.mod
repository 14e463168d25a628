module github.com/hotpath-dev/hotpath/benchmarks

go 1.26.0

require github.com/hotpath-dev/hotpath v0.0.0

require (
	github.com/felixge/httpsnoop v1.1.0 // indirect
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/hotpath-dev/hotpath => ../
