package inittrace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Init is one package's initialisation, as the runtime reported it.
type Init struct {
	Pkg    string        // import path
	Start  time.Duration // when the init started, since the runtime started
	Clock  time.Duration // wall-clock time the init took
	Bytes  uint64        // heap bytes allocated
	Allocs uint64        // heap allocations
}

// String formats i the way the runtime does, so that ParseLine(i.String()) == i.
func (i Init) String() string {
	return fmt.Sprintf("init %s @%s ms, %s ms clock, %d bytes, %d allocs", i.Pkg, ms(i.Start), ms(i.Clock), i.Bytes, i.Allocs)
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', -1, 64) }

// ParseLine parses one init record (without its newline).
func ParseLine(line []byte) (Init, error) {
	var in Init
	rest, ok := bytes.CutPrefix(line, []byte("init "))
	if !ok {
		return in, fmt.Errorf("inittrace: parse %q: %w: no \"init \" prefix", line, ErrSyntax)
	}
	pkg, rest, ok := bytes.Cut(rest, []byte(" @"))
	if !ok || len(pkg) == 0 || bytes.ContainsAny(pkg, " \t") {
		return in, fmt.Errorf("inittrace: parse %q: %w: want \"init PKG @\"", line, ErrSyntax)
	}
	in.Pkg = string(pkg)
	fields := []struct {
		suffix string
		dur    *time.Duration
		n      *uint64
	}{
		{" ms, ", &in.Start, nil},
		{" ms clock, ", &in.Clock, nil},
		{" bytes, ", nil, &in.Bytes},
		{" allocs", nil, &in.Allocs},
	}
	for _, f := range fields {
		val, after, ok := bytes.Cut(rest, []byte(f.suffix))
		if !ok {
			return in, fmt.Errorf("inittrace: parse %q: %w: want %q", line, ErrSyntax, f.suffix)
		}
		rest = after
		var err error
		if f.dur != nil {
			*f.dur, err = parseMillis(val)
		} else {
			*f.n, err = strconv.ParseUint(string(val), 10, 64)
		}
		if err != nil {
			return in, fmt.Errorf("inittrace: parse %q: %w: %q: %v", line, ErrSyntax, val, err)
		}
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return in, fmt.Errorf("inittrace: parse %q: %w: trailing %q", line, ErrSyntax, rest)
	}
	return in, nil
}

// maxMillis bounds a parsed duration well inside time.Duration (about 285 years), so the conversion
// from float never overflows.
const maxMillis = 9e12

func parseMillis(b []byte) (time.Duration, error) {
	v, err := strconv.ParseFloat(string(b), 64)
	switch {
	case err != nil:
		return 0, err
	case math.IsNaN(v) || v < 0 || v >= maxMillis:
		return 0, fmt.Errorf("out of range")
	}
	return time.Duration(math.Round(v * 1e6)), nil
}

// maxLine is the longest line Parse looks at. Init records are about a hundred bytes; a longer line
// is a program's own output (a logged blob, say) and is skipped, however long it is.
const maxLine = 4096

// Parse reads a process's standard error and returns its init records in order. Lines that are not
// init records, start like one but do not parse, or are longer than any record, are counted in
// skipped, not fatal; err is only a failure to read r.
func Parse(r io.Reader) (inits []Init, skipped int, err error) {
	br := bufio.NewReaderSize(r, maxLine)
	long := false // inside a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !long {
				skipped++
			}
			long = true
			continue
		case long:
			long = false
		case len(line) > 0:
			line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
			if in, perr := ParseLine(line); perr == nil {
				inits = append(inits, in)
			} else {
				skipped++
			}
		}
		if err == io.EOF {
			return inits, skipped, nil
		}
		if err != nil {
			return inits, skipped, fmt.Errorf("inittrace: read: %w", err)
		}
	}
}
