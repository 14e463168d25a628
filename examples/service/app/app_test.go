package app

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPriceOrder(t *testing.T) {
	tests := []struct {
		name      string
		order     Order
		total     int64
		discount  int64
		wantError error
	}{
		{"small", Order{Customer: "a", Items: []Item{{SKU: "x", Quantity: 2, Cents: 150}}}, 300, 0, nil},
		{"volume discount", Order{Customer: "a", Items: []Item{{SKU: "x", Quantity: 10, Cents: 100}}}, 950, 50, nil},
		{"empty", Order{Customer: "a"}, 0, 0, ErrEmptyOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := PriceOrder(tt.order)
			if !errors.Is(err, tt.wantError) || q.Total != tt.total || q.Discount != tt.discount {
				t.Errorf("PriceOrder(%+v) = %+v, %v; want total %d discount %d, %v", tt.order, q, err, tt.total, tt.discount, tt.wantError)
			}
			if err == nil && len(q.Receipt) != 16 {
				t.Errorf("PriceOrder(%+v).Receipt = %q, want 16 hex digits", tt.order, q.Receipt)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	h := New().Handler()
	tests := []struct {
		method, path, body string
		code               int
		says               string
	}{
		{"POST", "/v1/orders", `{"customer":"c","items":[{"sku":"s","quantity":1,"cents":5}]}`, 200, `"id":1`},
		{"GET", "/v1/orders/1", "", 200, `"total_cents":5`},
		{"GET", "/v1/orders/9", "", 404, ""},
		{"GET", "/v1/orders/x", "", 400, "bad id"},
		{"POST", "/v1/orders", `{`, 400, "decode order"},
		{"POST", "/v1/orders", `{"items":[{"quantity":-1}]}`, 422, "bad quantity"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
		if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.says) {
			t.Errorf("%s %s = %d %q, want %d containing %q", tt.method, tt.path, rec.Code, rec.Body, tt.code, tt.says)
		}
	}
	_ = http.StatusOK
}

func BenchmarkPriceOrder(b *testing.B) {
	o := Order{Customer: "ada", Items: []Item{{SKU: "a", Quantity: 12, Cents: 150}, {SKU: "b", Quantity: 1, Cents: 999}}}
	b.ReportAllocs()
	for b.Loop() {
		PriceOrder(o)
	}
}
