package escapes

// vec is a small value type: 24 bytes.
type vec struct{ x, y, z float64 }

func (v vec) dot(w vec) float64 { return v.x*w.x + v.y*w.y + v.z*w.z }

// sinkVec is a package-level pointer: storing into it makes a value outlive its function.
var sinkVec *vec

// sinkAny keeps boxed values alive the same way.
var sinkAny any

// onStack builds the vec as a value: it never leaves the frame.
//
//go:noinline
func onStack(i int) float64 {
	v := vec{float64(i), 2, 3}
	return v.dot(v)
}

// toHeap builds the same vec but stores its address globally: "moved to heap: v".
//
//go:noinline
func toHeap(i int) float64 {
	v := vec{float64(i), 2, 3}
	sinkVec = &v
	return v.dot(v)
}

// boxed converts the vec to an interface that outlives the call: the conversion allocates.
//
//go:noinline
func boxed(i int) float64 {
	v := vec{float64(i), 2, 3}
	sinkAny = v
	return v.dot(v)
}

// bufConst makes a buffer of constant size: up to 64 KiB it lives on the stack.
//
//go:noinline
func bufConst(b byte) int {
	buf := make([]byte, 4096)
	return fill(buf, b)
}

// bufVar makes the same buffer with a size only known at run time. -m says "does not escape", yet it
// is allocated on the heap: a non-escaping make of unknown size gets a stack buffer only when it fits
// 32 bytes (Go 1.25+), otherwise a heap allocation. Not escaping is not the same as stack-allocated.
//
//go:noinline
func bufVar(n int, b byte) int {
	buf := make([]byte, n)
	return fill(buf, b)
}

func fill(buf []byte, b byte) int {
	for i := range buf {
		buf[i] = b
	}
	return len(buf) + int(buf[len(buf)-1])
}
