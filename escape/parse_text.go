package escape

import (
	"bytes"
	"strconv"
	"strings"
)

// Profile is the grammar of one range of Go releases' -m=2 text. Select one with ProfileFor.
type Profile struct {
	Name string // "go1.25" (explanations name the function, flows use ←) or "go1.13" (F-less, "=")

	arrow       string // flow arrow inside "flow: dst ARROW src:"
	headingFunc bool   // headings carry "in F" / "for F"
}

var (
	profile125 = Profile{Name: "go1.25", arrow: " ← ", headingFunc: true}
	profile113 = Profile{Name: "go1.13", arrow: " = ", headingFunc: false}
)

// ProfileFor returns the text grammar of the given toolchain version ("go1.26.8", "go1.24rc1",
// "devel go1.27-abcdef …"). Versions it cannot read get the newest profile.
func ProfileFor(goVersion string) Profile {
	v := goVersion
	if i := strings.Index(v, "go1."); i >= 0 {
		v = v[i+len("go1."):]
	} else {
		return profile125
	}
	n := 0
	for _, c := range []byte(v) {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	if n > 0 && n < 25 {
		return profile113
	}
	return profile125
}

// Line is one line of compiler output the parser did not recognise, kept so that format changes are
// visible instead of silently lost.
type Line struct {
	Package string `json:"package,omitempty"`
	Text    string `json:"text"`
}

// MaxUnknown bounds how many unrecognised lines a Parsed (and a Report) keeps verbatim; the rest are only
// counted in UnknownCount.
const MaxUnknown = 100

// Parsed is the result of parsing compiler text output.
type Parsed struct {
	Profile      string   // the grammar used
	Lines        int      // lines read
	Facts        []Fact   // in output order
	Packages     []string // "# pkg" headers seen, in order
	Notes        int      // lines recognised but not turned into facts (explanations, "does not escape", …)
	UnknownCount int      // lines not recognised
	Unknown      []Line   // the first MaxUnknown of them
}

// explanation is one -m=2 heading ("x escapes to heap in F:", "parameter p leaks to D for F with derefs=N:")
// and the flow steps under it, waiting to be attached to its fact.
type explanation struct {
	pkg, subject, fn, dst string
	pos                   Pos
	first, end            int // its steps are textParser.steps[first:end]
	used                  bool
}

// textParser holds the state of one ParseText call.
type textParser struct {
	prof  Profile
	out   *Parsed
	pkg   string
	strs  map[string]string // interned strings: file names, reasons, short subjects
	last  string            // the file name of the previous position
	expl  []explanation
	steps []Step // the steps of all explanations, in order: one backing array instead of one per heading
	cur   int    // index into expl of the heading whose steps are being read, or -1
}

// ParseText parses the output of go build with -gcflags='-m=2 -d=ssa/check_bce/debug=1,nil=1' (any subset
// of those flags works) as printed by the given toolchain version. It never fails: lines it does not know
// are counted and kept in Unknown. Facts inside a "# pkg" section get that package's import path.
func ParseText(data []byte, goVersion string) *Parsed {
	p := &textParser{prof: ProfileFor(goVersion), out: &Parsed{}, strs: make(map[string]string), cur: -1}
	p.out.Profile = p.prof.Name
	// net/http: one fact per 5 lines, one explanation step per 2.5 lines.
	p.out.Facts = make([]Fact, 0, len(data)/400)
	p.steps = make([]Step, 0, len(data)/200)
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			continue
		}
		p.out.Lines++
		if !p.line(line) {
			p.unknown(line)
		}
	}
	p.attach()
	return p.out
}

func (p *textParser) unknown(line []byte) {
	p.out.UnknownCount++
	if len(p.out.Unknown) < MaxUnknown {
		p.out.Unknown = append(p.out.Unknown, Line{Package: p.pkg, Text: string(line)})
	}
}

// line handles one line; it reports whether the line was recognised.
func (p *textParser) line(line []byte) bool {
	if line[0] == '#' {
		if len(line) < 3 || line[1] != ' ' {
			return false
		}
		pkg := string(line[2:])
		if i := strings.IndexByte(pkg, ' '); i > 0 { // "pkg [pkg.test]"
			pkg = pkg[:i]
		}
		p.pkg = pkg
		p.out.Packages = append(p.out.Packages, pkg)
		p.cur = -1
		return true
	}
	pos, msg := p.splitPos(line)
	if bytes.HasPrefix(msg, []byte("  ")) {
		return p.step(pos, msg)
	}
	p.cur = -1
	return p.message(pos, msg)
}

// splitPos splits "file:line[:col]: msg". Lines without a position give a zero Pos and the whole line.
func (p *textParser) splitPos(line []byte) (Pos, []byte) {
	if rest, ok := bytes.CutPrefix(line, []byte("<unknown line number>: ")); ok {
		return Pos{}, rest
	}
	off := 0
	for tries := 0; tries < 4; tries++ {
		i := bytes.Index(line[off:], []byte(": "))
		if i < 0 {
			break
		}
		i += off
		if pos, ok := p.parsePos(line[:i]); ok {
			return pos, line[i+2:]
		}
		off = i + 2
	}
	return Pos{}, line
}

// parsePos reads "file:line:col" or "file:line".
func (p *textParser) parsePos(b []byte) (Pos, bool) {
	last, ok := trailingInt(b)
	if !ok {
		return Pos{}, false
	}
	b = b[:len(b)-digits(last)-1] // drop ":N"
	if prev, ok := trailingInt(b); ok {
		file := b[:len(b)-digits(prev)-1]
		if len(file) > 0 {
			p.last = p.intern(file)
			return Pos{File: p.last, Line: prev, Col: last}, true
		}
	}
	if len(b) == 0 {
		return Pos{}, false
	}
	return Pos{File: p.intern(b), Line: last}, true
}

// trailingInt parses the decimal number after the last ':' of b.
func trailingInt(b []byte) (int, bool) {
	i := bytes.LastIndexByte(b, ':')
	if i < 0 || i == len(b)-1 || len(b)-i > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b[i+1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if b[i+1] == '0' && len(b)-i > 2 { // leading zero: not a compiler position
		return 0, false
	}
	return n, true
}

func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// intern returns b as a string, allocating only the first time a given text is seen. Compiler output
// repeats the same file names, reasons and variable names thousands of times.
func (p *textParser) intern(b []byte) string {
	if string(b) == p.last { // consecutive lines mostly name the same file
		return p.last
	}
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= 64 {
		p.strs[s] = s
	}
	return s
}

func (p *textParser) fact(f Fact) {
	f.Package = p.pkg
	p.out.Facts = append(p.out.Facts, f)
}

func (p *textParser) note() bool { p.out.Notes++; return true }

// message classifies one non-indented message. The order of the checks follows the frequency in real
// output (net/http: inlining calls first) so the common lines are decided after one or two comparisons.
func (p *textParser) message(pos Pos, msg []byte) bool {
	s := msg // alias to keep the checks short
	switch {
	case bytes.HasPrefix(s, []byte("removed nil check")):
		return p.note()
	case bytes.HasPrefix(s, []byte("inlining call to ")):
		callee := s[len("inlining call to "):]
		if i := bytes.Index(callee, []byte(" with score ")); i > 0 {
			callee = callee[:i]
		}
		p.fact(Fact{Kind: KindInlinedCall, Pos: pos, Subject: p.intern(callee)})
		return true
	case bytes.HasSuffix(s, []byte(" escapes to heap")):
		p.fact(Fact{Kind: KindHeap, Pos: pos, Subject: p.intern(s[:len(s)-len(" escapes to heap")]), Reason: ReasonEscapes})
		return true
	case bytes.HasSuffix(s, []byte(" does not escape")):
		return p.note()
	case bytes.HasSuffix(s, []byte(":")) && bytes.Contains(s, []byte(" escapes to heap")):
		return p.heapHeading(pos, s[:len(s)-1])
	case bytes.HasPrefix(s, []byte("parameter ")) && bytes.HasSuffix(s, []byte(":")):
		return p.leakHeading(pos, s[len("parameter "):len(s)-1])
	case bytes.HasPrefix(s, []byte("leaking param")):
		return p.leak(pos, s)
	case bytes.HasPrefix(s, []byte("can inline ")):
		return p.canInline(pos, s[len("can inline "):])
	case bytes.HasPrefix(s, []byte("cannot inline ")):
		return p.cannotInline(pos, s[len("cannot inline "):])
	case bytes.HasPrefix(s, []byte("moved to heap: ")):
		p.fact(Fact{Kind: KindHeap, Pos: pos, Subject: p.intern(s[len("moved to heap: "):]), Reason: ReasonMoved})
		return true
	case bytes.HasPrefix(s, []byte("Found Is")):
		what := s[len("Found "):]
		if string(what) != "IsInBounds" && string(what) != "IsSliceInBounds" {
			return false
		}
		p.fact(Fact{Kind: KindBounds, Pos: pos, Subject: p.intern(what)})
		return true
	case bytes.Equal(s, []byte("generated nil check")):
		p.fact(Fact{Kind: KindNil, Pos: pos, Subject: "nil check"})
		return true
	case bytes.Contains(s, []byte("devirtualiz")):
		return p.devirt(pos, s)
	case bytes.Contains(s, []byte(" capturing by value: ")), bytes.Contains(s, []byte(" capturing by ref: ")),
		bytes.Contains(s, []byte(" ignoring self-assignment in ")),
		bytes.Equal(s, []byte("zero-copy string->[]byte conversion")),
		bytes.Equal(s, []byte("index bounds check elided")),
		bytes.Equal(s, []byte("imprecise interface call")),
		bytes.HasSuffix(s, []byte(" will be kept alive")),
		bytes.HasPrefix(s, []byte("assuming ")) && bytes.HasSuffix(s, []byte(" is unsafe uintptr")),
		bytes.HasPrefix(s, []byte("marking ")) && bytes.Contains(s, []byte(" as escaping ")),
		bytes.HasPrefix(s, []byte("function ")) && bytes.HasSuffix(s, []byte(" considered 'big'; reducing max cost of inlinees")):
		return p.note()
	}
	return false
}

// step handles an indented explanation line under the current heading.
func (p *textParser) step(pos Pos, msg []byte) bool {
	s := bytes.TrimLeft(msg, " ")
	switch {
	case bytes.HasPrefix(s, []byte("flow: ")) && bytes.HasSuffix(s, []byte(":")):
		edge := p.intern(s[len("flow: ") : len(s)-1])
		if !strings.Contains(edge, p.prof.arrow) {
			return false
		}
		if p.prof.arrow != " ← " {
			edge = strings.Replace(edge, p.prof.arrow, " ← ", 1)
		}
		p.addStep(Step{Flow: edge})
		return true
	case bytes.HasPrefix(s, []byte("from ")):
		p.addStep(p.fromStep(s[len("from "):]))
		return true
	case bytes.HasPrefix(s, []byte("warning: ")):
		return p.note()
	}
	return false
}

func (p *textParser) addStep(st Step) {
	p.out.Notes++
	if p.cur >= 0 && p.expl[p.cur].end == len(p.steps) {
		p.steps = append(p.steps, st)
		p.expl[p.cur].end++
	}
}

// fromStep parses "E (REASON) at POS", where E may itself hold parentheses and " at ".
func (p *textParser) fromStep(s []byte) Step {
	var st Step
	if i := bytes.LastIndex(s, []byte(" at ")); i > 0 && bytes.HasSuffix(s[:i], []byte(")")) {
		at := s[i+len(" at "):]
		if pos, ok := p.parsePos(at); ok {
			st.At = pos
		}
		s = s[:i]
	}
	if i := bytes.LastIndex(s, []byte(" (")); i > 0 && bytes.HasSuffix(s, []byte(")")) {
		st.Reason = p.intern(s[i+2 : len(s)-1])
		s = s[:i]
	}
	st.From = p.intern(s)
	return st
}

// heapHeading parses "x escapes to heap in F" (1.25+) or "x escapes to heap" (earlier).
func (p *textParser) heapHeading(pos Pos, s []byte) bool {
	var subject, fn []byte
	if p.prof.headingFunc {
		i := bytes.LastIndex(s, []byte(" escapes to heap in "))
		if i < 0 {
			return false
		}
		subject, fn = s[:i], s[i+len(" escapes to heap in "):]
	} else {
		var ok bool
		if subject, ok = bytes.CutSuffix(s, []byte(" escapes to heap")); !ok {
			return false
		}
	}
	p.heading(explanation{pkg: p.pkg, pos: pos, subject: p.intern(subject), fn: p.intern(fn)})
	return true
}

// leakHeading parses "p leaks to DST for F with derefs=N" (1.25+) or "p leaks to DST with derefs=N".
func (p *textParser) leakHeading(pos Pos, s []byte) bool {
	i := bytes.LastIndex(s, []byte(" with derefs="))
	j := bytes.Index(s, []byte(" leaks to "))
	if i < 0 || j <= 0 || j > i {
		return false
	}
	param, dst := s[:j], s[j+len(" leaks to "):i]
	var fn []byte
	if p.prof.headingFunc {
		k := bytes.LastIndex(dst, []byte(" for "))
		if k < 0 {
			return false
		}
		dst, fn = dst[:k], dst[k+len(" for "):]
	}
	p.heading(explanation{pkg: p.pkg, pos: pos, subject: p.intern(param), fn: p.intern(fn), dst: p.intern(dst)})
	return true
}

func (p *textParser) heading(e explanation) {
	p.out.Notes++
	e.first, e.end = len(p.steps), len(p.steps)
	p.expl = append(p.expl, e)
	p.cur = len(p.expl) - 1
}

// leak parses "leaking param: p", "leaking param content: p" and "leaking param: p to result r level=N".
func (p *textParser) leak(pos Pos, s []byte) bool {
	reason, to := "leaks to heap", "heap"
	var rest []byte
	switch {
	case bytes.HasPrefix(s, []byte("leaking param content: ")):
		rest, reason, to = s[len("leaking param content: "):], "leaks to heap (content)", "heap (content)"
	case bytes.HasPrefix(s, []byte("leaking param: ")):
		rest = s[len("leaking param: "):]
	default:
		return false
	}
	if i := bytes.Index(rest, []byte(" to result ")); i > 0 {
		to = "result " + string(rest[i+len(" to result "):])
		reason = "leaks to " + to
		rest = rest[:i]
	}
	p.fact(Fact{Kind: KindLeak, Pos: pos, Subject: p.intern(rest), Reason: reason, To: to})
	return true
}

// canInline parses "F with cost N as: …" (-m=2) or "F" (-m).
func (p *textParser) canInline(pos Pos, s []byte) bool {
	f := Fact{Kind: KindInlinable, Pos: pos, Budget: DefaultBudget}
	if i := bytes.Index(s, []byte(" with cost ")); i > 0 {
		rest := s[i+len(" with cost "):]
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			j = len(rest)
		}
		n, err := strconv.Atoi(string(rest[:j]))
		if err != nil {
			return false
		}
		f.Cost, s = n, s[:i]
	}
	f.Subject, f.Func = string(s), string(s)
	if f.Cost > DefaultBudget { // only PGO-hot functions get past the ordinary budget
		f.Budget = 2000
	}
	p.fact(f)
	return true
}

// cannotInline parses "F: REASON" and "F into G: repeated recursive cycle" (a call-site note).
func (p *textParser) cannotInline(pos Pos, s []byte) bool {
	i := bytes.Index(s, []byte(": "))
	if i <= 0 {
		return false
	}
	fn, reason := s[:i], s[i+2:]
	if bytes.Contains(fn, []byte(" into ")) {
		return p.note()
	}
	f := Fact{Kind: KindNotInlinable, Pos: pos, Subject: string(fn), Func: string(fn), Reason: string(reason)}
	// "function too complex: cost 95 exceeds budget 80"
	if j := bytes.Index(reason, []byte("cost ")); j >= 0 {
		var cost, budget int
		rest := reason[j+len("cost "):]
		if k := bytes.Index(rest, []byte(" exceeds budget ")); k > 0 {
			cost, _ = strconv.Atoi(string(rest[:k]))
			budget, _ = strconv.Atoi(string(rest[k+len(" exceeds budget "):]))
		}
		f.Cost, f.Budget = cost, budget
	}
	p.fact(f)
	return true
}

// devirt parses the static, partial and PGO devirtualisation lines; the negative ones are notes.
func (p *textParser) devirt(pos Pos, s []byte) bool {
	var how string
	var rest []byte
	switch {
	case bytes.HasPrefix(s, []byte("devirtualizing ")):
		how, rest = DevirtStatic, s[len("devirtualizing "):]
	case bytes.HasPrefix(s, []byte("partially devirtualizing ")):
		how, rest = DevirtPartial, s[len("partially devirtualizing "):]
	case bytes.HasPrefix(s, []byte("PGO devirtualizing interface call ")):
		how, rest = DevirtPGO, s[len("PGO devirtualizing interface call "):]
	case bytes.HasPrefix(s, []byte("PGO devirtualizing function call ")):
		how, rest = DevirtPGO, s[len("PGO devirtualizing function call "):]
	case bytes.HasPrefix(s, []byte("cannot devirtualize ")), bytes.HasPrefix(s, []byte("should not PGO devirtualize ")):
		return p.note()
	default:
		return false
	}
	i := bytes.LastIndex(rest, []byte(" to "))
	if i <= 0 {
		return false
	}
	p.fact(Fact{Kind: KindDevirt, Pos: pos, Subject: string(rest[:i]), To: string(rest[i+len(" to "):]), Reason: how})
	return true
}

// attach gives each heap and leak fact the explanation printed for it (same package, position and
// subject; for leaks also the destination), and the function its heading names.
func (p *textParser) attach() {
	if len(p.expl) == 0 {
		return
	}
	type key struct {
		pkg, subject string
		pos          Pos
	}
	idx := make(map[key][]int, len(p.expl))
	for i := range p.expl {
		e := &p.expl[i]
		k := key{e.pkg, e.subject, e.pos}
		idx[k] = append(idx[k], i)
	}
	for fi := range p.out.Facts {
		f := &p.out.Facts[fi]
		if f.Kind != KindHeap && f.Kind != KindLeak {
			continue
		}
		for _, i := range idx[key{f.Package, f.Subject, f.Pos}] {
			e := &p.expl[i]
			if e.used || (f.Kind == KindLeak) != (e.dst != "") || (f.Kind == KindLeak && !leakMatches(f.To, e.dst)) {
				continue
			}
			e.used = true
			if f.Flow == nil {
				f.Flow = p.steps[e.first:e.end:e.end]
			} else { // a parameter leaking to several places: one flow after the other
				f.Flow = append(f.Flow, p.steps[e.first:e.end]...)
			}
			if f.Func == "" {
				f.Func = e.fn
			}
			if f.Kind == KindHeap {
				break
			}
		}
	}
}

// leakMatches tells whether a heading's destination ("{heap}", "~r0") belongs to a leak fact's To.
func leakMatches(to, dst string) bool {
	if dst == "{heap}" {
		return strings.HasPrefix(to, "heap")
	}
	return strings.HasPrefix(to, "result "+dst+" ")
}
