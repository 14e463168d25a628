package profiling

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testProfile returns a gzipped heap profile for [start, start+d).
func testProfile(t *testing.T, start time.Time, d time.Duration, alloc int64) Profile {
	t.Helper()
	p := heapProfile(alloc, alloc*10, 1, 10)
	p.TimeNanos, p.DurationNanos = start.UnixNano(), d.Nanoseconds()
	b, err := encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return Profile{Kind: KindHeap, Start: start, End: start.Add(d), Data: b, Source: "window"}
}

func openTestStore(t *testing.T, dir string, cfg StoreConfig) *Store {
	t.Helper()
	cfg.Dir = dir
	s, err := OpenStore(cfg)
	if err != nil {
		t.Fatalf("OpenStore(%q) = %v, want nil", dir, err)
	}
	return s
}

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestStorePutListMergeAndRebuild(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir, StoreConfig{MaxAge: -1})
	for i := range 3 {
		if _, err := s.Put(t.Context(), testProfile(t, base.Add(time.Duration(i)*time.Minute), time.Minute, 10)); err != nil {
			t.Fatalf("Put(#%d) = %v, want nil", i, err)
		}
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     int
	}{
		{"all", time.Time{}, time.Time{}, 3},
		{"middle minute", base.Add(time.Minute), base.Add(2 * time.Minute), 1},
		{"overlap two", base.Add(30 * time.Second), base.Add(90 * time.Second), 2},
		{"before", base.Add(-time.Hour), base, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(s.List(KindHeap, tt.from, tt.to)); got != tt.want {
				t.Errorf("List(heap, %v, %v) = %d entries, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
	m, used, err := s.Merge(KindHeap, time.Time{}, time.Time{})
	if err != nil || len(used) != 3 {
		t.Fatalf("Merge() = %d entries, %v; want 3, nil", len(used), err)
	}
	if got := m.Sample[0].Value[0]; got != 30 {
		t.Errorf("Merge() alloc_objects = %d, want 30", got)
	}
	// The index is a cache: remove it and reopen.
	os.Remove(filepath.Join(dir, indexFile))
	s2 := openTestStore(t, dir, StoreConfig{MaxAge: -1})
	if got := len(s2.List("", time.Time{}, time.Time{})); got != 3 {
		t.Errorf("reopened List() = %d, want 3", got)
	}
	if _, err := os.Stat(filepath.Join(dir, indexFile)); err != nil {
		t.Errorf("index not rebuilt: %v", err)
	}
}

func TestStoreRetention(t *testing.T) {
	t.Run("by age", func(t *testing.T) {
		clk := newFakeClock(base.Add(3 * time.Hour))
		s := openTestStore(t, t.TempDir(), StoreConfig{MaxAge: time.Hour, clock: clk})
		s.Put(t.Context(), testProfile(t, base, time.Minute, 1))                      // expired
		s.Put(t.Context(), testProfile(t, base.Add(150*time.Minute), time.Minute, 1)) // kept
		if got := len(s.List("", time.Time{}, time.Time{})); got != 1 {
			t.Errorf("List() after age retention = %d, want 1", got)
		}
	})
	t.Run("by bytes", func(t *testing.T) {
		dir := t.TempDir()
		one := testProfile(t, base, time.Minute, 1)
		s := openTestStore(t, dir, StoreConfig{MaxAge: -1, MaxBytes: int64(len(one.Data))*3 + 1})
		for i := range 5 {
			s.Put(t.Context(), testProfile(t, base.Add(time.Duration(i)*time.Minute), time.Minute, 1))
		}
		es := s.List("", time.Time{}, time.Time{})
		if len(es) != 3 || !es[0].Start.Equal(base.Add(2*time.Minute)) {
			t.Errorf("List() after byte retention = %d entries from %v, want 3 from %v", len(es), es[0].Start, base.Add(2*time.Minute))
		}
		files, _ := filepath.Glob(filepath.Join(dir, "heap", "*"+extPprof))
		if len(files) != 3 {
			t.Errorf("files on disk = %d, want 3", len(files))
		}
	})
}

func TestStoreFullDisk(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir, StoreConfig{MaxAge: -1})
	if _, err := s.Put(t.Context(), testProfile(t, base, time.Minute, 1)); err != nil {
		t.Fatal(err)
	}
	orig := writeData
	writeData = func(f *os.File, b []byte) (int, error) {
		n, _ := f.Write(b[:len(b)/2])
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	defer func() { writeData = orig }()
	_, err := s.Put(t.Context(), testProfile(t, base.Add(time.Minute), time.Minute, 1))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Put() on a full disk = %v, want ENOSPC", err)
	}
	writeData = orig
	left, _ := filepath.Glob(filepath.Join(dir, "heap", "*"))
	if len(left) != 1 || strings.Contains(left[0], tmpPrefix) {
		t.Errorf("files after failed Put = %v, want only the first profile", left)
	}
	if _, _, err := s.Merge(KindHeap, time.Time{}, time.Time{}); err != nil {
		t.Errorf("Merge() after a failed Put = %v, want nil", err)
	}
	if _, err := s.Put(t.Context(), testProfile(t, base.Add(time.Minute), time.Minute, 1)); err != nil {
		t.Errorf("Put() after space came back = %v, want nil", err)
	}
}

func TestStoreRemovedDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s := openTestStore(t, dir, StoreConfig{MaxAge: -1})
	s.Put(t.Context(), testProfile(t, base, time.Minute, 1))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Merge(KindHeap, time.Time{}, time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Merge() with the directory gone = %v, want ErrNotFound", err)
	}
	if got := len(s.List("", time.Time{}, time.Time{})); got != 0 {
		t.Errorf("List() after the vanished file was read = %d, want 0", got)
	}
	if _, err := s.Put(t.Context(), testProfile(t, base.Add(time.Minute), time.Minute, 1)); err != nil {
		t.Errorf("Put() after the directory was removed = %v, want nil (recreated)", err)
	}
	if err := s.Send(t.Context(), &Batch{}); err != nil {
		t.Errorf("Send() index rewrite = %v, want nil", err)
	}
}

// TestStoreHalfWrittenFiles: what kill -9 leaves behind — a temporary file, and a truncated profile under
// a final name (a copy cut short) — is cleaned up or refused, never served.
func TestStoreHalfWrittenFiles(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir, StoreConfig{MaxAge: -1})
	good := testProfile(t, base, time.Minute, 7)
	if _, err := s.Put(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	bad := testProfile(t, base.Add(time.Minute), time.Minute, 1)
	name := filepath.Join(dir, filepath.FromSlash(entryName(KindHeap, bad.Start, bad.End, "window", "local")))
	os.WriteFile(name, bad.Data[:len(bad.Data)/2], 0o644)
	tmp := filepath.Join(dir, "heap", tmpPrefix+"123")
	os.WriteFile(tmp, bad.Data[:10], 0o644)
	os.WriteFile(filepath.Join(dir, indexFile), []byte(`{"version":1,"entr`), 0o644) // torn index

	s2 := openTestStore(t, dir, StoreConfig{MaxAge: -1})
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file after reopen: %v, want removed", err)
	}
	es := s2.List(KindHeap, time.Time{}, time.Time{})
	if len(es) != 2 {
		t.Fatalf("List() = %d, want 2 (good and truncated)", len(es))
	}
	if _, err := s2.Read(es[1]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Read(truncated) = %v, want ErrCorrupt", err)
	}
	m, used, err := s2.Merge(KindHeap, time.Time{}, time.Time{})
	if err != nil || len(used) != 1 || m.Sample[0].Value[0] != 7 {
		t.Errorf("Merge() = %v entries, %v; want only the good profile", used, err)
	}
	if _, err := os.Stat(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("corrupt file kept: %v, want removed", err)
	}
}

func TestStoreRejects(t *testing.T) {
	s := openTestStore(t, t.TempDir(), StoreConfig{})
	tests := []struct {
		name string
		p    Profile
		want error
	}{
		{"unknown kind", Profile{Kind: "x", Data: []byte{1}}, ErrBadRequest},
		{"empty data", Profile{Kind: KindHeap}, ErrInvalidConfig},
		{"end before start", Profile{Kind: KindHeap, Start: base, End: base.Add(-1), Data: []byte{1}}, ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Put(t.Context(), tt.p); !errors.Is(err, tt.want) {
				t.Errorf("Put(%s) = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
	if _, err := OpenStore(StoreConfig{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("OpenStore(no dir) = %v, want ErrInvalidConfig", err)
	}
}

func TestStoreCaptureMetaAndTrace(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir, StoreConfig{MaxAge: -1})
	e, err := s.Put(t.Context(), Profile{Kind: KindTrace, Start: base, End: base.Add(5 * time.Second), Data: []byte("go 1.26 trace\x00"),
		Source: "Rule: sched-latency", Meta: map[string]string{"rule": "sched-latency", "p99": "12ms"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Source != "rule--sched-latency" {
		t.Errorf("Entry.Source = %q, want %q", e.Source, "rule--sched-latency")
	}
	s2 := openTestStore(t, dir, StoreConfig{MaxAge: -1})
	es := s2.List(KindTrace, time.Time{}, time.Time{})
	if len(es) != 1 || es[0].Meta["p99"] != "12ms" {
		t.Fatalf("List(trace) after reopen = %+v, want one entry with meta", es)
	}
	b, err := s2.Read(es[0])
	if err != nil || string(b) != "go 1.26 trace\x00" {
		t.Errorf("Read(trace) = %q, %v", b, err)
	}
	if _, _, err := s2.Merge(KindTrace, time.Time{}, time.Time{}); !errors.Is(err, ErrBadRequest) {
		t.Errorf("Merge(trace) = %v, want ErrBadRequest", err)
	}
}
