// Package app is the example service's business logic: a small JSON order-pricing API whose CPU time
// goes where a real service's does (decoding, hashing, encoding). The example service and the overhead
// benchmark both serve it.
package app

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// Item is one order line.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Cents    int64  `json:"cents"`
}

// Order is the request body of POST /v1/orders.
type Order struct {
	Customer string `json:"customer"`
	Items    []Item `json:"items"`
}

// Quote is the response: the priced order and a receipt hash.
type Quote struct {
	ID       int64  `json:"id"`
	Customer string `json:"customer"`
	Total    int64  `json:"total_cents"`
	Discount int64  `json:"discount_cents"`
	Receipt  string `json:"receipt"`
}

// Service holds the quotes it priced. It is safe for concurrent use.
type Service struct {
	mu     sync.Mutex
	quotes map[int64]Quote
	next   int64
}

// maxQuotes bounds the quotes kept in memory; older ones are forgotten.
const maxQuotes = 10_000

// New returns an empty Service.
func New() *Service { return &Service{quotes: map[int64]Quote{}} }

// Handler serves POST /v1/orders, GET /v1/orders/{id} and GET /healthz.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/orders", s.create)
	mux.HandleFunc("GET /v1/orders/{id}", s.get)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	return mux
}

func (s *Service) create(w http.ResponseWriter, r *http.Request) {
	var o Order
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(&o); err != nil {
		http.Error(w, "app: decode order: "+err.Error(), http.StatusBadRequest)
		return
	}
	q, err := PriceOrder(o)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	s.mu.Lock()
	s.next++
	q.ID = s.next
	if len(s.quotes) >= maxQuotes {
		delete(s.quotes, q.ID-maxQuotes)
	}
	s.quotes[q.ID] = q
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(q)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "app: bad id", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	q, ok := s.quotes[id]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(q)
}

// ErrEmptyOrder reports an order without items.
var ErrEmptyOrder = errors.New("app: price order: no items")

// PriceOrder totals an order, applies volume discounts and signs a receipt. The receipt is a chain of
// SHA-256 rounds (a stand-in for the signing and checksumming real services do), so this function is
// where the example's CPU profile is hot.
func PriceOrder(o Order) (Quote, error) {
	if len(o.Items) == 0 {
		return Quote{}, ErrEmptyOrder
	}
	var total, units int64
	for _, it := range o.Items {
		if it.Quantity <= 0 || it.Cents < 0 {
			return Quote{}, fmt.Errorf("app: price order: item %q: bad quantity or price", it.SKU)
		}
		total += int64(it.Quantity) * it.Cents
		units += int64(it.Quantity)
	}
	var discount int64
	if units >= 10 {
		discount = total / 20
	}
	return Quote{Customer: o.Customer, Total: total - discount, Discount: discount, Receipt: receipt(o, total-discount)}, nil
}

// receiptRounds is the number of hash rounds per receipt: about 20 µs of CPU per order.
const receiptRounds = 64

func receipt(o Order, total int64) string {
	h := sha256.New()
	h.Write([]byte(o.Customer))
	for _, it := range o.Items {
		h.Write([]byte(it.SKU))
	}
	var sum [32]byte
	h.Sum(sum[:0])
	for range receiptRounds {
		var b [40]byte
		copy(b[:], sum[:])
		binary.LittleEndian.PutUint64(b[32:], uint64(total))
		sum = sha256.Sum256(b[:])
	}
	return fmt.Sprintf("%x", sum[:8])
}
