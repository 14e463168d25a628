package inittrace

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		line    string
		want    Init
		wantErr bool
	}{
		{"init internal/bytealg @0 ms, 0 ms clock, 0 bytes, 0 allocs", Init{Pkg: "internal/bytealg"}, false},
		{"init runtime @0.026 ms, 0.21 ms clock, 0 bytes, 0 allocs",
			Init{Pkg: "runtime", Start: 26 * time.Microsecond, Clock: 210 * time.Microsecond}, false},
		{"init net/http @1.2 ms, 0.31 ms clock, 41424 bytes, 377 allocs",
			Init{Pkg: "net/http", Start: 1200 * time.Microsecond, Clock: 310 * time.Microsecond, Bytes: 41424, Allocs: 377}, false},
		{"init main @12 ms, 103 ms clock, 12845056 bytes, 200817 allocs",
			Init{Pkg: "main", Start: 12 * time.Millisecond, Clock: 103 * time.Millisecond, Bytes: 12845056, Allocs: 200817}, false},
		{"init x @0 ms, 0 ms clock, 0 bytes, 0 allocs  ", Init{Pkg: "x"}, false},
		{"hello", Init{}, true},
		{"init", Init{}, true},
		{"init  @0 ms, 0 ms clock, 0 bytes, 0 allocs", Init{}, true},
		{"init a b @0 ms, 0 ms clock, 0 bytes, 0 allocs", Init{}, true},
		{"init x @-1 ms, 0 ms clock, 0 bytes, 0 allocs", Init{}, true},
		{"init x @NaN ms, 0 ms clock, 0 bytes, 0 allocs", Init{}, true},
		{"init x @1e300 ms, 0 ms clock, 0 bytes, 0 allocs", Init{}, true},
		{"init x @0 ms, 0 ms clock, -5 bytes, 0 allocs", Init{}, true},
		{"init x @0 ms, 0 ms clock, 0 bytes", Init{}, true},
		{"init x @0 ms, 0 ms clock, 0 bytes, 0 allocs, more", Init{}, true},
	}
	for _, tt := range tests {
		got, err := ParseLine([]byte(tt.line))
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("ParseLine(%q) = %+v, %v; want %+v, error %v", tt.line, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseLine(%q) error = %v, want it to wrap %v", tt.line, err, ErrSyntax)
		}
	}
}

func TestParseRealOutput(t *testing.T) {
	f, err := os.Open("testdata/hotpath-version.stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	inits, skipped, err := Parse(f)
	if err != nil || skipped != 1 || len(inits) < 10 {
		t.Fatalf("Parse(hotpath-version.stderr) = %d inits, %d skipped, %v; want >= 10, 1, nil", len(inits), skipped, err)
	}
	if inits[0].Pkg != "internal/bytealg" || inits[2].Pkg != "runtime" {
		t.Errorf("Parse: first inits %q, %q; want internal/bytealg, runtime", inits[0].Pkg, inits[2].Pkg)
	}
	for i := 1; i < len(inits); i++ {
		if inits[i].Start < inits[i-1].Start {
			t.Errorf("Parse: init %d (%s) starts at %v, before init %d at %v", i, inits[i].Pkg, inits[i].Start, i-1, inits[i-1].Start)
		}
	}
}

func TestRank(t *testing.T) {
	run := func(clocks ...time.Duration) []Init {
		names := []string{"a", "b", "c"}
		var out []Init
		var at time.Duration
		for i, c := range clocks {
			out = append(out, Init{Pkg: names[i], Start: at, Clock: c, Bytes: uint64(10 * (i + 1)), Allocs: uint64(i + 1)})
			at += c + time.Millisecond
		}
		return out
	}
	ms := time.Millisecond
	stats, tot := Rank([][]Init{run(1*ms, 5*ms, 2*ms), run(3*ms, 4*ms, 2*ms), run(2*ms, 9*ms, 2*ms)})
	var got []string
	for _, s := range stats {
		got = append(got, s.Pkg+"="+s.Clock.String())
	}
	// Medians: a 2ms, b 5ms, c 2ms; a and c tie on clock and c allocated more bytes.
	if strings.Join(got, " ") != "b=5ms c=2ms a=2ms" {
		t.Errorf("Rank order = %q, want b=5ms c=2ms a=2ms", got)
	}
	if tot.Packages != 3 || tot.Clock != 9*ms || tot.Bytes != 60 || tot.Allocs != 6 {
		t.Errorf("Rank total = %+v, want 3 packages, 9ms, 60 bytes, 6 allocs", tot)
	}
	// Run ends: 1+1+5+1+2 = 10ms, 3+1+4+1+2 = 11ms, 2+1+9+1+2 = 15ms; median 11ms.
	if tot.Done != 11*ms {
		t.Errorf("Rank total done = %v, want 11ms", tot.Done)
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add([]byte("init runtime @0.026 ms, 0.21 ms clock, 0 bytes, 0 allocs"))
	f.Fuzz(func(t *testing.T, line []byte) {
		in, err := ParseLine(line)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("ParseLine(%q) error = %v, want it to wrap ErrSyntax", line, err)
			}
			return
		}
		again, err := ParseLine([]byte(in.String()))
		if err != nil || again != in {
			t.Fatalf("ParseLine(%q) = %+v; reparsing its String %q = %+v, %v", line, in, in.String(), again, err)
		}
	})
}

func TestParseSkipsLongLines(t *testing.T) {
	rec := "init a/b @0.5 ms, 0.25 ms clock, 64 bytes, 2 allocs"
	long := strings.Repeat("x", 2<<20) // a program's own 2 MiB log line
	tests := []struct {
		name        string
		in          string
		wantPkgs    int
		wantSkipped int
	}{
		{"records around a long line", rec + "\n" + long + "\n" + rec + "\r\n", 2, 1},
		{"long last line without newline", rec + "\n" + long, 1, 1},
		{"line of exactly the buffer size", strings.Repeat("y", maxLine) + "\n" + rec, 1, 1},
		{"empty lines", "\n\n" + rec, 1, 2},
		{"record without newline", rec, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inits, skipped, err := Parse(strings.NewReader(tt.in))
			if err != nil || len(inits) != tt.wantPkgs || skipped != tt.wantSkipped {
				t.Fatalf("Parse(%d bytes) = %d inits, %d skipped, %v; want %d, %d, nil", len(tt.in), len(inits), skipped, err, tt.wantPkgs, tt.wantSkipped)
			}
			for _, in := range inits {
				if in.String() != rec {
					t.Errorf("Parse(%d bytes) record = %q, want %q", len(tt.in), in.String(), rec)
				}
			}
		})
	}
}

// FuzzParse feeds a whole stderr stream: reading from memory never fails, every line is either a
// record or skipped, and every record is one ParseLine accepts.
func FuzzParse(f *testing.F) {
	f.Add([]byte("init runtime @0.026 ms, 0.21 ms clock, 0 bytes, 0 allocs\nlog line\r\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inits, skipped, err := Parse(bytes.NewReader(data))
		lines := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			lines++
		}
		if err != nil || len(inits)+skipped != lines {
			t.Fatalf("Parse(%q) = %d inits, %d skipped, %v; want %d lines in all, nil", data, len(inits), skipped, err, lines)
		}
		for _, in := range inits {
			if again, err := ParseLine([]byte(in.String())); err != nil || again != in {
				t.Fatalf("Parse(%q) record %+v does not reparse: %+v, %v", data, in, again, err)
			}
		}
	})
}
