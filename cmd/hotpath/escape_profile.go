package main

import (
	"io"

	"github.com/hotpath-dev/hotpath/escape"
	"github.com/hotpath-dev/hotpath/internal/hotlines"
)

// loadRankProfile reads the -profile of hotpath escape; no path means no ranking.
func loadRankProfile(path string, top int) (*hotlines.Profile, error) {
	if top < 0 {
		return nil, usageError("escape: -top %d: want 0 or more", top)
	}
	if path == "" {
		return nil, nil
	}
	p, err := hotlines.Read(path)
	if err != nil {
		return nil, usageError("escape: -profile: %v", err)
	}
	return p, nil
}

// writeRanked prints the report's facts ranked by the profile: -kinds (or the kinds that cost something)
// and the first top of them.
func writeRanked(w io.Writer, rep *escape.Report, p *hotlines.Profile, path string, kinds []escape.Kind, top int, format string) error {
	if len(kinds) == 0 && p.Kind == "alloc" {
		kinds = escape.AllocKinds // bounds and nil checks allocate nothing
	}
	rk := rep.Rank(p, escape.RankOptions{Kinds: kinds, Top: top, Profile: path, Unit: p.Unit, Total: p.Total})
	if format == "json" {
		return rk.WriteJSON(w)
	}
	return rk.WriteText(w)
}
