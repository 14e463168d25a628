package shapes

import "sync/atomic"

// order is a record with a fixed shape: every field has a static offset.
type order struct {
	ID     int64
	Name   string
	Price  float64
	Qty    int64
	Active bool
}

// newOrders returns n records as structs.
func newOrders(n int) []order {
	out := make([]order, n)
	for i := range out {
		out[i] = order{ID: int64(i), Name: "item", Price: float64(i%100) + 0.25, Qty: int64(i % 5), Active: i%3 != 0}
	}
	return out
}

// newRecords returns the same n records as map[string]any, the shape JSON decoding into any gives.
func newRecords(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i, o := range newOrders(n) {
		out[i] = map[string]any{"id": o.ID, "name": o.Name, "price": o.Price, "qty": o.Qty, "active": o.Active}
	}
	return out
}

// totalStruct sums price*qty of the active records.
func totalStruct(os []order) (sum float64) {
	for i := range os {
		if os[i].Active {
			sum += os[i].Price * float64(os[i].Qty)
		}
	}
	return sum
}

// totalMap is totalStruct over map records: a hash lookup and a type assertion per field.
func totalMap(rs []map[string]any) (sum float64) {
	for _, r := range rs {
		if r["active"].(bool) {
			sum += r["price"].(float64) * float64(r["qty"].(int64))
		}
	}
	return sum
}

// padded declares its fields in an order that leaves 7 bytes of padding after each bool: 40 bytes.
type padded struct {
	A bool
	B int64
	C bool
	D int64
	E bool
	F int32
}

// packed holds the same fields largest first: 24 bytes.
type packed struct {
	B int64
	D int64
	F int32
	A bool
	C bool
	E bool
}

func sumPadded(xs []padded) (n int64) {
	for i := range xs {
		if xs[i].A {
			n += xs[i].B + xs[i].D + int64(xs[i].F)
		}
	}
	return n
}

func sumPacked(xs []packed) (n int64) {
	for i := range xs {
		if xs[i].A {
			n += xs[i].B + xs[i].D + int64(xs[i].F)
		}
	}
	return n
}

// shared puts two counters in one cache line: a write by one core invalidates the other's copy.
type shared struct {
	a atomic.Int64
	b atomic.Int64
}

// apart separates the two counters by 128 bytes: a cache line (64 bytes on x86-64 and most arm64) plus
// the adjacent line that x86 spatial prefetchers pull in pairs.
type apart struct {
	a atomic.Int64
	_ [120]byte
	b atomic.Int64
}
