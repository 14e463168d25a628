module github.com/hotpath-dev/hotpath/benchmarks

go 1.26.0

require (
	github.com/grafana/pyroscope-go v1.5.0
	github.com/hotpath-dev/hotpath v0.0.0
)

require (
	github.com/felixge/fgprof v0.9.5 // indirect
	github.com/google/pprof v0.0.0-20261105003125-4bf881d7fb0b // indirect
	github.com/grafana/pyroscope-go/godeltaprof v0.1.12 // indirect
	github.com/klauspost/compress v1.20.2 // indirect
)

replace github.com/hotpath-dev/hotpath => ../
