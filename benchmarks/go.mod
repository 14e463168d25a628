module github.com/hotpath-dev/hotpath/benchmarks

go 1.26

require github.com/hotpath-dev/hotpath v0.0.0

replace github.com/hotpath-dev/hotpath => ../
