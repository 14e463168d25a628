module github.com/hotpath-dev/hotpath/benchmarks

go 1.26.0

require github.com/hotpath-dev/hotpath v0.0.0

require golang.org/x/sys v0.50.0

replace github.com/hotpath-dev/hotpath => ../
