package rpc

import (
	"fmt"

	"github.com/hotpath-dev/hotpath/benchmarks/rpc/orderpb"
)

// order and item are the REST side's plain Go types, the same fields as orderpb.Order.
type order struct {
	ID       int64  `json:"id"`
	Customer string `json:"customer"`
	Items    []item `json:"items"`
	Paid     bool   `json:"paid"`
}

type item struct {
	SKU   string  `json:"sku"`
	Qty   int64   `json:"qty"`
	Price float64 `json:"price"`
}

// bytesPerItem is roughly one item's JSON size, so an order built for a size from the shared table
// encodes to about that size in JSON.
const bytesPerItem = 48

// newOrder builds an order of about size bytes of JSON, as both types holding the same data.
func newOrder(size int) (*order, *orderpb.Order) {
	n := max(1, size/bytesPerItem)
	o := &order{ID: 42, Customer: "customer-0042", Paid: true, Items: make([]item, n)}
	p := &orderpb.Order{Id: 42, Customer: "customer-0042", Paid: true, Items: make([]*orderpb.Item, n)}
	for i := range n {
		it := item{SKU: fmt.Sprintf("SKU-%06d", i), Qty: int64(i%9 + 1), Price: float64(i%500) + 0.99}
		o.Items[i] = it
		p.Items[i] = &orderpb.Item{Sku: it.SKU, Qty: it.Qty, Price: it.Price}
	}
	return o, p
}
