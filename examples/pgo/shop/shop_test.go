package shop

import "testing"

func TestTotal(t *testing.T) {
	list := ListPrice{Table: []int64{100, 200}}
	tests := []struct {
		name string
		p    Pricer
		cart []Line
		want int64
	}{
		{"empty", list, nil, 0},
		{"no tax", list, []Line{{SKU: 1, Qty: 2, Region: 0}}, 400},
		{"5% tax rounds", list, []Line{{SKU: 0, Qty: 1, Region: 1}, {SKU: 1, Qty: 3, Region: 11}}, 105 + 630},
		{"promo", Promo{Base: list, Percent: 15}, []Line{{SKU: 0, Qty: 1, Region: 0}}, 85},
	}
	for _, tt := range tests {
		if got := Total(tt.p, tt.cart); got != tt.want {
			t.Errorf("Total(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// BenchmarkTotal prices 256 carts of 64 lines, 95% with ListPrice: the mix the server runs. Besides
// wall time per op it reports the process's CPU time per op (cpu-ns/op), which a busy machine
// disturbs less.
func BenchmarkTotal(b *testing.B) {
	carts, pricers := Carts(256, 64)
	b.ReportAllocs()
	var sink int64
	cpu0 := processCPU()
	for b.Loop() {
		for i, c := range carts {
			sink += Total(pricers[i], c)
		}
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
	if sink == 0 {
		b.Fatal("no work")
	}
}
