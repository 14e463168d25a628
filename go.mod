module github.com/hotpath-dev/hotpath

go 1.26.0

require (
	go.uber.org/goleak v1.3.0 // indirect
	golang.org/x/perf v0.0.0-20260908200009-22c9c6c9d4da // indirect
)
