// Package layoutprof allocates structs and map records so that hotpath layout -profile has a real heap
// profile to rank.
package layoutprof

// Event is allocated in a loop: 24-byte objects that would be 16 bytes reordered.
type Event struct {
	ok   bool
	at   int64
	kind bool
}

// Rare has the same layout problem but is allocated once.
type Rare struct {
	ok   bool
	at   int64
	kind bool
}

var (
	events  []*Event
	records []map[string]any
	rare    *Rare
)

// Alloc allocates n events and n map records, and one Rare.
func Alloc(n int) {
	events = make([]*Event, 0, n)
	records = make([]map[string]any, 0, n)
	for i := range n {
		events = append(events, &Event{at: int64(i)})
		records = append(records, map[string]any{"id": i, "name": "event"})
	}
	rare = &Rare{}
}
