// Package shapes has three hot interface call sites, one monomorphic, one polymorphic and one
// megamorphic, and a hot call through a function value.
package shapes

// Shape is called through an interface in every loop below.
type Shape interface{ Area() float64 }

type (
	Sq   struct{ s float64 }
	Circ struct{ r float64 }
	Rect struct{ w, h float64 }
	Tri  struct{ b, h float64 }
	Hex  struct{ s float64 }
	Oct  struct{ s float64 }
)

// Each Area iterates a little, so that a CPU profile lands in the callees rather than in the loops that
// call them; every body stays small enough to inline, which PGO devirtualisation requires.
func (q *Sq) Area() float64   { return iterate(q.s * q.s) }
func (c *Circ) Area() float64 { return iterate(3.14159 * c.r * c.r) }
func (r *Rect) Area() float64 { return iterate(r.w * r.h) }
func (t *Tri) Area() float64  { return iterate(t.b * t.h / 2) }
func (h *Hex) Area() float64  { return iterate(2.598 * h.s * h.s) }
func (o *Oct) Area() float64  { return iterate(4.828 * o.s * o.s) }

func iterate(x float64) float64 {
	a := x
	for range 16 {
		a = a*0.5 + x
	}
	return a
}

// SumMono sees one concrete type.
func SumMono(shapes []Shape) float64 {
	var t float64
	for _, s := range shapes {
		t += s.Area()
	}
	return t
}

// SumPoly sees two concrete types, one of them hot.
func SumPoly(shapes []Shape) float64 {
	var t float64
	for _, s := range shapes {
		t += s.Area()
	}
	return t
}

// SumMega sees six concrete types.
func SumMega(shapes []Shape) float64 {
	var t float64
	for _, s := range shapes {
		t += s.Area()
	}
	return t
}

// Apply calls a function value.
func Apply(f func(float64) float64, xs []float64) float64 {
	var t float64
	for _, x := range xs {
		t += f(x)
	}
	return t
}

// Double is the function Apply is called with.
func Double(x float64) float64 { return iterate(2 * x) }

// Mixes returns the three inputs: mono (only *Sq), poly (2 *Sq : 1 *Circ) and mega (six types, skewed
// so that *Rect is the hottest: 3 *Rect : 2 *Sq : 2 *Circ : 1 *Tri : 1 *Hex : 1 *Oct).
func Mixes(n int) (mono, poly, mega []Shape) {
	megaTypes := []func() Shape{
		func() Shape { return &Rect{2, 3} }, func() Shape { return &Rect{2, 3} }, func() Shape { return &Rect{2, 3} },
		func() Shape { return &Sq{2} }, func() Shape { return &Sq{2} },
		func() Shape { return &Circ{1} }, func() Shape { return &Circ{1} },
		func() Shape { return &Tri{2, 3} }, func() Shape { return &Hex{1} }, func() Shape { return &Oct{1} },
	}
	for i := range n {
		mono = append(mono, &Sq{float64(i % 7)})
		if i%3 == 0 {
			poly = append(poly, &Circ{1})
		} else {
			poly = append(poly, &Sq{2})
		}
		mega = append(mega, megaTypes[i%len(megaTypes)]())
	}
	return mono, poly, mega
}
