package escape

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// logs adds the facts only the JSON optimisation log has (large copies) to rep. Packages compiled by this
// run have fresh logs, which are moved into the store under their action ID; packages the go command
// replayed from its build cache get theirs from the store, and any missing there are compiled once more
// with a fresh log directory. It returns which target packages were replayed.
func (b *build) logs(ctx context.Context, rep *Report, actions map[string]action) (map[string]bool, error) {
	cached := make(map[string]bool)
	type missing struct {
		i  int
		id string
	}
	var redo []missing
	dirs := make([]string, len(b.targets.paths))
	for i, full := range b.targets.full {
		a, ok := actions[full]
		if !ok {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: no compile action in the go command's action graph; JSON-log facts (copies) unavailable", full))
			continue
		}
		src := logSubdir(logDir(b.jsonRoot, b.targets.flag[i]), b.targets.logPkg[i])
		if len(a.Cmd) > 0 {
			rep.Cache.Compiled++
			dirs[i] = b.keep(src, a.ActionID)
			continue
		}
		cached[b.targets.paths[i]] = true
		rep.Cache.Replayed++
		if b.store != "" {
			dst := filepath.Join(b.store, a.ActionID)
			if _, err := os.Stat(dst); err == nil {
				now := time.Now()
				os.Chtimes(dst, now, now) // mark as recently used for trimming
				dirs[i] = dst
				continue
			}
		}
		redo = append(redo, missing{i, a.ActionID})
	}
	if len(redo) > 0 {
		tmp, err := os.MkdirTemp("", "hotpath-escape-redo-")
		if err != nil {
			return nil, fmt.Errorf("escape: analyze: %w", err)
		}
		defer os.RemoveAll(tmp)
		var paths []string
		for _, m := range redo {
			if p := b.targets.flag[m.i]; !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
		}
		root := filepath.Join(tmp, "json")
		if _, _, err := b.compile(ctx, root, paths, false); err != nil {
			return nil, err
		}
		for _, m := range redo {
			dirs[m.i] = b.keep(logSubdir(logDir(root, b.targets.flag[m.i]), b.targets.logPkg[m.i]), m.id)
			rep.Cache.Recompile++
		}
	}
	for i, d := range dirs {
		if d == "" {
			continue
		}
		if err := b.readLogs(rep, b.targets.paths[i], d); err != nil {
			return nil, err
		}
	}
	b.trim()
	return cached, nil
}

// keep moves a fresh log directory into the store under id and returns where it now is (src itself when
// there is no store).
func (b *build) keep(src, id string) string {
	if b.store == "" || id == "" || strings.ContainsAny(id, `/\.`) {
		return src
	}
	dst := filepath.Join(b.store, id)
	os.RemoveAll(dst)
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		os.MkdirAll(dst, 0o755) // the package had no log records at all: remember that too
		return dst
	}
	if err := os.Rename(src, dst); err != nil {
		return src
	}
	return dst
}

// readLogs adds the copy facts of the log files under dir to rep, attributed to package pkg, and warns
// about files whose log was overwritten by another file of the same base name (the compiler names log
// files by base name only).
func (b *build) readLogs(rep *Report, pkg, dir string) error {
	written := map[string]string{} // base name → the source file its log holds
	var facts []Fact
	type chained struct {
		file      string
		line, col int
		code      string
		chain     []Pos
	}
	var chains []chained
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h, recs, err := ParseLogFile(data)
		if err != nil {
			return err
		}
		written[filepath.Base(h.File)] = h.File
		for i := range recs {
			r := &recs[i]
			switch r.Code {
			case "isInBounds", "isSliceInBounds", "nilcheck":
				if chain := r.Inline(); len(chain) > 0 {
					chains = append(chains, chained{h.File, r.Range.Start.Line, r.Range.Start.Character, r.Code, chain})
				}
				continue
			case "copy":
			default:
				continue
			}
			n, _ := strconv.Atoi(strings.TrimSuffix(r.Message, " bytes"))
			facts = append(facts, Fact{Kind: KindCopy, Package: pkg, Subject: r.Message, Bytes: n,
				Pos: Pos{File: h.File, Line: r.Range.Start.Line, Col: r.Range.Start.Character}, Inline: r.Inline()})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("escape: analyze %s: json log: %w", pkg, err)
	}
	normalisePaths(facts, b.cfg.Dir)
	// Give the text channel's bounds and nil checks the inlining chain the log records for them: one log
	// record per inlined copy, matched to the text facts at the same place in order.
	if len(chains) > 0 {
		type key struct {
			file      string
			line, col int
			kind      Kind
		}
		idx := map[key][]int{}
		for i := range rep.Facts {
			if f := &rep.Facts[i]; f.Package == pkg && (f.Kind == KindBounds || f.Kind == KindNil) {
				k := key{f.File, f.Line, f.Col, f.Kind}
				idx[k] = append(idx[k], i)
			}
		}
		for _, c := range chains {
			tmp := []Fact{{Pos: Pos{File: c.file}, Inline: c.chain}}
			normalisePaths(tmp, b.cfg.Dir)
			kind := KindBounds
			if c.code == "nilcheck" {
				kind = KindNil
			}
			k := key{tmp[0].File, c.line, c.col, kind}
			if list := idx[k]; len(list) > 0 {
				rep.Facts[list[0]].Inline = tmp[0].Inline
				idx[k] = list[1:]
			}
		}
	}
	// Collision check: a source file of this package's text output whose base name's log holds another file.
	lost := map[string]bool{}
	for i := range rep.Facts {
		f := &rep.Facts[i]
		if f.Package != pkg || f.File == "" || f.File[0] == '<' || lost[f.File] || (!b.cfg.External && b.external(f.File)) {
			continue
		}
		if holder, ok := written[filepath.Base(f.File)]; ok && !samePath(holder, f.File, b.cfg.Dir) {
			lost[f.File] = true
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: copy facts for %s may be missing: the compiler's JSON log for base name %s holds %s (it names log files by base name only)",
				pkg, f.File, filepath.Base(f.File), holder))
		}
	}
	rep.Facts = append(rep.Facts, facts...)
	return nil
}

func samePath(abs, rel, dir string) bool {
	if !filepath.IsAbs(rel) {
		rel = filepath.Join(dir, rel)
	}
	return filepath.Clean(abs) == filepath.Clean(rel)
}

// trim keeps the store at MaxStoreEntries, removing the least recently used entries.
func (b *build) trim() {
	if b.store == "" {
		return
	}
	ents, err := os.ReadDir(b.store)
	if err != nil || len(ents) <= MaxStoreEntries {
		return
	}
	type entry struct {
		name string
		t    time.Time
	}
	es := make([]entry, 0, len(ents))
	for _, e := range ents {
		if info, err := e.Info(); err == nil {
			es = append(es, entry{e.Name(), info.ModTime()})
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return a.t.Compare(b.t) })
	for _, e := range es[:len(es)-MaxStoreEntries] {
		os.RemoveAll(filepath.Join(b.store, e.name))
	}
}
