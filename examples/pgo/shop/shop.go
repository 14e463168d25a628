// Package shop is the workload of the PGO example: a cart total whose hot call goes through an
// interface. Without a profile the compiler cannot know which Pricer the call reaches; with one it
// devirtualises the call to the dominant ListPrice.Price, inlines it, and inlines tax, whose body is
// over the normal inlining budget but on a hot path.
package shop

// Line is one line of a cart.
type Line struct {
	SKU    uint32
	Qty    int32
	Region uint8
}

// Pricer prices one line.
type Pricer interface {
	Price(l Line) int64
}

// ListPrice prices from a table; nearly every cart uses it.
type ListPrice struct{ Table []int64 }

// Price returns the table price of l's SKU times its quantity.
func (p ListPrice) Price(l Line) int64 { return p.Table[l.SKU%uint32(len(p.Table))] * int64(l.Qty) }

// Promo takes a percentage off another Pricer; few carts use it.
type Promo struct {
	Base    Pricer
	Percent int64
}

// Price returns the base price less the promotion.
func (p Promo) Price(l Line) int64 { return p.Base.Price(l) * (100 - p.Percent) / 100 }

// Total returns the taxed total of cart priced by p. The call p.Price is the hot interface call.
func Total(p Pricer, cart []Line) int64 {
	var t int64
	for _, l := range cart {
		t += tax(p.Price(l), l.Region)
	}
	return t
}

// tax adds the region's sales tax, rounded to the cent. Its cost is over the compiler's inlining budget
// of 80, so only a profile that shows the call hot gets it inlined.
func tax(amount int64, region uint8) int64 {
	var permille int64
	switch region % 10 {
	case 0:
		permille = 0
	case 1:
		permille = 50
	case 2:
		permille = 70
	case 3:
		permille = 85
	case 4:
		permille = 100
	case 5:
		permille = 190
	case 6:
		permille = 200
	case 7:
		permille = 210
	case 8:
		permille = 230
	default:
		permille = 250
	}
	t := amount * permille
	if r := t % 1000; r >= 500 {
		t += 1000 - r
	} else {
		t -= r
	}
	return amount + t/1000
}

// Carts returns n deterministic carts of size lines each, and the pricer of each: ListPrice for all
// but one in twenty, which get a Promo over it.
func Carts(n, size int) ([][]Line, []Pricer) {
	table := make([]int64, 1024)
	for i := range table {
		table[i] = int64(100 + i*7%900)
	}
	list := ListPrice{Table: table}
	carts := make([][]Line, n)
	pricers := make([]Pricer, n)
	x := uint32(2463534242)
	for i := range carts {
		carts[i] = make([]Line, size)
		for j := range carts[i] {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			carts[i][j] = Line{SKU: x, Qty: int32(1 + x%5), Region: uint8(x >> 8)}
		}
		pricers[i] = list
		if i%20 == 19 {
			pricers[i] = Promo{Base: list, Percent: 15}
		}
	}
	return carts, pricers
}
