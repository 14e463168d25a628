package callsites_test

import (
	"fmt"

	"github.com/hotpath-dev/hotpath/escape/callsites"
)

func ExampleClassify() {
	for _, n := range []int{1, 2, 4, 5} {
		fmt.Println(n, callsites.Classify(n))
	}
	// Output:
	// 1 monomorphic
	// 2 polymorphic
	// 4 polymorphic
	// 5 megamorphic
}

func ExampleParsePGODebug() {
	out := []byte(`# example.com/shapes
./shapes.go:56:14: PGO devirtualizing interface call s.Area to (*Rect).Area
{"Pkg":"example.com/shapes","Pos":"/src/shapes/shapes.go:56:14","Caller":"example.com/shapes.SumMega","Direct":false,"Interface":true,"Weight":65,"Hottest":"example.com/shapes.(*Rect).Area","HottestWeight":18,"Devirtualized":"example.com/shapes.(*Rect).Area","DevirtualizedWeight":18}
`)
	p := callsites.ParsePGODebug(out)
	st := p.Stats[0]
	fmt.Printf("%s: devirtualized to %s with %d of %d\n", st.Pos, st.Devirtualized, st.DevirtualizedWeight, st.Weight)
	fmt.Printf("-m says: %s to %s\n", p.Devirts[0].Expr, p.Devirts[0].Callee)
	fmt.Println("unknown lines:", p.Unknown)
	// Output:
	// /src/shapes/shapes.go:56:14: devirtualized to example.com/shapes.(*Rect).Area with 18 of 65
	// -m says: s.Area to (*Rect).Area
	// unknown lines: 0
}
