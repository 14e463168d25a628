package layout

import (
	"fmt"
	"go/types"
	"sort"
	"strings"
)

// member is one field with everything the layout and order computations need.
type member struct {
	v       *types.Var
	size    int64
	align   int64
	ptr     int64 // pointer-bearing prefix of the field
	role    string
	unit    string // who writes it concurrently: an atomic's own name, or the guarding mutex; "" for nobody
	barrier bool
	index   int // declaration index
}

// calc computes layouts for one target.
type calc struct {
	sizes   types.Sizes
	ptrSize int64
}

func newCalc(sizes types.Sizes) *calc {
	return &calc{sizes: sizes, ptrSize: sizes.Sizeof(types.Typ[types.UnsafePointer])}
}

// ptrBytes is the pointer-bearing prefix of t: the bytes from its start to the end of its last pointer.
func (c *calc) ptrBytes(t types.Type) int64 {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch u.Kind() {
		case types.String, types.UnsafePointer:
			return c.ptrSize
		}
		return 0
	case *types.Pointer, *types.Map, *types.Chan, *types.Signature:
		return c.ptrSize
	case *types.Slice:
		return c.ptrSize
	case *types.Interface:
		return 2 * c.ptrSize
	case *types.Array:
		ep := c.ptrBytes(u.Elem())
		if ep == 0 || u.Len() == 0 {
			return 0
		}
		return (u.Len()-1)*c.sizes.Sizeof(u.Elem()) + ep
	case *types.Struct:
		var vars []*types.Var
		for f := range u.Fields() {
			vars = append(vars, f)
		}
		offs := c.sizes.Offsetsof(vars)
		var p int64
		for i, f := range vars {
			if fp := c.ptrBytes(f.Type()); fp > 0 {
				p = offs[i] + fp
			}
		}
		return p
	}
	return 0
}

// layoutOf lays the members out in the given order: offsets, total size and pointer prefix.
func (c *calc) layoutOf(ms []member) (offs []int64, size, ptr int64) {
	vars := make([]*types.Var, len(ms))
	for i, m := range ms {
		vars[i] = m.v
	}
	offs = c.sizes.Offsetsof(vars)
	size = c.sizes.Sizeof(types.NewStruct(vars, nil))
	for i, m := range ms {
		if m.ptr > 0 {
			ptr = offs[i] + m.ptr
		}
	}
	return offs, size, ptr
}

// build computes the Struct for a struct type whose fields are described by ms.
func (c *calc) build(name, pkg string, st *types.Struct, ms []member) *Struct {
	s := &Struct{Name: name, Pkg: pkg, Size: c.sizes.Sizeof(st), Align: c.sizes.Alignof(st)}
	offs, _, ptr := c.layoutOf(ms)
	s.PtrBytes = ptr
	s.Class = AllocSize(s.Size, ptr > 0, c.ptrSize)
	var end int64
	for i, m := range ms {
		if offs[i] > end {
			s.Holes = append(s.Holes, Hole{After: prevName(ms, i), Offset: end, Size: offs[i] - end})
			s.Padding += offs[i] - end
		}
		f := Field{
			Name: m.v.Name(), Type: types.TypeString(m.v.Type(), pkgName(m.v.Pkg())),
			Offset: offs[i], Size: m.size, Align: m.align, PtrBytes: m.ptr, Role: m.role, Barrier: m.barrier,
		}
		f.FirstLine, f.LastLine = lines(offs[i], m.size)
		s.Fields = append(s.Fields, f)
		end = offs[i] + m.size
	}
	if s.Size > end {
		s.Holes = append(s.Holes, Hole{After: prevName(ms, len(ms)), Offset: end, Size: s.Size - end})
		s.Padding += s.Size - end
	}
	s.Sharing = sharing(ms, offs)
	c.best(s, ms)
	return s
}

func prevName(ms []member, i int) string {
	if i == 0 {
		return ""
	}
	return ms[i-1].v.Name()
}

// lines is the first and last cache line a span of bytes touches (a zero-size span touches its start).
func lines(off, size int64) (int64, int64) {
	last := off + size - 1
	if size == 0 {
		last = off
	}
	return off / CacheLine, last / CacheLine
}

// best fills s.Best with the smallest order that keeps explicit padding where it is, or explains in
// s.BestBlocked why a smaller order is not suggested.
func (c *calc) best(s *Struct, ms []member) {
	origOffs, _, _ := c.layoutOf(ms)
	var bestOrder []member
	var bestSize, bestPtr int64 = s.Size, s.PtrBytes
	blocked := ""
	for _, mode := range []orderMode{auto, descending, ascending} {
		order := c.bestOrder(ms, origOffs, mode)
		offs, size, ptr := c.layoutOf(order)
		if size > bestSize || (size == bestSize && ptr >= bestPtr) {
			continue
		}
		if added := newSharing(s.Sharing, sharing(order, offs)); added != "" {
			if blocked == "" {
				blocked = fmt.Sprintf("the %d-byte order would put %s on one cache line", size, added)
			}
			continue
		}
		bestOrder, bestSize, bestPtr = order, size, ptr
	}
	if bestOrder == nil {
		s.BestBlocked = blocked
		return
	}
	b := &Order{Size: bestSize, PtrBytes: bestPtr, Class: AllocSize(bestSize, bestPtr > 0, c.ptrSize)}
	for _, m := range bestOrder {
		b.Fields = append(b.Fields, m.v.Name())
		b.index = append(b.index, m.index)
	}
	s.Best = b
}

type orderMode int

const (
	auto       orderMode = iota // per run, whichever of the two sorts ends the run earlier
	descending                  // alignment descending in every run
	ascending                   // alignment ascending in every run
)

// bestOrder reorders each run of fields between explicit padding. Within a run it tries the classic
// order (zero-size first, alignment descending, pointers first with the one that has the most trailing
// scalar bytes last) and its alignment-ascending mirror, which wins when the run starts at an offset
// that is not aligned for its widest field. A run that ends in padding may only be reordered if the
// padding stays at its offset: the padding is there to put what follows on another cache line.
func (c *calc) bestOrder(ms []member, origOffs []int64, mode orderMode) []member {
	var out []member
	for i := 0; i < len(ms); {
		if ms[i].barrier {
			out = append(out, ms[i])
			i++
			continue
		}
		j := i
		for j < len(ms) && !ms[j].barrier {
			j++
		}
		run := ms[i:j]
		cands := [][]member{sortRun(run, false), sortRun(run, true)}
		switch mode {
		case descending:
			cands = cands[:1]
		case ascending:
			cands = cands[1:]
		}
		bestRun := run
		var bestEnd, bestPtr int64 = -1, -1
		for _, cand := range append(cands, run) {
			trial := append(append(append([]member(nil), out...), cand...), ms[j:]...)
			offs, _, ptr := c.layoutOf(trial)
			if j < len(ms) && offs[j] != origOffs[j] {
				continue // would move the padding
			}
			end := offs[len(out)+len(cand)-1] + cand[len(cand)-1].size
			if bestEnd < 0 || end < bestEnd || (end == bestEnd && ptr < bestPtr) {
				bestRun, bestEnd, bestPtr = cand, end, ptr
			}
		}
		out = append(out, bestRun...)
		i = j
	}
	return out
}

func sortRun(run []member, ascending bool) []member {
	r := append([]member(nil), run...)
	sort.SliceStable(r, func(i, j int) bool {
		a, b := r[i], r[j]
		if (a.size == 0) != (b.size == 0) {
			return a.size == 0
		}
		if a.align != b.align {
			return (a.align > b.align) != ascending
		}
		if (a.ptr > 0) != (b.ptr > 0) {
			return a.ptr > 0
		}
		if a.ptr > 0 {
			return a.size-a.ptr < b.size-b.ptr
		}
		return false
	})
	return r
}

// sharing finds cache lines written by more than one party (atomics, each mutex with its fields).
func sharing(ms []member, offs []int64) []Sharing {
	type touch struct {
		units      []string
		fields     []string
		fieldUnits []string
	}
	byLine := map[int64]*touch{}
	var order []int64
	for i, m := range ms {
		if m.unit == "" {
			continue
		}
		first, last := lines(offs[i], m.size)
		for l := first; l <= last; l++ {
			t := byLine[l]
			if t == nil {
				t = &touch{}
				byLine[l] = t
				order = append(order, l)
			}
			if !contains(t.units, m.unit) {
				t.units = append(t.units, m.unit)
			}
			t.fields = append(t.fields, m.v.Name())
			t.fieldUnits = append(t.fieldUnits, m.unit)
		}
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	var out []Sharing
	for _, l := range order {
		t := byLine[l]
		if len(t.units) < 2 {
			continue
		}
		out = append(out, Sharing{
			Line: l, Fields: t.fields, units: t.fieldUnits,
			Why: fmt.Sprintf("%d independently written groups (%s) share cache line %d", len(t.units), strings.Join(t.units, ", "), l),
		})
	}
	return out
}

// newSharing names a pair of write groups that share a line in after but in no line of before.
func newSharing(before, after []Sharing) string {
	had := map[string]bool{}
	for _, s := range before {
		for _, a := range s.Fields {
			for _, b := range s.Fields {
				had[a+"\x00"+b] = true
			}
		}
	}
	for _, s := range after {
		if len(s.units) != len(s.Fields) {
			continue
		}
		for i, a := range s.Fields {
			for j, b := range s.Fields {
				if s.units[i] != s.units[j] && !had[a+"\x00"+b] {
					return a + " and " + b
				}
			}
		}
	}
	return ""
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// pkgName qualifies types from other packages by package name, as Go source does.
func pkgName(self *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == self {
			return ""
		}
		return p.Name()
	}
}
