package escape_test

import (
	"fmt"

	"github.com/hotpath-dev/hotpath/examples/escape"
)

// A KeyBuf declared in the loop stays on the stack: building keys costs no allocation.
func ExampleKeyBuf_Key() {
	for _, id := range []int{7, 42} {
		var b escape.KeyBuf
		n := b.Key("ada", id)
		fmt.Println(string(b[:n]))
	}
	// Output:
	// ada:7
	// ada:42
}
