package layout

import (
	"go/token"
	"go/types"
)

// CacheLine is the cache line size the report uses, in bytes. It is 64 on every GOARCH Go supports
// except a few (ppc64, s390x use 128); 64 is what false sharing is judged against.
const CacheLine = 64

// Struct is the layout of one struct type for one target (GOARCH).
type Struct struct {
	Name     string         `json:"name"`              // type name, with type arguments for generic instances
	Pkg      string         `json:"pkg"`               // import path of the package that declares it
	Pos      token.Position `json:"pos"`               // the type's declaration
	Size     int64          `json:"size"`              // bytes, as unsafe.Sizeof reports
	Align    int64          `json:"align"`             // bytes
	Padding  int64          `json:"padding"`           // bytes of padding, inner and trailing
	PtrBytes int64          `json:"ptr_bytes"`         // pointer-bearing prefix the GC scans
	Class    int64          `json:"alloc_size"`        // bytes one heap object of this type takes (size class)
	Fields   []Field        `json:"fields"`            // in declaration order
	Holes    []Hole         `json:"holes,omitempty"`   // where the padding is
	Generic  bool           `json:"generic,omitempty"` // an instance of a generic type
	Best     *Order         `json:"best,omitempty"`    // a better field order; nil when none is better
	// BestBlocked says why no better order is suggested although one exists (it would create false
	// sharing, say). Empty otherwise.
	BestBlocked string    `json:"best_blocked,omitempty"`
	Sharing     []Sharing `json:"false_sharing,omitempty"`

	named *types.Named // for profile joins; nil in decoded reports
	decl  *fieldDecl   // source of the field list, for rewrites; nil for instances
}

// Field is one field in declaration order.
type Field struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Offset   int64  `json:"offset"`
	Size     int64  `json:"size"`
	Align    int64  `json:"align"`
	PtrBytes int64  `json:"ptr_bytes,omitempty"` // pointer-bearing prefix of the field itself
	// FirstLine and LastLine are the 64-byte cache lines the field spans, counting from the start of the
	// struct (which the numbering assumes is line-aligned).
	FirstLine int64 `json:"first_line"`
	LastLine  int64 `json:"last_line"`
	// Role is what concurrent code does with the field: "atomic", "mutex", "guarded:<mu>" or empty.
	Role    string `json:"role,omitempty"`
	Barrier bool   `json:"barrier,omitempty"` // explicit padding: fields never move across it
}

// Hole is padding the compiler inserted.
type Hole struct {
	After  string `json:"after"` // the field before the hole; "" for none
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
}

// Order is a field order and the layout it gives.
type Order struct {
	Fields   []string `json:"fields"`
	Size     int64    `json:"size"`
	PtrBytes int64    `json:"ptr_bytes"`
	Class    int64    `json:"alloc_size"`

	index []int // declaration index of each field
}

// Sharing is a false-sharing hazard: two fields that different goroutines write, on one cache line, or
// a slice or array of small structs holding atomics.
type Sharing struct {
	Line   int64    `json:"line"`   // cache line index; -1 for element sharing
	Fields []string `json:"fields"` // the fields (or "[]T" for element sharing)
	Why    string   `json:"why"`

	units []string // write group of each field, parallel to Fields
}

// Saved is the bytes the best order saves per value (0 when there is none).
func (s *Struct) Saved() int64 {
	if s.Best == nil {
		return 0
	}
	return s.Size - s.Best.Size
}

// ClassSaved is the bytes the best order saves per heap object, after size-class rounding.
func (s *Struct) ClassSaved() int64 {
	if s.Best == nil {
		return 0
	}
	return s.Class - s.Best.Class
}

// Matters reports whether the struct is worth a reader's time without a profile: its best order crosses
// a size-class boundary, or it has false sharing.
func (s *Struct) Matters() bool { return s.ClassSaved() > 0 || len(s.Sharing) > 0 }
