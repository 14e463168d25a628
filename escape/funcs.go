package escape

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
)

// funcSpan is one top-level function declaration's extent in a file.
type funcSpan struct {
	start, end token.Position
	name       string
}

// fillFuncs names the enclosing top-level function of facts the compiler printed without one (inlined
// calls, bounds and nil checks, copies, devirtualisations), by parsing the files they point into. Names
// follow the compiler's style: F, T.M, (*T).M. Facts outside any function, in files that do not parse, or
// without a position keep an empty Func.
func fillFuncs(facts []Fact, dir string) {
	byFile := map[string][]int{}
	for i := range facts {
		f := &facts[i]
		if f.Func == "" && f.Line > 0 && f.File != "" && f.File[0] != '<' {
			byFile[f.File] = append(byFile[f.File], i)
		}
	}
	fset := token.NewFileSet()
	for file, idx := range byFile {
		path := file
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, filepath.FromSlash(path))
		}
		spans := fileFuncs(fset, path)
		for _, i := range idx {
			f := &facts[i]
			j := sort.Search(len(spans), func(j int) bool { return after(spans[j].end, f.Line, f.Col) })
			if j < len(spans) && !after(spans[j].start, f.Line, f.Col) {
				f.Func = spans[j].name
			}
		}
	}
}

// after reports whether p is after line:col.
func after(p token.Position, line, col int) bool {
	return p.Line > line || (p.Line == line && p.Column > col)
}

func fileFuncs(fset *token.FileSet, path string) []funcSpan {
	af, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	var spans []funcSpan
	for _, d := range af.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		spans = append(spans, funcSpan{start: fset.Position(fd.Pos()), end: fset.Position(fd.End()), name: funcName(fd)})
	}
	return spans
}

// funcName renders a declaration the way the compiler's diagnostics name it.
func funcName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = true, s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	var b strings.Builder
	if star {
		b.WriteString("(*" + recv + ")")
	} else {
		b.WriteString(recv)
	}
	b.WriteString("." + fd.Name.Name)
	return b.String()
}
