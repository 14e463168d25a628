package escape

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// DirectivePrefix starts every comment that [ParseDirectives] understands.
const DirectivePrefix = "//hotpath:"

// DirectiveKind names what a //hotpath: directive asks of the compiler.
type DirectiveKind string

// The directives. Each may sit in a function's doc comment (it then covers the whole function) or on a
// line of code, trailing it or alone on the line above it (it then covers that line).
const (
	// DirectiveInline on a function: the function must be inlinable, whoever its callers are.
	// On a line: every call on that line to a Go function must be inlined at that site.
	DirectiveInline DirectiveKind = "inline"
	// DirectiveNoEscape on a function: nothing in it moves to the heap and no parameter (receiver
	// included) leaks, not even its content. On a line: nothing allocated on that line escapes.
	DirectiveNoEscape DirectiveKind = "noescape"
	// DirectiveNoBCE on a function or a line: no bounds check remains.
	DirectiveNoBCE DirectiveKind = "nobce"
	// DirectiveDevirt on a line with an interface method call: the call must be devirtualised,
	// statically or by PGO. It is not valid on a function.
	DirectiveDevirt DirectiveKind = "devirt"
)

var directiveKinds = []DirectiveKind{DirectiveInline, DirectiveNoEscape, DirectiveNoBCE, DirectiveDevirt}

// DirectiveScope says whether a directive covers a function or a single line.
type DirectiveScope string

// The scopes of a directive.
const (
	ScopeFunc DirectiveScope = "func"
	ScopeLine DirectiveScope = "line"
)

// Directive is one //hotpath: assertion found in the source.
type Directive struct {
	Kind  DirectiveKind
	Scope DirectiveScope
	// Pos is where the comment itself stands.
	Pos Pos
	// Pkg is the import path of the package whose source holds the directive.
	Pkg string
	// Func is the function the directive covers (ScopeFunc) or stands in (ScopeLine), named as the
	// compiler names it: F, T.M, (*T).M; "" at package level.
	Func string
	// Line is the line the directive covers (ScopeLine) or the line of the function's name (ScopeFunc).
	Line int
	// FirstLine and LastLine bound the function's declaration, signature included (ScopeFunc), or
	// equal Line (ScopeLine).
	FirstLine, LastLine int
	// Calls are the calls on the covered line that the directive is about: static calls to Go
	// functions for DirectiveInline, interface method calls for DirectiveDevirt. Nil otherwise.
	Calls []CallSite
}

// CallSite is a call expression on a line covered by a directive.
type CallSite struct {
	// Col is the column of the call's opening parenthesis, where the compiler reports the call.
	Col int
	// Callee is the called function as written for people: pkg.F, pkg.T.M or pkg.(*T).M (with the
	// package's name) for static calls; the interface method as written (r.Read) for interface calls.
	Callee string
	// Pkg and Name identify a static callee as the compiler does in its own package's diagnostics:
	// the import path, and F, T.M or (*T).M. Both are empty for interface calls.
	Pkg, Name string
	// Dead is true when the call sits in code the compiler removes before it optimises, such as the
	// body of if runtime.GOARCH == "arm" on amd64: such a call is never inlined nor devirtualised.
	Dead bool
}

// DirectiveError is a malformed or misplaced directive.
type DirectiveError struct {
	Pos Pos    `json:"pos"`
	Msg string `json:"message"`
}

func (e *DirectiveError) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// ParseDirectives loads the packages that cfg names (with their test files when cfg.Tests is set),
// type-checks them and returns every //hotpath: directive in their source, sorted by position. Malformed
// directives, such as an unknown kind or devirt on a function, are returned as *DirectiveError values
// joined into the error, next to the directives that did parse.
func ParseDirectives(ctx context.Context, cfg Config) ([]Directive, error) {
	pcfg := &packages.Config{
		Context: ctx,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes |
			packages.NeedTypesInfo,
		Dir:   cfg.Dir,
		Tests: cfg.Tests,
	}
	if len(cfg.Tags) > 0 {
		pcfg.BuildFlags = []string{"-tags=" + strings.Join(cfg.Tags, ",")}
	}
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	pkgs, err := packages.Load(pcfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("escape: load directives: %w", err)
	}
	var loadErrs []error
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			loadErrs = append(loadErrs, fmt.Errorf("escape: load %s: %s", p.PkgPath, e.Msg))
		}
	})
	if len(loadErrs) > 0 {
		return nil, errors.Join(loadErrs...)
	}
	var dirs []Directive
	var errs []error
	seen := map[string]bool{} // a file belongs to a package and its test variant: read it once
	for _, p := range pkgs {
		pkgPath := strings.TrimSuffix(p.PkgPath, "_test")
		for _, f := range p.Syntax {
			name := p.Fset.File(f.Pos()).Name()
			if seen[name] {
				continue
			}
			seen[name] = true
			d, e := FileDirectives(p.Fset, f, p.TypesInfo)
			for i := range d {
				d[i].Pkg = pkgPath
			}
			dirs = append(dirs, d...)
			errs = append(errs, e...)
		}
	}
	slices.SortStableFunc(dirs, func(a, b Directive) int { return comparePos(a.Pos, b.Pos) })
	return dirs, errors.Join(errs...)
}

// FileDirectives returns the directives of one parsed file (parsed with comments). info, when not nil,
// resolves the calls on covered lines; without it Calls stays empty. Errors are *DirectiveError values.
func FileDirectives(fset *token.FileSet, f *ast.File, info *types.Info) ([]Directive, []error) {
	docOwner := map[*ast.CommentGroup]*ast.FuncDecl{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Doc != nil {
			docOwner[fd.Doc] = fd
		}
	}
	tf := fset.File(f.Pos())
	var dirs []Directive
	var errs []error
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if !strings.HasPrefix(c.Text, DirectivePrefix) {
				continue
			}
			pos := positionOf(fset.Position(c.Pos()))
			kinds, err := parseDirectiveKinds(c.Text)
			if err != nil {
				errs = append(errs, &DirectiveError{Pos: pos, Msg: err.Error()})
				continue
			}
			for _, k := range kinds {
				d := Directive{Kind: k, Pos: pos}
				if fd := docOwner[cg]; fd != nil {
					err = placeOnFunc(&d, fset, fd)
				} else {
					err = placeOnLine(&d, fset, tf, f, c, info)
				}
				if err != nil {
					errs = append(errs, &DirectiveError{Pos: pos, Msg: err.Error()})
					continue
				}
				dirs = append(dirs, d)
			}
		}
	}
	return dirs, errs
}

// parseDirectiveKinds reads "//hotpath:inline,noescape" (anything after a space is a free comment).
func parseDirectiveKinds(text string) ([]DirectiveKind, error) {
	body := strings.TrimPrefix(text, DirectivePrefix)
	if i := strings.IndexAny(body, " \t"); i >= 0 {
		body = body[:i]
	}
	if body == "" {
		return nil, fmt.Errorf("empty directive (want one of %s)", kindList())
	}
	var kinds []DirectiveKind
	for _, w := range strings.Split(body, ",") {
		k := DirectiveKind(w)
		if !validKind(k) {
			msg := fmt.Sprintf("unknown directive %q (want one of %s)", w, kindList())
			if s := closestKind(w); s != "" {
				msg = fmt.Sprintf("unknown directive %q (did you mean %q?)", w, s)
			}
			return nil, errors.New(msg)
		}
		kinds = append(kinds, k)
	}
	return kinds, nil
}

func validKind(k DirectiveKind) bool {
	for _, v := range directiveKinds {
		if k == v {
			return true
		}
	}
	return false
}

func kindList() string {
	s := make([]string, len(directiveKinds))
	for i, k := range directiveKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// closestKind suggests the known kind within edit distance 2 of w, if any.
func closestKind(w string) DirectiveKind {
	best, bestD := DirectiveKind(""), 3
	for _, k := range directiveKinds {
		if d := editDistance(w, string(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func placeOnFunc(d *Directive, fset *token.FileSet, fd *ast.FuncDecl) error {
	if d.Kind == DirectiveDevirt {
		return errors.New("devirt applies to a line with an interface call, not to a function")
	}
	if fd.Body == nil {
		return fmt.Errorf("%s on %s, which has no body", d.Kind, fd.Name.Name)
	}
	d.Scope = ScopeFunc
	d.Func = funcName(fd)
	d.Line = fset.Position(fd.Name.Pos()).Line
	d.FirstLine = fset.Position(fd.Pos()).Line
	d.LastLine = fset.Position(fd.End()).Line
	return nil
}

// placeOnLine binds a directive to the line it trails, or to the next line of code when it stands alone.
func placeOnLine(d *Directive, fset *token.FileSet, tf *token.File, f *ast.File, c *ast.Comment, info *types.Info) error {
	line := fset.Position(c.Pos()).Line
	if !codeBefore(tf, f, c) {
		next, ok := nextCodeLine(fset, f, line)
		if !ok {
			return fmt.Errorf("%s directive is not followed by code", d.Kind)
		}
		line = next
	}
	d.Scope = ScopeLine
	d.Line, d.FirstLine, d.LastLine = line, line, line
	fd := enclosingFunc(fset, f, line)
	if fd != nil {
		d.Func = funcName(fd)
	}
	switch d.Kind {
	case DirectiveInline, DirectiveDevirt:
		if fd == nil {
			return fmt.Errorf("%s directive on a line outside any function", d.Kind)
		}
		if info != nil {
			d.Calls = lineCalls(fset, fd, line, info, d.Kind == DirectiveDevirt)
			if len(d.Calls) == 0 {
				what := "call to a Go function"
				if d.Kind == DirectiveDevirt {
					what = "interface method call"
				}
				return fmt.Errorf("%s directive on line %d, which has no %s", d.Kind, line, what)
			}
		}
	}
	return nil
}

// codeBefore reports whether code precedes the comment on its line (a trailing comment).
func codeBefore(tf *token.File, f *ast.File, c *ast.Comment) bool {
	line := tf.Line(c.Pos())
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if found || n == nil {
			return false
		}
		switch n.(type) {
		case *ast.CommentGroup, *ast.Comment:
			return false
		}
		if n.End() <= c.Pos() && tf.Line(n.End()) == line {
			found = true
		}
		return n.Pos() < c.Pos()
	})
	return found
}

// nextCodeLine finds the first line after line on which a node of the file starts.
func nextCodeLine(fset *token.FileSet, f *ast.File, line int) (int, bool) {
	best := 0
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		switch n.(type) {
		case *ast.CommentGroup, *ast.Comment:
			return false
		}
		l := fset.Position(n.Pos()).Line
		if l > line && (best == 0 || l < best) {
			best = l
		}
		return fset.Position(n.End()).Line > line
	})
	return best, best != 0
}

func enclosingFunc(fset *token.FileSet, f *ast.File, line int) *ast.FuncDecl {
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		if fset.Position(fd.Pos()).Line <= line && line <= fset.Position(fd.End()).Line {
			return fd
		}
	}
	return nil
}

// lineCalls lists the calls on line inside fd: static calls to Go functions, or interface method calls.
func lineCalls(fset *token.FileSet, fd *ast.FuncDecl, line int, info *types.Info, iface bool) []CallSite {
	var calls []CallSite
	var stack []ast.Node
	ast.Inspect(fd, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		stack = append(stack, n)
		call, ok := n.(*ast.CallExpr)
		if !ok || fset.Position(call.Lparen).Line != line {
			return true
		}
		var site CallSite
		if iface {
			site.Callee = interfaceCallee(call, info)
		} else {
			site = staticCallee(call, info)
		}
		if site.Callee != "" {
			site.Col = fset.Position(call.Lparen).Column
			site.Dead = deadCode(stack, info)
			calls = append(calls, site)
		}
		return true
	})
	return calls
}

// staticCallee names the Go function a call statically resolves to; Callee is "" for builtins,
// conversions, function values and interface calls.
func staticCallee(call *ast.CallExpr, info *types.Info) CallSite {
	fun := ast.Unparen(call.Fun)
	switch x := fun.(type) {
	case *ast.IndexExpr:
		fun = x.X
	case *ast.IndexListExpr:
		fun = x.X
	}
	var id *ast.Ident
	switch x := fun.(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	default:
		return CallSite{}
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok || fn.Pkg() == nil {
		return CallSite{}
	}
	sig, _ := fn.Type().(*types.Signature)
	if sig != nil && sig.Recv() != nil && types.IsInterface(sig.Recv().Type()) {
		return CallSite{}
	}
	name := compilerFuncName(fn)
	return CallSite{Callee: fn.Pkg().Name() + "." + name, Pkg: fn.Pkg().Path(), Name: name}
}

// interfaceCallee returns "x.M" for a call of method M through an interface value, else "".
func interfaceCallee(call *ast.CallExpr, info *types.Info) string {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	s := info.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal || !types.IsInterface(s.Recv()) {
		return ""
	}
	return types.ExprString(sel)
}

// compilerFuncName names fn as the compiler does inside fn's own package: F, T.M or (*T).M.
func compilerFuncName(fn *types.Func) string {
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return fn.Name()
	}
	rt := sig.Recv().Type()
	ptr := false
	if p, ok := rt.(*types.Pointer); ok {
		ptr, rt = true, p.Elem()
	}
	name := "?"
	if n, ok := rt.(*types.Named); ok {
		name = n.Obj().Name()
	}
	if ptr {
		return "(*" + name + ")." + fn.Name()
	}
	return name + "." + fn.Name()
}

// deadCode reports whether the innermost node of stack sits in a branch that a constant condition
// rules out (if false {…}, if runtime.GOARCH == "arm" {…} on amd64, the else of if true), which the
// compiler deletes before inlining.
func deadCode(stack []ast.Node, info *types.Info) bool {
	for i := len(stack) - 2; i >= 0; i-- {
		ifs, ok := stack[i].(*ast.IfStmt)
		if !ok {
			continue
		}
		tv, ok := info.Types[ifs.Cond]
		if !ok || tv.Value == nil || tv.Value.Kind() != constant.Bool {
			continue
		}
		taken := constant.BoolVal(tv.Value)
		child := stack[i+1]
		if (child == ifs.Body && !taken) || (child == ifs.Else && taken) {
			return true
		}
	}
	return false
}

// positionOf converts a token.Position into a Pos with the absolute, cleaned file path.
func positionOf(p token.Position) Pos {
	return Pos{File: filepath.Clean(p.Filename), Line: p.Line, Col: p.Column}
}

func comparePos(a, b Pos) int {
	return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
}
