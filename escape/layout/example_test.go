package layout_test

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"

	"github.com/hotpath-dev/hotpath/escape/layout"
)

func ExampleInspect() {
	const src = `package p

import "sync/atomic"

type Event struct {
	ok   bool
	at   int64
	kind bool
}

type Queue struct {
	head atomic.Uint64
	tail atomic.Uint64
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		panic(err)
	}
	info := &types.Info{
		Defs: map[*ast.Ident]types.Object{}, Uses: map[*ast.Ident]types.Object{},
		Types: map[ast.Expr]types.TypeAndValue{}, Selections: map[*ast.SelectorExpr]*types.Selection{},
		Instances: map[*ast.Ident]types.Instance{},
	}
	pkg, err := (&types.Config{Importer: importer.Default()}).Check("p", fset, []*ast.File{f}, info)
	if err != nil {
		panic(err)
	}
	sizes := types.SizesFor("gc", "amd64")
	for _, s := range layout.Inspect(layout.Input{Fset: fset, Files: []*ast.File{f}, Pkg: pkg, Info: info, Sizes: sizes}) {
		if s.Best != nil {
			fmt.Println(s.OrderMessage())
		}
		for _, sh := range s.Sharing {
			fmt.Println(s.SharingMessage(sh))
		}
	}
	// Output:
	// struct Event is 24 bytes (24-byte objects) with 14 bytes of padding; ordered at, ok, kind it is 16 bytes (16-byte objects)
	// struct Queue: false sharing: head, tail: 2 independently written groups (head, tail) share cache line 0; separate them with padding to a 64-byte boundary
}

func ExampleAllocSize() {
	fmt.Println(layout.AllocSize(24, false, 8), layout.AllocSize(25, false, 8))
	// A pointerful object over 512 bytes carries an 8-byte malloc header.
	fmt.Println(layout.AllocSize(512, true, 8), layout.AllocSize(520, true, 8), layout.AllocSize(520, false, 8))
	// Output:
	// 24 32
	// 512 576 576
}
