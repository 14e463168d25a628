package iface

// Shape is the interface every benchmark calls through.
type Shape interface{ Area() float64 }

// Eight concrete types with small, inlinable methods of the same cost, so the benchmarks measure
// dispatch and inlining, not arithmetic.
type (
	s0 struct{ v float64 }
	s1 struct{ v float64 }
	s2 struct{ v float64 }
	s3 struct{ v float64 }
	s4 struct{ v float64 }
	s5 struct{ v float64 }
	s6 struct{ v float64 }
	s7 struct{ v float64 }
)

func (s *s0) Area() float64 { return s.v * 1 }
func (s *s1) Area() float64 { return s.v * 2 }
func (s *s2) Area() float64 { return s.v * 3 }
func (s *s3) Area() float64 { return s.v * 4 }
func (s *s4) Area() float64 { return s.v * 5 }
func (s *s5) Area() float64 { return s.v * 6 }
func (s *s6) Area() float64 { return s.v * 7 }
func (s *s7) Area() float64 { return s.v * 8 }

// build returns n shapes drawn from the first kinds concrete types in a fixed pseudo-random order
// (the same for every run), so the CPU's indirect-branch predictor cannot learn a cycle. The types
// are chosen at run time in a non-inlined function, so the compiler cannot know which end up in the
// slice.
//
//go:noinline
func build(n, kinds int) []Shape {
	out := make([]Shape, n)
	state := uint32(2463534242)
	for i := range out {
		state ^= state << 13 // xorshift32: deterministic and cheap
		state ^= state >> 17
		state ^= state << 5
		v := float64(i%7) + 0.5
		switch int(state>>8) % kinds {
		case 0:
			out[i] = &s0{v}
		case 1:
			out[i] = &s1{v}
		case 2:
			out[i] = &s2{v}
		case 3:
			out[i] = &s3{v}
		case 4:
			out[i] = &s4{v}
		case 5:
			out[i] = &s5{v}
		case 6:
			out[i] = &s6{v}
		default:
			out[i] = &s7{v}
		}
	}
	return out
}

// buildDirect returns n values of one concrete type for the direct-call baseline.
//
//go:noinline
func buildDirect(n int) []*s0 {
	out := make([]*s0, n)
	for i := range out {
		out[i] = &s0{float64(i%7) + 0.5}
	}
	return out
}

// Each sum function below has exactly one call site in its loop; they are separate functions so a
// profile can tell them apart (PGO devirtualises per call site, by the hottest callee seen there).

//go:noinline
func sumDirect(xs []*s0) (sum float64) {
	for _, x := range xs {
		sum += x.Area()
	}
	return sum
}

//go:noinline
func sumMono(xs []Shape) (sum float64) {
	for _, x := range xs {
		sum += x.Area()
	}
	return sum
}

//go:noinline
func sumPoly(xs []Shape) (sum float64) {
	for _, x := range xs {
		sum += x.Area()
	}
	return sum
}

//go:noinline
func sumMega(xs []Shape) (sum float64) {
	for _, x := range xs {
		sum += x.Area()
	}
	return sum
}
