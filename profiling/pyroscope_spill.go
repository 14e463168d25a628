package profiling

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// errSpillFull reports a window larger than the whole spill directory's budget.
var errSpillFull = errors.New("window larger than the spill budget")

// spillDir keeps windows a Pyroscope sink could not deliver, one file each, named so that names sort
// oldest first: "<spill time, ns, 20 digits>-<sequence, 8 digits>.spill". A file holds one line of
// JSON (the pushWindow's kind, start, end and labels), a newline, then the pprof bytes. Files are
// written to a ".tmp" name, synced and renamed, so a crash leaves either a whole file or a ".tmp"
// that the next open removes. The directory's total size stays within max; the oldest files are
// removed to make room. Safe for concurrent use.
type spillDir struct {
	dir string
	max int64

	mu    sync.Mutex
	files []spillFile // oldest first
	total int64
	seq   uint64
}

type spillFile struct {
	name string
	size int64
}

const spillExt = ".spill"

func openSpillDir(dir string, maxBytes int64) (*spillDir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("profiling: pyroscope: spill dir %q: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("profiling: pyroscope: spill dir %q: %w", dir, err)
	}
	s := &spillDir{dir: dir, max: maxBytes}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".tmp"):
			os.Remove(filepath.Join(dir, name)) // half-written before a crash
		case strings.HasSuffix(name, spillExt) && e.Type().IsRegular():
			if info, err := e.Info(); err == nil {
				s.files = append(s.files, spillFile{name, info.Size()})
				s.total += info.Size()
			}
		}
	}
	slices.SortFunc(s.files, func(a, b spillFile) int { return strings.Compare(a.name, b.name) })
	return s, nil
}

// put writes w to a new file, removing the oldest files if the budget requires.
func (s *spillDir) put(w pushWindow) error {
	meta, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("profiling: pyroscope: spill %s: %w", w.Kind, err)
	}
	size := int64(len(meta) + 1 + len(w.Data))
	if size > s.max {
		return fmt.Errorf("profiling: pyroscope: spill %s (%d bytes): %w", w.Kind, size, errSpillFull)
	}
	s.mu.Lock()
	s.seq++
	name := fmt.Sprintf("%020d-%08d%s", time.Now().UnixNano(), s.seq%1e8, spillExt)
	for s.total+size > s.max && len(s.files) > 0 {
		s.removeLocked(s.files[0].name)
	}
	s.mu.Unlock()

	if err := writeFileAtomic(filepath.Join(s.dir, name), meta, w.Data); err != nil {
		return fmt.Errorf("profiling: pyroscope: spill %s: %w", w.Kind, err)
	}
	s.mu.Lock()
	s.files = append(s.files, spillFile{name, size})
	s.total += size
	s.mu.Unlock()
	return nil
}

func writeFileAtomic(path string, meta, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(append(append(meta, '\n'), data...))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// oldest reads the oldest spilled window. Files that cannot be read or decoded are removed.
func (s *spillDir) oldest() (pushWindow, bool) {
	for {
		s.mu.Lock()
		if len(s.files) == 0 {
			s.mu.Unlock()
			return pushWindow{}, false
		}
		name := s.files[0].name
		s.mu.Unlock()
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if err == nil {
			if w, err := decodeSpill(data); err == nil {
				w.spillName = name
				return w, true
			}
		}
		s.remove(name)
	}
}

// decodeSpill parses one spill file.
func decodeSpill(data []byte) (pushWindow, error) {
	meta, rest, ok := bytes.Cut(data, []byte{'\n'})
	var w pushWindow
	if !ok {
		return w, fmt.Errorf("profiling: pyroscope: spill file: no header line: %w", ErrCorrupt)
	}
	if err := json.Unmarshal(meta, &w); err != nil {
		return w, fmt.Errorf("profiling: pyroscope: spill file header: %w", err)
	}
	if w.Kind == "" || w.Start.IsZero() {
		return w, fmt.Errorf("profiling: pyroscope: spill file header: kind or start missing: %w", ErrCorrupt)
	}
	w.Data = rest
	return w, nil
}

func (s *spillDir) remove(name string) {
	s.mu.Lock()
	s.removeLocked(name)
	s.mu.Unlock()
}

func (s *spillDir) removeLocked(name string) {
	i := slices.IndexFunc(s.files, func(f spillFile) bool { return f.name == name })
	if i < 0 {
		return
	}
	s.total -= s.files[i].size
	s.files = slices.Delete(s.files, i, i+1)
	os.Remove(filepath.Join(s.dir, name)) // already gone is fine; a failure leaves a file the next open counts
}

// len reports how many windows are spilled.
func (s *spillDir) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.files)
}
