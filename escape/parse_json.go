package escape

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// LogHeader is the first line of a file of the compiler's JSON optimisation log (-json=0,DIR).
type LogHeader struct {
	Version   int    `json:"version"`
	Package   string `json:"package"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	GCVersion string `json:"gc_version"`
	File      string `json:"file"`
}

// LogRecord is one LSP Diagnostic record of the JSON log, reduced to what hotpath uses. Positions are
// 1-based lines and byte columns, although LSP says 0-based UTF-16: the compiler writes them that way.
type LogRecord struct {
	Range struct {
		Start struct {
			Line      int `json:"line"`
			Character int `json:"character"`
		} `json:"start"`
	} `json:"range"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Related []struct {
		Location struct {
			URI   string `json:"uri"`
			Range struct {
				Start struct {
					Line      int `json:"line"`
					Character int `json:"character"`
				} `json:"start"`
			} `json:"range"`
		} `json:"location"`
		Message string `json:"message"`
	} `json:"relatedInformation,omitempty"`
}

// Inline returns the inlining chain of the record (relatedInformation entries whose message is
// "inlineLoc"), outermost first, with file paths taken from their file:// URIs.
func (r *LogRecord) Inline() []Pos {
	var out []Pos
	for _, ri := range r.Related {
		if ri.Message != "inlineLoc" {
			continue
		}
		out = append(out, Pos{File: uriPath(ri.Location.URI), Line: ri.Location.Range.Start.Line, Col: ri.Location.Range.Start.Character})
	}
	return out
}

func uriPath(u string) string {
	s, ok := strings.CutPrefix(u, "file://")
	if !ok {
		return u
	}
	if p, err := url.PathUnescape(s); err == nil {
		return p
	}
	return s
}

// ParseLogFile parses one file of the JSON optimisation log. A record that does not decode is an error
// wrapping ErrParse that names the line; a version other than 0 is rejected the same way.
func ParseLogFile(data []byte) (LogHeader, []LogRecord, error) {
	var h LogHeader
	line, rest := cutLine(data)
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, fmt.Errorf("escape: parse json log header: %w: %v", ErrParse, err)
	}
	if h.Version != 0 {
		return h, nil, fmt.Errorf("escape: parse json log %s: %w: version %d (only 0 is known)", h.File, ErrParse, h.Version)
	}
	var recs []LogRecord
	for n := 2; len(rest) > 0; n++ {
		line, rest = cutLine(rest)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r LogRecord
		if err := json.Unmarshal(line, &r); err != nil {
			return h, recs, fmt.Errorf("escape: parse json log %s line %d: %w: %v", h.File, n, ErrParse, err)
		}
		recs = append(recs, r)
	}
	return h, recs, nil
}

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}
