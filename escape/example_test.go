package escape_test

import (
	"fmt"

	"github.com/hotpath-dev/hotpath/escape"
)

// ParseText turns the compiler's -m=2 text into facts; heap and leak facts carry the flow that explains
// them.
func ExampleParseText() {
	out := []byte(`# example.com/p
./p.go:6:17: x escapes to heap in G:
./p.go:6:17:   flow: ~r0 ← &x:
./p.go:6:17:     from &x (address-of) at ./p.go:6:32
./p.go:6:17:     from return &x (return) at ./p.go:6:25
./p.go:6:6: can inline G with cost 8 as: func() *int { x := 1; return &x }
./p.go:6:17: moved to heap: x
./p.go:9:12: inlining call to G
./p.go:10:9: Found IsInBounds
`)
	p := escape.ParseText(out, "go1.26.8")
	for _, f := range p.Facts {
		fmt.Println(f.String())
	}
	fmt.Println(p.Facts[1].Flow[0].Flow, "|", p.Facts[1].Flow[2].From, "at", p.Facts[1].Flow[2].At)
	fmt.Println(p.Lines, "lines:", len(p.Facts), "facts,", p.Notes, "notes,", p.UnknownCount, "unknown")
	// Output:
	// ./p.go:6:6: inlinable: G cost 8 budget 80
	// ./p.go:6:17: heap: x moved to heap (return)
	// ./p.go:9:12: inlined-call: G
	// ./p.go:10:9: bounds-check: IsInBounds
	// ~r0 ← &x | return &x at ./p.go:6:25
	// 9 lines: 4 facts, 4 notes, 0 unknown
}

// ProfileFor picks the -m=2 grammar of a toolchain: Go 1.25 changed the explanation headings and arrows.
func ExampleProfileFor() {
	fmt.Println(escape.ProfileFor("go1.24.7").Name, escape.ProfileFor("go1.26.8").Name)
	// Output: go1.13 go1.25
}
