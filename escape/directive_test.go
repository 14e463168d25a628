package escape

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"strings"
	"testing"
)

func parseSource(t *testing.T, src string) ([]Directive, []error) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "/src/p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.Default()}
	if _, err := conf.Check("p", fset, []*ast.File{f}, info); err != nil {
		t.Fatal(err)
	}
	return FileDirectives(fset, f, info)
}

func TestFileDirectives(t *testing.T) {
	src := `package p

import "runtime"

type S interface{ M() int }

// F is pinned.
//
//hotpath:inline,noescape
func F(x int) int { return x + 1 }

func G(s S) int {
	a := F(1) + F(2) //hotpath:inline
	//hotpath:nobce free text after the kind is a comment
	b := []int{1}[0]
	c := s.M() //hotpath:devirt
	if runtime.GOOS == "plan9" {
		a += F(3) //hotpath:inline
	}
	return a + b + c
}

func (s *T) Get() int { return 0 } //hotpath:noescape

type T struct{}
`
	dirs, errs := parseSource(t, src)
	if len(errs) > 0 {
		t.Fatalf("FileDirectives errors: %v", errs)
	}
	var got []string
	for _, d := range dirs {
		s := string(d.Kind) + "/" + string(d.Scope) + " " + d.Func + " " + d.Pos.String()
		for _, c := range d.Calls {
			s += " call:" + c.Callee
			if c.Dead {
				s += "(dead)"
			}
		}
		got = append(got, s)
	}
	want := []string{
		"inline/func F /src/p.go:9:1",
		"noescape/func F /src/p.go:9:1",
		"inline/line G /src/p.go:13:19 call:p.F call:p.F",
		"nobce/line G /src/p.go:14:2",
		"devirt/line G /src/p.go:16:13 call:s.M",
		"inline/line G /src/p.go:18:13 call:p.F(dead)",
		"noescape/line (*T).Get /src/p.go:23:36",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("FileDirectives =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if dirs[3].Line != 15 {
		t.Errorf("nobce on its own line covers line %d, want the next line of code, 15", dirs[3].Line)
	}
	if dirs[0].FirstLine != 10 || dirs[0].LastLine != 10 || dirs[0].Line != 10 {
		t.Errorf("func directive covers %d..%d (name line %d), want 10..10 (10)", dirs[0].FirstLine, dirs[0].LastLine, dirs[0].Line)
	}
}

func TestFileDirectivesErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"typo", "package p\n\n//hotpath:inlne\nfunc F() {}\n", `unknown directive "inlne" (did you mean "inline"?)`},
		{"unknown", "package p\n\n//hotpath:fast\nfunc F() {}\n", `unknown directive "fast" (want one of inline, noescape, nobce, devirt)`},
		{"empty", "package p\n\n//hotpath:\nfunc F() {}\n", "empty directive"},
		{"devirt on func", "package p\n\n//hotpath:devirt\nfunc F() {}\n", "devirt applies to a line"},
		{"no call", "package p\n\nfunc F() int {\n\tx := 1 //hotpath:inline\n\treturn x\n}\n", "has no call to a Go function"},
		{"no interface call", "package p\n\nfunc F() int {\n\treturn len(\"ab\") //hotpath:devirt\n}\n", "has no interface method call"},
		{"nothing after", "package p\n\nfunc F() {}\n\n//hotpath:nobce\n", "not followed by code"},
		{"outside func", "package p\n\nvar x = f() //hotpath:inline\n\nfunc f() int { return 1 }\n", "outside any function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := parseSource(t, tt.src)
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Errorf("FileDirectives(%q) errors = %v, want one containing %q", tt.src, errs, tt.want)
			}
			var de *DirectiveError
			if len(errs) == 1 && !asDirectiveError(errs[0], &de) {
				t.Errorf("error %v is not a *DirectiveError", errs[0])
			}
		})
	}
}

func asDirectiveError(err error, target **DirectiveError) bool {
	de, ok := err.(*DirectiveError)
	*target = de
	return ok
}

func FuzzParseDirectiveKinds(f *testing.F) {
	for _, s := range []string{"//hotpath:inline", "//hotpath:inline,noescape", "//hotpath:inlne", "//hotpath:", "//hotpath:nobce x", "//hotpath:,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kinds, err := parseDirectiveKinds(s)
		if err == nil && len(kinds) == 0 {
			t.Errorf("parseDirectiveKinds(%q) = no kinds and no error", s)
		}
		for _, k := range kinds {
			if !validKind(k) {
				t.Errorf("parseDirectiveKinds(%q) returned unknown kind %q", s, k)
			}
		}
	})
}
