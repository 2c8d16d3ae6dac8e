package tests

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The package table of docs/ARCHITECTURE.md is part of the design: one row
// per package under lib/ and cmd/, saying what it owns and which of the
// project's packages it may import. This test keeps it true: a package
// without a row, a row without a package, or an import the row does not
// allow (or allows but no longer uses) fails it, and the failure prints the
// row to write.

const modulePath = "github.com/nono-audit/nono"

// tableRow matches "| lib/x | what it owns | imports |".
var tableRow = regexp.MustCompile("^\\| `?((?:lib|cmd)/[^ |`]+)`? \\|([^|]+)\\| ([^|]*) \\|$")

type docRow struct {
	line    int
	owns    string
	imports []string
}

func TestArchitecturePackageTable(t *testing.T) {
	const doc = "docs/ARCHITECTURE.md"
	text, err := os.ReadFile(filepath.Join("..", doc))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]docRow{}
	for i, line := range strings.Split(string(text), "\n") {
		m := tableRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if prev, dup := documented[m[1]]; dup {
			t.Errorf("%s:%d: a second row for %s (the first is on line %d): merge them", doc, i+1, m[1], prev.line)
		}
		documented[m[1]] = docRow{i + 1, strings.TrimSpace(m[2]), importList(m[3])}
	}
	actual := projectImports(t, "..")
	for _, pkg := range sortedKeys(actual) {
		imports := actual[pkg]
		row, ok := documented[pkg]
		if !ok {
			t.Errorf("%s: no row for package %s; add to the package table:\n\t| %s | <what it owns> | %s |",
				doc, pkg, pkg, importCell(imports))
			continue
		}
		if !slices.Equal(row.imports, imports) {
			t.Errorf("%s:%d: %s may import %q but imports %q; make the row:\n\t| %s | %s | %s |",
				doc, row.line, pkg, importCell(row.imports), importCell(imports), pkg, row.owns, importCell(imports))
		}
	}
	for _, pkg := range sortedKeys(documented) {
		if _, ok := actual[pkg]; !ok {
			t.Errorf("%s:%d: a row for %s, which is not a package: remove it", doc, documented[pkg].line, pkg)
		}
	}
}

// importList reads an imports cell: "—" for none, else names separated by
// commas: lib packages relative to lib/ ("event", "merkle/logproof"),
// others relative to the module ("cmd/nono-run/nonorun").
func importList(cell string) []string {
	out := []string{}
	for _, f := range strings.Split(cell, ",") {
		f = strings.Trim(strings.TrimSpace(f), "`")
		if f != "" && f != "—" {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

func importCell(imports []string) string {
	if len(imports) == 0 {
		return "—"
	}
	return strings.Join(imports, ", ")
}

// projectImports maps each package directory under lib/ and cmd/ to the
// project packages its non-test files import for this platform (as `go
// list -f '{{.Imports}}'` reports them), named as importList names them.
func projectImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, top := range []string{"lib", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return err
			}
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			p, err := build.Default.ImportDir(path, 0)
			if _, none := err.(*build.NoGoError); none {
				return nil
			}
			if err != nil {
				return err
			}
			imports := []string{}
			for _, imp := range p.Imports {
				if rest, ok := strings.CutPrefix(imp, modulePath+"/"); ok {
					imports = append(imports, strings.TrimPrefix(rest, "lib/"))
				}
			}
			slices.Sort(imports)
			rel, _ := filepath.Rel(root, path)
			out[filepath.ToSlash(rel)] = imports
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
