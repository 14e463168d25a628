package layout

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"strings"
)

// errNoRewrite says why a better order is shown as a list only.
var errNoRewrite = errors.New("no rewrite")

// Suggestion returns the struct's declaration in its best order, gofmt-formatted, with every field's doc
// and line comments carried along. src is the content of the file that declares the type.
func (s *Struct) Suggestion(fset *token.FileSet, src []byte) (string, error) {
	units, err := s.units(fset, src)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "package p\n\ntype %s struct {\n", s.named.Obj().Name())
	for _, u := range units {
		b.WriteString(u)
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	out, err := format.Source(b.Bytes())
	if err != nil {
		return "", fmt.Errorf("%w: %w", errNoRewrite, err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(out), "package p\n\n"), "\n"), nil
}

// edit returns the replacement for the text between the struct's braces.
func (s *Struct) edit(fset *token.FileSet, src []byte) (start, end token.Pos, text string, err error) {
	sug, err := s.Suggestion(fset, src)
	if err != nil {
		return 0, 0, "", err
	}
	fl := s.decl.st.Fields
	tf := fset.File(fl.Opening)
	indent := lineIndent(src, tf.Offset(fl.Closing))
	body := sug[strings.IndexByte(sug, '{')+1 : strings.LastIndexByte(sug, '}')]
	var b strings.Builder
	for _, ln := range strings.SplitAfter(body, "\n") {
		if strings.TrimSpace(ln) != "" {
			b.WriteString(indent)
		}
		b.WriteString(ln)
	}
	b.WriteString(indent)
	return tf.Pos(openingLineEnd(src, tf.Offset(fl.Opening))), fl.Closing, b.String(), nil
}

// units returns the source text of each field declaration (doc comment through line comment) in the
// best order. It refuses when a declaration groups names the order separates, or when the struct holds
// comments that belong to no field (they would be lost or misplaced).
func (s *Struct) units(fset *token.FileSet, src []byte) ([]string, error) {
	if s.Best == nil || s.decl == nil || s.Generic || s.named == nil {
		return nil, fmt.Errorf("%w: no better order for %s", errNoRewrite, s.Name)
	}
	fl := s.decl.st.Fields
	owned := map[*ast.CommentGroup]bool{}
	for _, af := range fl.List {
		owned[af.Doc], owned[af.Comment] = true, true
	}
	tf := fset.File(fl.Opening)
	if tf == nil || tf.Size() != len(src) {
		return nil, fmt.Errorf("%w: source of %s does not match", errNoRewrite, s.Name)
	}
	bodyStart := tf.Pos(openingLineEnd(src, tf.Offset(fl.Opening)))
	for _, cg := range s.decl.file.Comments {
		if cg.Pos() > bodyStart && cg.End() < fl.Closing && !owned[cg] {
			return nil, fmt.Errorf("%w: %s has comments between fields that belong to none of them", errNoRewrite, s.Name)
		}
	}
	tst := s.named.Underlying().(*types.Struct)
	var units []string
	var last *ast.Field
	done := map[*ast.Field]bool{}
	for _, i := range s.Best.index {
		af := s.decl.fields[tst.Field(i)]
		if af == nil {
			return nil, fmt.Errorf("%w: field %d of %s has no declaration", errNoRewrite, i, s.Name)
		}
		if af == last {
			continue
		}
		if done[af] {
			return nil, fmt.Errorf("%w: the order splits the declaration of %s", errNoRewrite, tst.Field(i).Name())
		}
		done[af], last = true, af
		start, end := af.Pos(), af.End()
		if af.Doc != nil {
			start = af.Doc.Pos()
		}
		if af.Comment != nil {
			end = af.Comment.End()
		}
		units = append(units, string(src[tf.Offset(start):tf.Offset(end)]))
	}
	return units, nil
}

// lineIndent is the leading white space of the line holding offset off.
func lineIndent(src []byte, off int) string {
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	end := start
	for end < len(src) && (src[end] == ' ' || src[end] == '\t') {
		end++
	}
	return string(src[start:end])
}

// openingLineEnd is the offset of the newline that ends the line of the opening brace at off, so that a
// comment after the brace stays where it is.
func openingLineEnd(src []byte, off int) int {
	if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
		return off + i
	}
	return off + 1
}
