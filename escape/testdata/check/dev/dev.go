// Package dev holds devirt directives in passing and failing forms.
package dev

// Shape has an area.
type Shape interface{ Area() float64 }

// Square is a Shape.
type Square struct{ S float64 }

// Area implements Shape.
func (s Square) Area() float64 { return s.S * s.S }

// Static calls through an interface whose concrete type the compiler can see.
func Static() float64 {
	var s Shape = Square{S: 2}
	return s.Area() //hotpath:devirt
}

// Dynamic calls through an interface it is handed.
func Dynamic(s Shape) float64 {
	return s.Area() //hotpath:devirt
}
