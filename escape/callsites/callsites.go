package callsites

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hotpath-dev/hotpath/internal/gocmd"
	"github.com/hotpath-dev/hotpath/internal/hotlines"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/types/typeutil"
)

// Schema names the JSON form of a Report.
const Schema = "hotpath.callsites/v1"

// Config says what to analyse.
type Config struct {
	// Dir is the directory the go command runs in; "" means the current directory.
	Dir string
	// Patterns are go package patterns; empty means "./...".
	Patterns []string
	// Profile is the CPU profile (pprof) to read and to build with -pgo. Required.
	Profile string
	// Tags are build tags.
	Tags []string
	// Go is the go command; "" means "go" from PATH.
	Go string
	// Env holds extra KEY=VALUE entries for the go command and the package loader.
	Env []string
	// NoPGO skips the -pgo build: the report then has no compiler verdicts.
	NoPGO bool
}

// Class is a call site's shape, named as V8 names inline-cache states.
type Class string

// The classes of call site.
const (
	Unobserved  Class = "unobserved"  // no callee below it in the profile
	Monomorphic Class = "monomorphic" // one callee
	Polymorphic Class = "polymorphic" // two to four callees
	Megamorphic Class = "megamorphic" // more than four
)

// Classify names the class for n observed callees.
func Classify(n int) Class {
	switch {
	case n == 0:
		return Unobserved
	case n == 1:
		return Monomorphic
	case n <= 4:
		return Polymorphic
	}
	return Megamorphic
}

// Site is one indirect call site with what the profile saw below it and what the compiler did.
type Site struct {
	File   string  `json:"file"` // absolute path
	Line   int     `json:"line"`
	Col    int     `json:"col"` // the call's opening parenthesis, where the compiler reports it
	Func   string  `json:"func"`
	Kind   string  `json:"kind"` // "interface" or "func-value"
	Expr   string  `json:"expr"` // the callee expression, e.g. s.Area
	Weight int64   `json:"weight"`
	Share  float64 `json:"share"` // Weight as a fraction of the profile total
	// LeafWeight is the part of Weight where the call is within the sample's two innermost locations:
	// the only part the compiler's PGO graph counts.
	LeafWeight int64    `json:"leaf_weight"`
	Class      Class    `json:"class"`
	Callees    []Callee `json:"callees"`
	// PGO is what the compiler reported for this site when built with -pgo; nil if it printed nothing.
	PGO *Verdict `json:"pgo,omitempty"`
}

// Callee is one concrete function observed below a site.
type Callee struct {
	Name       string  `json:"name"`
	Weight     int64   `json:"weight"`
	LeafWeight int64   `json:"leaf_weight"` // the part PGO counts (see Site.LeafWeight)
	Share      float64 `json:"share"`       // of the site's weight
}

// Verdict is the compiler's PGO decision for a site.
type Verdict struct {
	Devirtualized string  `json:"devirtualized,omitempty"` // callee the call was specialised to; "" if not
	Hottest       string  `json:"hottest,omitempty"`
	Weight        int64   `json:"weight"`         // the compiler's edge weight for the site (samples)
	CalleeWeight  int64   `json:"callee_weight"`  // weight of the devirtualized callee (or the hottest when none)
	Share         float64 `json:"share"`          // CalleeWeight / Weight
	Confirmed     bool    `json:"confirmed"`      // a matching "PGO devirtualizing" line was printed under -m
	Note          string  `json:"note,omitempty"` // why the compiler's view differs from the profile's, when known
}

// LeafEdgeNote explains a site the profile shows as hot but the compiler weighs at zero: the compiler
// builds its PGO call graph from each sample's innermost call edge only (internal/profile.NewGraph,
// "count only the last two frames as a call edge"), so a call whose callees spend their time in further
// calls (I/O, allocation, another interface call) carries no PGO weight however hot it is.
const LeafEdgeNote = "PGO weighs only each sample's innermost call edge; this site's callees spend their time in deeper calls"

// Report is the result of Analyze.
type Report struct {
	Schema    string   `json:"schema"`
	GoVersion string   `json:"go_version"`
	Profile   string   `json:"profile"`
	Unit      string   `json:"unit"`
	Total     int64    `json:"total"`
	Sites     []Site   `json:"sites"` // observed sites, heaviest first
	Cold      int      `json:"cold"`  // indirect sites with no callee in the profile
	PGOFlags  []string `json:"pgo_flags,omitempty"`
	// Parser accounting for the -d=pgodebug=3 output.
	PGOLines      int      `json:"pgo_lines"`
	PGOStats      int      `json:"pgo_stats"`
	PGOUnknown    int      `json:"pgo_unknown"`
	UnknownLines  []string `json:"pgo_unknown_lines,omitempty"`
	UnknownFields int      `json:"pgo_unknown_fields,omitempty"`
}

// Analyze finds every indirect call site in the packages, joins it with the callees a CPU profile saw
// below it, and (unless cfg.NoPGO) builds the packages with -pgo to report the compiler's verdicts.
func Analyze(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Profile == "" {
		return nil, fmt.Errorf("callsites: analyze: %w: no profile", ErrInvalidConfig)
	}
	if len(cfg.Patterns) == 0 {
		cfg.Patterns = []string{"./..."}
	}
	for _, p := range cfg.Patterns {
		if p == "" || strings.HasPrefix(p, "-") || strings.ContainsAny(p, " \t\n=") {
			return nil, fmt.Errorf("callsites: analyze: pattern %q: %w", p, ErrInvalidConfig)
		}
	}
	prof, err := hotlines.Read(cfg.Profile)
	if err != nil {
		return nil, fmt.Errorf("callsites: analyze: %w", err)
	}
	if prof.Kind != "cpu" {
		return nil, fmt.Errorf("callsites: analyze: %w: %s is a %s profile, want a CPU profile", ErrInvalidConfig, cfg.Profile, prof.Kind)
	}
	dir, err := filepath.Abs(cmpOr(cfg.Dir, "."))
	if err != nil {
		return nil, fmt.Errorf("callsites: analyze: %w", err)
	}
	cfg.Dir = dir
	pkgs, err := load(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep := &Report{Schema: Schema, Profile: cfg.Profile, Unit: prof.Unit, Total: prof.Total}
	for _, p := range pkgs {
		for _, s := range findSites(p) {
			observe(&s, prof, p)
			if s.Class == Unobserved {
				rep.Cold++
				continue
			}
			rep.Sites = append(rep.Sites, s)
		}
	}
	sort.SliceStable(rep.Sites, func(i, j int) bool { return rep.Sites[i].Weight > rep.Sites[j].Weight })
	env, err := gocmd.Env(ctx, gocmd.Cmd{Go: cfg.Go, Dir: dir, Env: cfg.Env}, "GOVERSION")
	if err != nil {
		return nil, fmt.Errorf("callsites: analyze: %w", err)
	}
	rep.GoVersion = env["GOVERSION"]
	if cfg.NoPGO {
		return rep, nil
	}
	if !pgoDebugSupported(rep.GoVersion) {
		return nil, fmt.Errorf("callsites: analyze: %w: %s has no -d=pgodebug=3 call stats (go1.21+)", ErrUnsupported, rep.GoVersion)
	}
	return rep, pgoBuild(ctx, cfg, rep)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func load(ctx context.Context, cfg Config) ([]*packages.Package, error) {
	lc := &packages.Config{
		Context: ctx, Dir: cfg.Dir, Env: nil,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
	}
	if len(cfg.Env) > 0 {
		lc.Env = append(os.Environ(), cfg.Env...) // what the go command would inherit, plus the extras
	}
	if len(cfg.Tags) > 0 {
		lc.BuildFlags = []string{"-tags=" + strings.Join(cfg.Tags, ",")}
	}
	pkgs, err := packages.Load(lc, cfg.Patterns...)
	if err != nil {
		return nil, fmt.Errorf("callsites: load %s: %w", strings.Join(cfg.Patterns, " "), err)
	}
	var errs []string
	for _, p := range pkgs {
		for _, e := range p.Errors {
			errs = append(errs, e.Error())
		}
	}
	if len(errs) > 0 {
		return nil, &BuildError{Output: []byte(strings.Join(errs, "\n") + "\n")}
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("callsites: load %s: %w", strings.Join(cfg.Patterns, " "), ErrNoPackages)
	}
	return pkgs, nil
}

// findSites lists the indirect calls of a package: interface method calls and calls of function values.
func findSites(p *packages.Package) []Site {
	var out []Site
	for _, f := range p.Syntax {
		var fn string
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				fn = funcName(n)
			case *ast.CallExpr:
				if kind := indirectKind(p.TypesInfo, n); kind != "" {
					pos := p.Fset.Position(n.Lparen)
					out = append(out, Site{
						File: pos.Filename, Line: pos.Line, Col: pos.Column, Func: fn, Kind: kind,
						Expr: types.ExprString(n.Fun),
					})
				}
			}
			return true
		})
	}
	return out
}

func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	return types.ExprString(d.Recv.List[0].Type) + "." + d.Name.Name
}

func indirectKind(info *types.Info, call *ast.CallExpr) string {
	if tv, ok := info.Types[call.Fun]; ok && (tv.IsType() || tv.IsBuiltin()) {
		return ""
	}
	switch obj := typeutil.Callee(info, call).(type) {
	case *types.Func:
		sig, _ := obj.Type().(*types.Signature)
		if sig != nil && sig.Recv() != nil && types.IsInterface(sig.Recv().Type()) {
			if _, isTP := types.Unalias(sig.Recv().Type()).(*types.TypeParam); isTP {
				return ""
			}
			if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
				if s := info.Selections[sel]; s != nil {
					if _, isTP := s.Recv().(*types.TypeParam); isTP {
						return "" // a method of a type parameter: a generic dictionary call
					}
				}
			}
			return "interface"
		}
		return ""
	case *types.Var:
		return "func-value"
	case nil:
		if _, ok := ast.Unparen(call.Fun).(*ast.FuncLit); ok {
			return ""
		}
		return "func-value"
	}
	return ""
}

// methodRE takes the method name off a profile function name: pkg.(*T).M, pkg.T.M, pkg.T[...].M.
var methodRE = regexp.MustCompile(`\.([^.()\[\]]+)$`)

// observe fills a site's callees, weight and class from the profile.
func observe(s *Site, prof *hotlines.Profile, p *packages.Package) {
	method := ""
	if s.Kind == "interface" {
		if i := strings.LastIndexByte(s.Expr, '.'); i >= 0 {
			method = s.Expr[i+1:]
		}
	}
	keep := func(name string) bool {
		if hotlines.IsRuntime(name) {
			return false // asyncPreempt, morestack: the profiler's view of the caller, not a callee
		}
		if method == "" {
			return true
		}
		m := methodRE.FindStringSubmatch(strings.TrimSuffix(name, "-fm"))
		return m != nil && m[1] == method
	}
	for _, c := range prof.CalleesAt(s.File, s.Line) {
		if keep(c.Name) {
			s.Callees = append(s.Callees, Callee{Name: c.Name, Weight: c.Weight})
			s.Weight += c.Weight
		}
	}
	for _, c := range prof.LeafCalleesAt(s.File, s.Line) {
		if !keep(c.Name) {
			continue
		}
		s.LeafWeight += c.Weight
		for i := range s.Callees {
			if s.Callees[i].Name == c.Name {
				s.Callees[i].LeafWeight = c.Weight
			}
		}
	}
	for i := range s.Callees {
		s.Callees[i].Share = float64(s.Callees[i].Weight) / float64(s.Weight)
	}
	s.Share = prof.Share(s.Weight)
	s.Class = Classify(len(s.Callees))
}

// pgoDebugSupported reports whether the toolchain prints -d=pgodebug=3 call stats (go1.21 and later;
// "devel" toolchains are assumed to).
func pgoDebugSupported(v string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(v, "go%d.%d", &major, &minor); err != nil {
		return strings.HasPrefix(v, "devel")
	}
	return major > 1 || minor >= 21
}

// pgoBuild compiles the packages with -pgo and the call-site debug output, and attaches the compiler's
// verdict to each site. The go command replays compiler output on a build-cache hit, so a second run is
// complete and cheap.
func pgoBuild(ctx context.Context, cfg Config, rep *Report) error {
	profAbs, err := filepath.Abs(cfg.Profile)
	if err != nil {
		return fmt.Errorf("callsites: pgo build: %w", err)
	}
	args := []string{"build", "-pgo=" + profAbs, "-o", os.DevNull}
	if len(cfg.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(cfg.Tags, ","))
	}
	for _, p := range cfg.Patterns {
		f := "-gcflags=" + p + "=-m -d=pgodebug=3"
		args = append(args, f)
		rep.PGOFlags = append(rep.PGOFlags, f)
	}
	args = append(args, cfg.Patterns...)
	res, err := gocmd.Run(ctx, gocmd.Cmd{Go: cfg.Go, Dir: cfg.Dir, Args: args, Env: cfg.Env})
	if err != nil {
		var ge *gocmd.Error
		if errors.As(err, &ge) && errors.Is(err, gocmd.ErrFailed) {
			return &BuildError{Output: res.Stderr}
		}
		return fmt.Errorf("callsites: pgo build: %w", err)
	}
	dbg := ParsePGODebug(append(res.Stdout, res.Stderr...))
	rep.PGOLines, rep.PGOStats, rep.PGOUnknown = dbg.Lines, len(dbg.Stats), dbg.Unknown
	rep.UnknownLines, rep.UnknownFields = dbg.UnknownLines, dbg.UnknownFields
	attach(rep, dbg, cfg.Dir)
	return nil
}

type siteKey struct {
	file      string
	line, col int
}

func keyOf(pos, dir string) (siteKey, bool) {
	parts := strings.Split(pos, ":")
	if len(parts) < 3 {
		return siteKey{}, false
	}
	var line, col int
	if _, err := fmt.Sscanf(parts[len(parts)-2]+" "+parts[len(parts)-1], "%d %d", &line, &col); err != nil {
		return siteKey{}, false
	}
	file := strings.Join(parts[:len(parts)-2], ":")
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	return siteKey{filepath.Clean(file), line, col}, true
}

func attach(rep *Report, dbg *PGODebug, dir string) {
	confirmed := map[siteKey]string{}
	for _, d := range dbg.Devirts {
		if k, ok := keyOf(d.Pos, dir); ok {
			confirmed[k] = d.Callee
		}
	}
	stats := map[siteKey]CallStat{}
	for _, st := range dbg.Stats {
		if st.Direct {
			continue
		}
		if k, ok := keyOf(st.Pos, dir); ok {
			stats[k] = st
		}
	}
	for i := range rep.Sites {
		s := &rep.Sites[i]
		k := siteKey{filepath.Clean(s.File), s.Line, s.Col}
		st, ok := stats[k]
		if !ok {
			continue
		}
		v := &Verdict{Devirtualized: st.Devirtualized, Hottest: st.Hottest, Weight: st.Weight}
		v.CalleeWeight = st.HottestWeight
		if st.Devirtualized != "" {
			v.CalleeWeight = st.DevirtualizedWeight
		}
		if st.Weight > 0 {
			v.Share = float64(v.CalleeWeight) / float64(st.Weight)
		}
		if st.Weight == 0 && s.Weight > 0 && s.LeafWeight == 0 {
			v.Note = LeafEdgeNote
		}
		if c, ok := confirmed[k]; ok && st.Devirtualized != "" && strings.HasSuffix(st.Devirtualized, "."+c) {
			v.Confirmed = true
		}
		s.PGO = v
	}
}
