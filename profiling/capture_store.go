package profiling

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// dirStore is the built-in CaptureStore: one directory per capture holding
// its files and capture.json. A capture appears whole or not at all: it is
// written into a hidden temporary directory, every file synced, then renamed.
// At most max captures are kept; the oldest are removed.
type dirStore struct {
	dir string
	max int
}

const captureMeta = "capture.json"

func (s *dirStore) SaveCapture(ctx context.Context, c Capture, files map[string][]byte) error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("profiling: save capture %q: %w", c.ID, err)
	}
	tmp, err := os.MkdirTemp(s.dir, ".tmp-")
	if err != nil {
		return fmt.Errorf("profiling: save capture %q: %w", c.ID, err)
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	meta, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("profiling: save capture %q: %w", c.ID, err)
	}
	names := append(slices.Sorted(maps.Keys(files)), captureMeta)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("profiling: save capture %q: %w", c.ID, err)
		}
		b, ok := files[name]
		if !ok {
			b = meta
		}
		if err := writeSynced(filepath.Join(tmp, name), b); err != nil {
			return fmt.Errorf("profiling: save capture %q: %w", c.ID, err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, c.ID)); err != nil {
		return fmt.Errorf("profiling: save capture %q: %w", c.ID, err)
	}
	s.prune()
	return nil
}

func writeSynced(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// prune removes the oldest captures beyond max. IDs start with a UTC
// timestamp, so name order is age order.
func (s *dirStore) prune() {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	var ids []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	slices.Sort(ids)
	for len(ids) > s.max {
		os.RemoveAll(filepath.Join(s.dir, ids[0]))
		ids = ids[1:]
	}
}
