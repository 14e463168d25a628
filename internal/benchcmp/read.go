package benchcmp

import (
	"fmt"
	"io"

	"golang.org/x/perf/benchfmt"
)

// Set is the benchmark results of one side, as read from "go test -bench" output.
type Set struct {
	Name     string                   // label, such as a file name or a revision
	Results  []*benchfmt.Result       // in input order
	Units    benchfmt.UnitMetadataMap // "Unit … assume=… better=…" lines
	Warnings []string                 // malformed benchmark lines, kept rather than fatal
}

// Read parses go test -bench output from r. Lines that are not results or configuration are ignored;
// a malformed result line becomes a warning. It fails only when r fails or holds no results.
func Read(r io.Reader, name string) (*Set, error) {
	s := &Set{Name: name}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.Result:
			s.Results = append(s.Results, rec.Clone())
		case *benchfmt.SyntaxError:
			s.Warnings = append(s.Warnings, rec.Error())
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("benchcmp: read %q: %w", name, err)
	}
	if len(s.Results) == 0 {
		return nil, fmt.Errorf("benchcmp: read %q: %w", name, ErrNoResults)
	}
	s.Units = br.Units()
	return s, nil
}
