module github.com/hotpath-dev/hotpath

go 1.26.0

require (
	github.com/felixge/httpsnoop v1.1.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
)
