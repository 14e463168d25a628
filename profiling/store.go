package profiling

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"
)

// Entry describes one stored file.
type Entry struct {
	Kind   Kind      `json:"kind"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Source string    `json:"source"` // "window", or the capture's source token
	// Instance is the writing process (Config.Instance), so processes sharing a directory never
	// overwrite each other's windows.
	Instance string            `json:"instance"`
	Size     int64             `json:"size"` // bytes on disk
	Name     string            `json:"name"` // path relative to the store directory, slash-separated
	Meta     map[string]string `json:"meta,omitempty"`
}

// StoreConfig configures a Store.
type StoreConfig struct {
	// Dir is the store's directory; it is created if missing.
	Dir string
	// MaxAge removes files whose window ended longer ago. Default DefaultMaxAge; -1 keeps everything.
	MaxAge time.Duration
	// MaxBytes removes the oldest files while the total size is larger. Default DefaultMaxBytes; -1 means
	// no limit.
	MaxBytes int64
	// ReadOnly opens an existing store without writing to it (no index rewrite, no retention), for tools
	// that read another process's store.
	ReadOnly bool
	// Instance names the writing process in file names. Default "local".
	Instance string

	clock clock
}

// Store is the local profile store: a directory of gzipped pprof files, one per kind per window (see the
// package documentation for the layout). It is safe for concurrent use. A Store is itself a Sink.
type Store struct {
	cfg StoreConfig

	mu      sync.Mutex
	entries []Entry // sorted by Start, then Kind
	bytes   int64
	// dirty is set when the index file no longer matches entries.
	dirty bool
}

// Store file layout constants.
const (
	indexFile   = "index.json"
	versionFile = "VERSION"
	versionText = "hotpath-store 1\n"
	extPprof    = ".pb.gz"
	extTrace    = ".trace"
	extMeta     = ".meta.json"
	tmpPrefix   = ".tmp-"
)

// OpenStore opens (creating if needed) the store in cfg.Dir and builds its index from the files present.
// Half-written temporary files left by a crash are removed.
func OpenStore(cfg StoreConfig) (*Store, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("profiling: open store: %w: empty Dir", ErrInvalidConfig)
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.clock == nil {
		cfg.clock = realClock{}
	}
	if cfg.Instance == "" {
		cfg.Instance = "local"
	}
	cfg.Instance = sanitize(cfg.Instance)
	s := &Store{cfg: cfg}
	if !cfg.ReadOnly {
		if err := s.ensureDir(); err != nil {
			return nil, err
		}
	}
	if err := s.Rebuild(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.cfg.Dir }

func (s *Store) ensureDir() error {
	if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("profiling: open store %q: %w", s.cfg.Dir, err)
	}
	vf := filepath.Join(s.cfg.Dir, versionFile)
	if _, err := os.Stat(vf); errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(vf, []byte(versionText)); err != nil {
			return fmt.Errorf("profiling: open store %q: %w", s.cfg.Dir, err)
		}
	}
	return nil
}

// Rebuild rescans the directory and rewrites the index. The files are the truth; the index is a cache
// for readers outside the process.
func (s *Store) Rebuild() error {
	var entries []Entry
	for _, k := range Kinds {
		dir := filepath.Join(s.cfg.Dir, string(k))
		des, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("profiling: rebuild store %q: %w", s.cfg.Dir, err)
		}
		for _, de := range des {
			name := de.Name()
			if strings.HasPrefix(name, tmpPrefix) {
				if !s.cfg.ReadOnly {
					os.Remove(filepath.Join(dir, name)) // a write cut short by a crash
				}
				continue
			}
			e, ok := parseEntryName(k, name)
			if !ok {
				continue
			}
			info, err := de.Info()
			if err != nil {
				continue
			}
			e.Size = info.Size()
			if b, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(name, extOf(k))+extMeta)); err == nil {
				json.Unmarshal(b, &e.Meta) // unreadable meta is dropped, the profile is kept
			}
			entries = append(entries, e)
		}
	}
	sortEntries(entries)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = entries
	s.bytes = 0
	for _, e := range entries {
		s.bytes += e.Size
	}
	s.dirty = true
	if s.cfg.ReadOnly {
		return nil
	}
	return s.syncLocked()
}

func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name))
	})
}

func extOf(k Kind) string {
	if k.isPprof() {
		return extPprof
	}
	return extTrace
}

// entryName is the file name of a profile: <start unix ms>_<end unix ms>_<source>_<instance><ext>.
func entryName(k Kind, start, end time.Time, source, instance string) string {
	return fmt.Sprintf("%s/%d_%d_%s_%s%s", k, start.UnixMilli(), end.UnixMilli(), sanitize(source), sanitize(instance), extOf(k))
}

// parseEntryName is the inverse of entryName for a file in kind k's directory.
func parseEntryName(k Kind, name string) (Entry, bool) {
	base, ok := strings.CutSuffix(name, extOf(k))
	if !ok {
		return Entry{}, false
	}
	f := strings.Split(base, "_")
	if len(f) != 4 {
		return Entry{}, false
	}
	a, b, src, inst := f[0], f[1], f[2], f[3]
	ms, err1 := strconv.ParseInt(a, 10, 64)
	me, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || me < ms || strconv.FormatInt(ms, 10) != a || strconv.FormatInt(me, 10) != b || sanitize(src) != src || sanitize(inst) != inst {
		return Entry{}, false
	}
	return Entry{Kind: k, Start: time.UnixMilli(ms).UTC(), End: time.UnixMilli(me).UTC(), Source: src, Instance: inst, Name: string(k) + "/" + name}, true
}

// Put writes one profile atomically (temporary file, fsync, rename) and applies retention. A failed
// write (a full disk, a removed directory that cannot be recreated) leaves no partial file and returns an
// error; the store keeps working.
func (s *Store) Put(ctx context.Context, p Profile) (Entry, error) {
	if s.cfg.ReadOnly {
		return Entry{}, fmt.Errorf("profiling: store put %s: %w: store is read-only", p.Kind, ErrInvalidConfig)
	}
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	if _, err := ParseKind(string(p.Kind)); err != nil {
		return Entry{}, fmt.Errorf("profiling: store put: %w", err)
	}
	if p.End.Before(p.Start) || len(p.Data) == 0 {
		return Entry{}, fmt.Errorf("profiling: store put %s: %w: empty data or end before start", p.Kind, ErrInvalidConfig)
	}
	if p.Source == "" {
		p.Source = "window"
	}
	e := Entry{Kind: p.Kind, Start: p.Start.Truncate(time.Millisecond).UTC(), End: p.End.Truncate(time.Millisecond).UTC(),
		Source: sanitize(p.Source), Instance: s.cfg.Instance, Size: int64(len(p.Data)), Meta: p.Meta}
	e.Name = entryName(e.Kind, e.Start, e.End, e.Source, e.Instance)
	path := filepath.Join(s.cfg.Dir, filepath.FromSlash(e.Name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return Entry{}, fmt.Errorf("profiling: store put %s: %w", e.Name, err)
	}
	if len(p.Meta) > 0 {
		mb, _ := json.Marshal(p.Meta)
		if err := writeAtomic(strings.TrimSuffix(path, extOf(e.Kind))+extMeta, mb); err != nil {
			return Entry{}, fmt.Errorf("profiling: store put %s: %w", e.Name, err)
		}
	}
	if err := writeAtomic(path, p.Data); err != nil {
		return Entry{}, fmt.Errorf("profiling: store put %s: %w", e.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = slices.DeleteFunc(s.entries, func(x Entry) bool { return x.Name == e.Name }) // a rewrite of the same window
	i, _ := slices.BinarySearchFunc(s.entries, e, func(a, b Entry) int { return a.Start.Compare(b.Start) })
	s.entries = slices.Insert(s.entries, i, e)
	s.recount()
	s.retainLocked()
	s.dirty = true
	return e, nil
}

// Send stores every profile of the batch; it implements Sink. It returns the first error and still tries
// every profile.
func (s *Store) Send(ctx context.Context, b *Batch) error {
	var first error
	for _, p := range b.Profiles {
		if _, err := s.Put(ctx, p); err != nil && first == nil {
			first = err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.syncLocked(); err != nil && first == nil {
		first = err
	}
	return first
}

func (s *Store) recount() {
	s.bytes = 0
	for _, e := range s.entries {
		s.bytes += e.Size
	}
}

// retainLocked removes files older than MaxAge, then the oldest while over MaxBytes.
func (s *Store) retainLocked() {
	cutoff := s.cfg.clock.Now().Add(-s.cfg.MaxAge)
	keep := s.entries[:0]
	for i, e := range s.entries {
		old := s.cfg.MaxAge > 0 && e.End.Before(cutoff)
		big := s.cfg.MaxBytes > 0 && s.bytes > s.cfg.MaxBytes && i < len(s.entries)-1
		if old || big {
			s.removeFile(e)
			s.bytes -= e.Size
			continue
		}
		keep = append(keep, e)
	}
	clear(s.entries[len(keep):])
	s.entries = keep
}

func (s *Store) removeFile(e Entry) {
	path := filepath.Join(s.cfg.Dir, filepath.FromSlash(e.Name))
	os.Remove(path)
	os.Remove(strings.TrimSuffix(path, extOf(e.Kind)) + extMeta)
}

// syncLocked rewrites the index file if entries changed since the last write.
func (s *Store) syncLocked() error {
	if !s.dirty || s.cfg.ReadOnly {
		return nil
	}
	b, err := json.Marshal(struct {
		Version int     `json:"version"`
		Entries []Entry `json:"entries"`
	}{1, s.entries})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.cfg.Dir, 0o755); err != nil {
		return fmt.Errorf("profiling: write index: %w", err)
	}
	if err := writeAtomic(filepath.Join(s.cfg.Dir, indexFile), b); err != nil {
		return fmt.Errorf("profiling: write index: %w", err)
	}
	s.dirty = false
	return nil
}

// List returns the entries of kind k (every kind when k is "") that overlap [from, to); a zero from or
// to leaves that side open. Entries are sorted by start time.
func (s *Store) List(k Kind, from, to time.Time) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	for _, e := range s.entries {
		if (k == "" || e.Kind == k) && (from.IsZero() || e.End.After(from)) && (to.IsZero() || e.Start.Before(to)) {
			out = append(out, e)
		}
	}
	return out
}

// Read returns the bytes of one stored file after checking that they decode (pprof kinds). A file that
// vanished or does not decode is dropped from the index (and a corrupt one deleted) and reported with
// ErrNotFound or ErrCorrupt: a corrupt profile is never served.
func (s *Store) Read(e Entry) ([]byte, error) {
	b, _, err := s.read(e)
	return b, err
}

func (s *Store) read(e Entry) ([]byte, *profile.Profile, error) {
	path := filepath.Join(s.cfg.Dir, filepath.FromSlash(e.Name))
	b, err := os.ReadFile(path)
	if err != nil {
		s.forget(e, false)
		return nil, nil, fmt.Errorf("profiling: read %s: %w: %v", e.Name, ErrNotFound, err)
	}
	if !e.Kind.isPprof() {
		return b, nil, nil
	}
	p, err := profile.ParseData(b)
	if err == nil {
		err = p.CheckValid()
	}
	if err != nil {
		s.forget(e, true)
		return nil, nil, fmt.Errorf("profiling: read %s: %w: %v", e.Name, ErrCorrupt, err)
	}
	if p.PeriodType == nil {
		p.PeriodType = &profile.ValueType{} // profile.Merge dereferences it
	}
	return b, p, nil
}

// forget drops e from the index, deleting its file when it is corrupt.
func (s *Store) forget(e Entry, remove bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if remove && !s.cfg.ReadOnly {
		s.removeFile(e)
	}
	s.entries = slices.DeleteFunc(s.entries, func(x Entry) bool { return x.Name == e.Name })
	s.recount()
	s.dirty = true
}

// Merge returns one profile of kind k summing every stored window overlapping [from, to), with the
// entries it used. Corrupt or vanished files are skipped (and dropped from the index). It fails with
// ErrNotFound when nothing is left to merge.
func (s *Store) Merge(k Kind, from, to time.Time) (*profile.Profile, []Entry, error) {
	if !k.isPprof() || k == "" {
		return nil, nil, fmt.Errorf("profiling: merge %q: %w: not a pprof kind", k, ErrBadRequest)
	}
	var (
		ps   []*profile.Profile
		used []Entry
	)
	for _, e := range s.List(k, from, to) {
		_, p, err := s.read(e)
		if err != nil {
			continue
		}
		ps = append(ps, p)
		used = append(used, e)
	}
	if len(ps) == 0 {
		return nil, nil, fmt.Errorf("profiling: merge %s: %w", k, ErrNotFound)
	}
	comments := ps[len(ps)-1].Comments
	for _, p := range ps {
		p.Comments = nil // labels differ per window (version); the newest window's are kept below
	}
	m, err := profile.Merge(ps)
	if err != nil {
		return nil, nil, fmt.Errorf("profiling: merge %s: %w", k, err)
	}
	m.Comments = comments
	return m, used, nil
}

// Size returns the store's total bytes and file count.
func (s *Store) Size() (bytes int64, files int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes, len(s.entries)
}
