package profiling

import (
	"bytes"
	"net/url"
	"testing"
	"time"
)

// FuzzParseRange: any query string gives a range or an error wrapping ErrBadRequest, never a panic.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"from=-1h&to=now", "from=2026-01-02T10:00:00Z", "from=1767348000", "from=-", "to=--1h", "from=9999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		from, to, err := parseRange(q, "from", "to", now)
		if err == nil && !from.IsZero() && !to.IsZero() && from.After(to) {
			t.Errorf("parseRange(%q) = %v..%v, want from <= to", raw, from, to)
		}
	})
}

// FuzzParseEntryName: names found in a store directory round-trip or are ignored.
func FuzzParseEntryName(f *testing.F) {
	for _, s := range []string{"1767348000000_1767348060000_window_host-1.pb.gz", "1_2_x_y.pb.gz", "_1_.pb.gz", "2_1_w_i.pb.gz", "1_2_w_i.trace"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		e, ok := parseEntryName(KindHeap, name)
		if !ok {
			return
		}
		if e.End.Before(e.Start) {
			t.Errorf("parseEntryName(%q) end %v before start %v", name, e.End, e.Start)
		}
		if got := entryName(KindHeap, e.Start, e.End, e.Source, e.Instance); got != e.Name {
			t.Errorf("entryName(parseEntryName(%q)) = %q, want %q", name, got, e.Name)
		}
	})
}

// FuzzStoreRead: whatever bytes sit in a stored file, Read serves a valid profile or ErrCorrupt.
func FuzzStoreRead(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Add([]byte("not a profile"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := OpenStore(StoreConfig{Dir: t.TempDir(), MaxAge: -1})
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.Put(t.Context(), Profile{Kind: KindHeap, Start: base, End: base.Add(time.Minute), Data: append([]byte{0}, data...)})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Read(e)
		if err == nil && !bytes.Equal(b[1:], data) {
			t.Errorf("Read() = %q, want %q", b, data)
		}
		s.Merge(KindHeap, time.Time{}, time.Time{})
	})
}
