package layout

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"sort"
	"strconv"
)

// Weigher gives a profile's weight at a source line. *hotlines.Profile implements it.
type Weigher interface {
	// Self is the weight charged to the line itself (allocated bytes, or CPU time including the
	// runtime work it calls, such as malloc and map hashing).
	Self(file string, line int) int64
	// Objects is the number of objects allocated at the line (0 for CPU profiles).
	Objects(file string, line int) int64
}

// Ranked is a struct with the profile weight of the lines that allocate it.
type Ranked struct {
	*Struct
	Weight  int64            `json:"weight"`            // profile weight at the lines that allocate the type
	Objects int64            `json:"objects,omitempty"` // objects allocated there (heap profiles)
	Score   int64            `json:"score"`             // bytes the best order would have saved (weight × saved for CPU profiles)
	Sites   []token.Position `json:"sites,omitempty"`   // allocation sites with weight, heaviest first
}

// site is one place that allocates a struct type: &T{}, new(T), T{} or make([]T, n).
type site struct {
	pos   token.Position
	named *types.Named
	slice bool // make([]T, n) or []T{...}: the weight is bytes of many elements
}

// Rank joins structs with a profile: each struct gets the weight of the lines that allocate it and a
// score, the bytes its best order would have saved there — for single objects the allocated object
// count times the size-class saving, for slices the allocated bytes times the per-element saving.
// Structs without weight get a zero score; the result is sorted by score, then weight.
func Rank(in Input, structs []*Struct, w Weigher) []Ranked {
	sites := allocSites(in)
	byNamed := map[*types.Named][]site{}
	for _, s := range sites {
		byNamed[s.named] = append(byNamed[s.named], s)
	}
	out := make([]Ranked, 0, len(structs))
	for _, st := range structs {
		r := Ranked{Struct: st}
		type weighted struct {
			pos token.Position
			w   int64
		}
		var ws []weighted
		seen := map[token.Position]bool{}
		for _, s := range byNamed[st.named] {
			line := token.Position{Filename: s.pos.Filename, Line: s.pos.Line}
			if seen[line] {
				continue
			}
			seen[line] = true
			wt, objs := w.Self(s.pos.Filename, s.pos.Line), w.Objects(s.pos.Filename, s.pos.Line)
			if wt == 0 {
				continue
			}
			ws = append(ws, weighted{s.pos, wt})
			r.Weight += wt
			r.Objects += objs
			switch {
			case s.slice && st.Size > 0:
				r.Score += wt * st.Saved() / st.Size
			case objs > 0:
				r.Score += objs * st.ClassSaved()
			default:
				r.Score += wt * st.ClassSaved()
			}
		}
		sort.SliceStable(ws, func(i, j int) bool { return ws[i].w > ws[j].w })
		for _, x := range ws {
			r.Sites = append(r.Sites, x.pos)
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Weight > out[j].Weight
	})
	return out
}

func allocSites(in Input) []site {
	var out []site
	named := func(t types.Type) *types.Named {
		n, _ := types.Unalias(t).(*types.Named)
		if n == nil {
			return nil
		}
		if _, ok := n.Underlying().(*types.Struct); !ok {
			return nil
		}
		return n
	}
	for _, f := range in.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				t := in.Info.TypeOf(n)
				if nt := named(t); nt != nil {
					out = append(out, site{pos: in.Fset.Position(n.Pos()), named: nt})
				} else if sl, ok := types.Unalias(t).(*types.Slice); ok {
					if nt := named(sl.Elem()); nt != nil {
						out = append(out, site{pos: in.Fset.Position(n.Pos()), named: nt, slice: true})
					}
				}
			case *ast.CallExpr:
				id, ok := ast.Unparen(n.Fun).(*ast.Ident)
				if !ok || len(n.Args) == 0 {
					return true
				}
				if _, ok := in.Info.Uses[id].(*types.Builtin); !ok {
					return true
				}
				t := in.Info.TypeOf(n.Args[0])
				switch id.Name {
				case "new":
					if nt := named(t); nt != nil {
						out = append(out, site{pos: in.Fset.Position(n.Pos()), named: nt})
					}
				case "make":
					if sl, ok := types.Unalias(t).(*types.Slice); ok {
						if nt := named(sl.Elem()); nt != nil {
							out = append(out, site{pos: in.Fset.Position(n.Pos()), named: nt, slice: true})
						}
					}
				}
			}
			return true
		})
	}
	return out
}

// MapRecord is a map[string]any (or map[string]interface{}) used as a record: built with constant
// keys or indexed with them. Each access hashes the key and boxes the value; a struct has fixed offsets
// and unboxed fields. This is the dynamic-shape trap V8 warns about with objects whose properties are
// added at run time.
type MapRecord struct {
	Pos    token.Position `json:"pos"`
	Keys   []string       `json:"keys"`
	Weight int64          `json:"weight"` // profile weight of the line
}

// MapRecords finds map[string]any records on lines with profile weight (all of them when w is nil),
// heaviest first.
func MapRecords(in Input, w Weigher) []MapRecord {
	type key struct {
		file string
		line int
	}
	byLine := map[key]*MapRecord{}
	var order []key
	add := func(pos token.Pos, k string) {
		p := in.Fset.Position(pos)
		kk := key{p.Filename, p.Line}
		r := byLine[kk]
		if r == nil {
			r = &MapRecord{Pos: p}
			byLine[kk] = r
			order = append(order, kk)
		}
		for _, x := range r.Keys {
			if x == k {
				return
			}
		}
		r.Keys = append(r.Keys, k)
	}
	for _, f := range in.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if !isRecordMap(in.Info.TypeOf(n)) {
					return true
				}
				for _, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if k, ok := constString(in.Info, kv.Key); ok {
							add(n.Pos(), k)
						}
					}
				}
			case *ast.IndexExpr:
				if !isRecordMap(in.Info.TypeOf(n.X)) {
					return true
				}
				if k, ok := constString(in.Info, n.Index); ok {
					add(n.Pos(), k)
				}
			}
			return true
		})
	}
	var out []MapRecord
	for _, k := range order {
		r := byLine[k]
		if w != nil {
			r.Weight = w.Self(k.file, k.line)
			if r.Weight == 0 {
				continue
			}
		}
		out = append(out, *r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Weight > out[j].Weight })
	return out
}

func isRecordMap(t types.Type) bool {
	if t == nil {
		return false
	}
	m, ok := t.Underlying().(*types.Map)
	if !ok {
		return false
	}
	k, ok := m.Key().Underlying().(*types.Basic)
	if !ok || k.Kind() != types.String {
		return false
	}
	it, ok := m.Elem().Underlying().(*types.Interface)
	return ok && it.NumMethods() == 0
}

func constString(info *types.Info, e ast.Expr) (string, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	s, err := strconv.Unquote(tv.Value.ExactString())
	return s, err == nil
}
