// Command layoutvet runs the layout analyzer on its own or under go vet:
//
//	go install github.com/hotpath-dev/hotpath/escape/layout/cmd/layoutvet@latest
//	go vet -vettool=$(command -v layoutvet) ./...
//	layoutvet -reportall ./...
//	layoutvet -fix ./...   # apply the suggested field orders, comments kept
package main

import (
	"github.com/hotpath-dev/hotpath/escape/layout"
	"golang.org/x/tools/go/analysis/singlechecker"
)

func main() { singlechecker.Main(layout.Analyzer) }
