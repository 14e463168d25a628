package escape

import (
	"errors"
	"testing"
)

func TestParseLogFile(t *testing.T) {
	const log = `{"version":0,"package":"probe","goos":"linux","goarch":"amd64","gc_version":"go1.26.8","file":"/tmp/p/p.go"}
{"range":{"start":{"line":7,"character":18},"end":{"line":7,"character":18}},"severity":3,"code":"copy","source":"go compiler","message":"320 bytes","relatedInformation":[{"location":{"uri":"file:///tmp/p/q%20r.go","range":{"start":{"line":3,"character":5},"end":{"line":3,"character":5}}},"message":"inlineLoc"}]}
`
	h, recs, err := ParseLogFile([]byte(log))
	if err != nil {
		t.Fatalf("ParseLogFile = %v", err)
	}
	if h.File != "/tmp/p/p.go" || h.GCVersion != "go1.26.8" || len(recs) != 1 {
		t.Fatalf("ParseLogFile = %+v, %d records, want /tmp/p/p.go, 1 record", h, len(recs))
	}
	r := recs[0]
	if r.Code != "copy" || r.Message != "320 bytes" || r.Range.Start.Line != 7 || r.Range.Start.Character != 18 {
		t.Errorf("ParseLogFile record = %+v, want copy 320 bytes at 7:18", r)
	}
	if got := r.Inline(); len(got) != 1 || got[0] != (Pos{"/tmp/p/q r.go", 3, 5}) {
		t.Errorf("Inline() = %v, want [/tmp/p/q r.go:3:5]", got)
	}
	bad := []string{
		"",
		"not json",
		`{"version":1,"file":"x"}`,
		`{"version":0,"file":"x"}` + "\n{broken",
	}
	for _, in := range bad {
		if _, _, err := ParseLogFile([]byte(in)); !errors.Is(err, ErrParse) {
			t.Errorf("ParseLogFile(%q) = %v, want ErrParse", in, err)
		}
	}
}

func FuzzParseLogFile(f *testing.F) {
	f.Add([]byte(`{"version":0,"file":"x"}` + "\n" + `{"code":"copy","message":"200 bytes"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, recs, err := ParseLogFile(data)
		if err != nil && !errors.Is(err, ErrParse) {
			t.Fatalf("ParseLogFile error %v does not wrap ErrParse", err)
		}
		if err == nil && h.Version != 0 {
			t.Fatalf("ParseLogFile accepted version %d", h.Version)
		}
		for i := range recs {
			recs[i].Inline()
		}
	})
}
