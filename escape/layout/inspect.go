package layout

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"regexp"
	"sort"
	"strings"
)

// Input is one type-checked package, as go/analysis or go/packages provide it.
type Input struct {
	Fset  *token.FileSet
	Files []*ast.File
	Pkg   *types.Package
	// Info must have Defs, Uses, Types, Selections and Instances filled in.
	Info *types.Info
	// Sizes are the target's sizes (types.SizesFor("gc", GOARCH)); nil means the host's.
	Sizes types.Sizes
}

// fieldDecl is where a struct's fields are written, for rewrites.
type fieldDecl struct {
	file   *ast.File
	st     *ast.StructType
	fields map[*types.Var]*ast.Field
	block  []int // per field index: which blank-line-separated block of the declaration it is in
}

// Inspect returns the layout of every named struct type the package declares (generic ones once per
// instance the package uses, as their layout depends on the type arguments), ordered by position.
func Inspect(in Input) []*Struct {
	if in.Sizes == nil {
		in.Sizes = types.SizesFor("gc", "amd64")
	}
	c := newCalc(in.Sizes)
	atomicUses := map[*types.Var]bool{}
	collectAtomicCalls(in.Files, in.Info, atomicUses)
	var out []*Struct
	byType := map[*types.Named]*Struct{}
	decls := map[*types.Named]*fieldDecl{}
	for _, f := range in.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok || ts.Assign.IsValid() {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			tn, _ := in.Info.Defs[ts.Name].(*types.TypeName)
			if tn == nil {
				return true
			}
			named, _ := tn.Type().(*types.Named)
			if named == nil {
				return true
			}
			decls[named] = newFieldDecl(in.Fset, f, st, named)
			if named.TypeParams().Len() > 0 || containsTypeParam(named.Underlying()) {
				return true // laid out per instance below, or declared inside generic code
			}
			s := c.inspect(named, in.Fset.Position(ts.Name.Pos()), decls[named], atomicUses)
			byType[named] = s
			out = append(out, s)
			return true
		})
	}
	seen := map[string]bool{}
	for _, inst := range sortedInstances(in) {
		named, _ := inst.Type.(*types.Named)
		if named == nil || decls[named.Origin()] == nil || hasTypeParams(named) {
			continue
		}
		key := types.TypeString(named, nil)
		if seen[key] {
			continue
		}
		seen[key] = true
		pos := in.Fset.Position(named.Origin().Obj().Pos())
		s := c.inspect(named, pos, decls[named.Origin()], atomicUses)
		s.Generic = true
		byType[named] = s
		out = append(out, s)
	}
	elementSharing(in, c, byType)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Pos, out[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func sortedInstances(in Input) []types.Instance {
	type pair struct {
		id   *ast.Ident
		inst types.Instance
	}
	var ps []pair
	for id, inst := range in.Info.Instances {
		ps = append(ps, pair{id, inst})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].id.Pos() < ps[j].id.Pos() })
	out := make([]types.Instance, len(ps))
	for i, p := range ps {
		out[i] = p.inst
	}
	return out
}

// hasTypeParams reports whether an instance still mentions type parameters (an instance inside the
// generic code itself, such as a method receiver), whose layout is unknown.
func hasTypeParams(n *types.Named) bool {
	for t := range n.TypeArgs().Types() {
		if containsTypeParam(t) {
			return true
		}
	}
	return false
}

func containsTypeParam(t types.Type) bool {
	switch t := t.(type) {
	case *types.TypeParam:
		return true
	case *types.Pointer:
		return containsTypeParam(t.Elem())
	case *types.Slice:
		return containsTypeParam(t.Elem())
	case *types.Array:
		return containsTypeParam(t.Elem())
	case *types.Map:
		return containsTypeParam(t.Key()) || containsTypeParam(t.Elem())
	case *types.Chan:
		return containsTypeParam(t.Elem())
	case *types.Named:
		for a := range t.TypeArgs().Types() {
			if containsTypeParam(a) {
				return true
			}
		}
	case *types.Struct:
		for f := range t.Fields() {
			if containsTypeParam(f.Type()) {
				return true
			}
		}
	}
	return false
}

func newFieldDecl(fset *token.FileSet, f *ast.File, st *ast.StructType, named *types.Named) *fieldDecl {
	d := &fieldDecl{file: f, st: st, fields: map[*types.Var]*ast.Field{}}
	tst, _ := named.Underlying().(*types.Struct)
	if tst == nil {
		return d
	}
	i, block, prevEnd := 0, 0, -1
	for _, af := range st.Fields.List {
		start, end := af.Pos(), af.End()
		if af.Doc != nil {
			start = af.Doc.Pos()
		}
		if af.Comment != nil {
			end = af.Comment.End()
		}
		if prevEnd >= 0 && fset.Position(start).Line > prevEnd+1 {
			block++
		}
		prevEnd = fset.Position(end).Line
		n := max(len(af.Names), 1)
		for k := 0; k < n && i < tst.NumFields(); k++ {
			d.fields[tst.Field(i)] = af
			d.block = append(d.block, block)
			i++
		}
	}
	return d
}

// guards assigns each field the mutex that guards it by declaration: a mutex guards the fields after it
// in its block (fields up to the next blank line), or the next block when it ends its own, as in
//
//	mu sync.Mutex // guards the fields below
//
//	a, b int
//
// A later mutex ends the range.
func guards(st *types.Struct, d *fieldDecl) []string {
	n := st.NumFields()
	out := make([]string, n)
	block := func(i int) int {
		if d == nil || i >= len(d.block) {
			return 0
		}
		return d.block[i]
	}
	for i := range n {
		if !isMutex(st.Field(i).Type()) || i+1 >= n {
			continue
		}
		target := block(i + 1)
		for j := i + 1; j < n && block(j) == target && !isMutex(st.Field(j).Type()); j++ {
			out[j] = st.Field(i).Name()
		}
	}
	return out
}

// commentNames returns the first of names that a field's comments contain as a word, or "".
func commentNames(d *fieldDecl, v *types.Var, names []string) string {
	if d == nil || d.fields[v] == nil {
		return ""
	}
	af := d.fields[v]
	var text string
	for _, cg := range []*ast.CommentGroup{af.Doc, af.Comment} {
		if cg != nil {
			text += " " + cg.Text()
		}
	}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		for _, n := range names {
			if w == n {
				return n
			}
		}
	}
	return ""
}

// guardRE matches the usual ways of saying which mutex guards a field.
var guardRE = regexp.MustCompile(`(?i)\b(?:guarded|protected) by ([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)`)

func (c *calc) inspect(named *types.Named, pos token.Position, decl *fieldDecl, atomicUses map[*types.Var]bool) *Struct {
	st := named.Underlying().(*types.Struct)
	ms := make([]member, 0, st.NumFields())
	byDecl := guards(named.Origin().Underlying().(*types.Struct), decl)
	var mus []string
	for f := range st.Fields() {
		if isMutex(f.Type()) {
			mus = append(mus, f.Name())
		}
	}
	for i := range st.NumFields() {
		v := st.Field(i)
		m := member{v: v, size: c.sizes.Sizeof(v.Type()), align: c.sizes.Alignof(v.Type()), ptr: c.ptrBytes(v.Type()), index: i}
		m.barrier = v.Name() == "_" || isPadType(v.Type())
		switch {
		case m.barrier:
		case isAtomic(v.Type()) || atomicUses[v.Origin()]:
			// An atomic is its own writer, unless its comment or a mutex's comment ties the two.
			m.role, m.unit = "atomic", v.Name()
			if mu := commentNames(decl, v.Origin(), mus); mu != "" {
				m.unit = mu
			}
			for f := range named.Origin().Underlying().(*types.Struct).Fields() {
				if isMutex(f.Type()) && commentNames(decl, f, []string{v.Name()}) != "" {
					m.unit = f.Name() // the mutex's comment names this atomic
				}
			}
		case isMutex(v.Type()):
			m.role, m.unit = "mutex", v.Name()
		default:
			if g := guardComment(decl, v.Origin()); g != "" {
				m.role, m.unit = "guarded:"+g, g
			} else if g := byDecl[i]; g != "" {
				m.role, m.unit = "guarded:"+g, g
			}
		}
		ms = append(ms, m)
	}
	name := types.TypeString(named, types.RelativeTo(named.Obj().Pkg()))
	pkg := ""
	if p := named.Obj().Pkg(); p != nil {
		pkg = p.Path()
	}
	s := c.build(name, pkg, st, ms)
	s.Pos = pos
	s.named = named
	s.decl = decl
	return s
}

func guardComment(d *fieldDecl, v *types.Var) string {
	if d == nil {
		return ""
	}
	af := d.fields[v]
	if af == nil {
		return ""
	}
	for _, cg := range []*ast.CommentGroup{af.Doc, af.Comment} {
		if cg == nil {
			continue
		}
		if m := guardRE.FindStringSubmatch(cg.Text()); m != nil {
			return m[1]
		}
	}
	return ""
}

// isAtomic reports whether t is one of sync/atomic's types.
func isAtomic(t types.Type) bool {
	n, _ := types.Unalias(t).(*types.Named)
	return n != nil && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "sync/atomic"
}

func isMutex(t types.Type) bool {
	n, _ := types.Unalias(t).(*types.Named)
	if n == nil || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "sync" {
		return false
	}
	return n.Obj().Name() == "Mutex" || n.Obj().Name() == "RWMutex"
}

// isPadType reports whether a field's type is padding by name (cpu.CacheLinePad and the like).
func isPadType(t types.Type) bool {
	n, _ := types.Unalias(t).(*types.Named)
	return n != nil && strings.Contains(strings.ToLower(n.Obj().Name()), "pad")
}

// collectAtomicCalls finds fields passed by address to sync/atomic functions (atomic.AddInt64(&s.n, 1)).
func collectAtomicCalls(files []*ast.File, info *types.Info, out map[*types.Var]bool) {
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
			if !ok {
				return true
			}
			fn, ok := info.Uses[sel.Sel].(*types.Func)
			if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "sync/atomic" {
				return true
			}
			addr, ok := ast.Unparen(call.Args[0]).(*ast.UnaryExpr)
			if !ok || addr.Op != token.AND {
				return true
			}
			fsel, ok := ast.Unparen(addr.X).(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if s := info.Selections[fsel]; s != nil && s.Kind() == types.FieldVal {
				if v, ok := s.Obj().(*types.Var); ok {
					out[v.Origin()] = true
				}
			}
			return true
		})
	}
}

// elementSharing flags slices and arrays of small structs that hold atomics or mutexes: neighbouring
// elements share a cache line, so goroutines working on different elements still contend.
func elementSharing(in Input, c *calc, byType map[*types.Named]*Struct) {
	done := map[*Struct]bool{}
	type hit struct {
		pos token.Pos
		t   types.Type
	}
	var hits []hit
	for e, tv := range in.Info.Types {
		if tv.IsType() {
			hits = append(hits, hit{e.Pos(), tv.Type})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })
	for _, h := range hits {
		var elem types.Type
		kind := ""
		switch t := h.t.(type) {
		case *types.Slice:
			elem, kind = t.Elem(), "[]"
		case *types.Array:
			elem, kind = t.Elem(), fmt.Sprintf("[%d]", t.Len())
		default:
			continue
		}
		named, _ := types.Unalias(elem).(*types.Named)
		s := byType[named]
		if s == nil || done[s] || s.Size == 0 || s.Size >= CacheLine {
			continue
		}
		var hot []string
		for _, f := range s.Fields {
			if f.Role == "atomic" || f.Role == "mutex" {
				hot = append(hot, f.Name)
			}
		}
		if len(hot) == 0 {
			continue
		}
		done[s] = true
		p := in.Fset.Position(h.pos)
		s.Sharing = append(s.Sharing, Sharing{
			Line: -1, Fields: []string{kind + s.Name},
			Why: fmt.Sprintf("%s%s at %s:%d: elements are %d bytes, so up to %d neighbours share a cache line and contend on %s; pad %s to %d bytes",
				kind, s.Name, shortFile(p.Filename), p.Line, s.Size, (CacheLine+s.Size-1)/s.Size, strings.Join(hot, ", "), s.Name, CacheLine),
		})
	}
}

func shortFile(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
