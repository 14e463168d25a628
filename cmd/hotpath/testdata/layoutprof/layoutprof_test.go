package layoutprof

import "testing"

func TestAlloc(t *testing.T) {
	Alloc(20000)
	if len(events) != 20000 || len(records) != 20000 || rare == nil {
		t.Fatalf("Alloc(20000) made %d events, %d records", len(events), len(records))
	}
}
