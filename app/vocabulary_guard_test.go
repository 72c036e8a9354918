package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// app/ap is the one place that knows ActivityStreams shapes: package app
// builds documents through its constructors, never as maps of its own.
// This fails on a map[string]any literal with a "type" or "@context" key,
// or on setting or deleting such a key of a map, or on an ap struct
// literal giving its Type (an ap.Tag, an ap.Attachment...), in a non-test
// file of package app. schema.org's JSON-LD for search engines (previews.go) is
// not ActivityStreams: its "@context" is schema.org's and its types are
// "@type".
func TestVocabularyStaysInAP(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var found []string
	report := func(n ast.Node, what string) {
		found = append(found, fset.Position(n.Pos()).String()+": "+what)
	}
	vocab := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, _ := strconv.Unquote(lit.Value)
		return s, s == "type" || s == "@context"
	}
	schemaOrg := func(e ast.Expr) bool {
		lit, ok := e.(*ast.BasicLit)
		return ok && strings.HasPrefix(lit.Value, `"https://schema.org`)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if sel, ok := n.Type.(*ast.SelectorExpr); ok {
					// WebFinger's JRD links have a media type, not an
					// ActivityStreams one.
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "ap" && !strings.HasPrefix(sel.Sel.Name, "JRD") {
						for _, el := range n.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Type" {
									report(n, "an ap."+sel.Sel.Name+" filled by hand with its type")
								}
							}
						}
					}
					return true
				}
				if !isMapOfAny(n.Type) {
					return true
				}
				for _, el := range n.Elts {
					kv, ok := el.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if key, ok := vocab(kv.Key); ok && !(key == "@context" && schemaOrg(kv.Value)) {
						report(kv, "a map literal with an ActivityStreams "+strconv.Quote(key)+" key")
					}
				}
			case *ast.AssignStmt:
				for _, lhs := range n.Lhs {
					if ix, ok := lhs.(*ast.IndexExpr); ok {
						if key, ok := vocab(ix.Index); ok {
							report(n, "setting the "+strconv.Quote(key)+" of a map")
						}
					}
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "delete" && len(n.Args) == 2 {
					if key, ok := vocab(n.Args[1]); ok {
						report(n, "deleting the "+strconv.Quote(key)+" of a map")
					}
				}
			}
			return true
		})
	}
	if len(found) > 0 {
		t.Errorf("ActivityStreams documents built outside app/ap (use its constructors):\n%s", strings.Join(found, "\n"))
	}
}

// isMapOfAny tells whether a type expression is map[string]any (or
// map[string]interface{}).
func isMapOfAny(e ast.Expr) bool {
	m, ok := e.(*ast.MapType)
	if !ok {
		return false
	}
	if k, ok := m.Key.(*ast.Ident); !ok || k.Name != "string" {
		return false
	}
	switch v := m.Value.(type) {
	case *ast.Ident:
		return v.Name == "any"
	case *ast.InterfaceType:
		return v.Methods == nil || len(v.Methods.List) == 0
	}
	return false
}
