module github.com/hotpath-dev/hotpath

go 1.26
