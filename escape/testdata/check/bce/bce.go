// Package bce holds nobce directives in passing and failing forms.
package bce

// Hinted removes the checks on its return line with an early check.
func Hinted(s []int) int {
	_ = s[3]
	return s[0] + s[1] + s[2] + s[3] //hotpath:nobce
}

// Unhinted leaves the checks.
func Unhinted(s []int) int {
	return s[0] + s[1] + s[2] + s[3] //hotpath:nobce
}

// Loop is proven in bounds.
//
//hotpath:nobce
func Loop(s []int) {
	for i := range s {
		s[i]++
	}
}
