// Command inlinecheck calls each view function once; TestInline builds it with -gcflags=-m and checks
// that every call was inlined.
package main

import (
	"fmt"

	"github.com/hotpath-dev/hotpath/zerocopy"
)

func main() {
	b := []byte("abcdefgh")
	s := zerocopy.String(b)
	c := zerocopy.Bytes(s)
	u, err := zerocopy.Slice[uint32](c)
	d := zerocopy.BytesOf(u)
	fmt.Println(s, len(c), len(u), err, len(d))
}
