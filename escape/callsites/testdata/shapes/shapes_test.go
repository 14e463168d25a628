package shapes

import "testing"

var sink float64

// TestHot runs each loop a fixed number of times so that a CPU profile of it has samples at every site.
func TestHot(t *testing.T) {
	mono, poly, mega := Mixes(4096)
	xs := make([]float64, 4096)
	for range 2000 {
		sink += SumMono(mono)
		for range 2 {
			sink += SumPoly(poly)
		}
		for range 4 {
			sink += SumMega(mega)
		}
		sink += Apply(Double, xs)
	}
	if sink == 0 {
		t.Fatal("no work done")
	}
}
