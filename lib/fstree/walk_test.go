package fstree

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// mkfiles creates files (path relative to dir → content); a trailing '/'
// makes a directory.
func mkfiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func tempRoot(t *testing.T) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func paths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func find(t *testing.T, tree *Tree, p string) File {
	t.Helper()
	for _, f := range tree.Files {
		if f.Path == p {
			return f
		}
	}
	t.Fatalf("%s not in tree %q", p, paths(tree.Files))
	return File{}
}

func TestWalkExclusionsAndLinks(t *testing.T) {
	base := tempRoot(t)
	root := filepath.Join(base, "root")
	mkfiles(t, root, map[string]string{
		"a.txt":                 "hello\n",
		"x.log":                 "log",
		".env":                  "SECRET=1",
		".gitignore":            "*.log\n.env\n",
		"sub/b.txt":             "b",
		"sub/.gitignore":        "secret/\n!keep.log\n",
		"sub/keep.log":          "kept by a deeper negation",
		"sub/secret/s.txt":      "s",
		"node_modules/m.js":     "m",
		".git/HEAD":             "ref",
		".git/info/exclude":     "by-info\n",
		"by-info":               "i",
		"deep/er/.gitignore":    "*.bin\n",
		"deep/er/x.bin":         "bin",
		"deep/x.bin":            "not ignored here",
		"empty/":                "",
		"caf\xe9":               "latin-1 name",
		"g/file.tmp":            "glob",
		"src/gen/out.c":         "generated",
		"src/keep/gen/x.c":      "kept",
		"vendor/node_modules/q": "force-included",
	})
	outside := filepath.Join(base, "outside")
	mkfiles(t, outside, map[string]string{"o.txt": "outside content"})
	for link, target := range map[string]string{
		"link-in":  "a.txt",
		"link-out": filepath.Join(outside, "o.txt"),
		"link-dir": "sub",
		"dangling": "no-such-file",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	rules := NewRules(Flags{Exclude: []string{"*.tmp", "src/gen"}, Include: []string{"vendor/node_modules"}})
	tree, err := Walk([]string{root}, Options{Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range paths(tree.Files) {
		got = append(got, strings.TrimPrefix(p, root+"/"))
	}
	want := []string{".gitignore", "a.txt", "caf\xe9", "deep/er/.gitignore", "deep/x.bin", "dangling-not-a-leaf",
		"link-in", "link-out", "src/keep/gen/x.c", "sub/.gitignore", "sub/b.txt", "sub/keep.log", "vendor/node_modules/q"}
	want = slices.DeleteFunc(want, func(s string) bool { return s == "dangling-not-a-leaf" })
	slices.SortFunc(want, Compare)
	if !slices.Equal(got, want) {
		t.Fatalf("files:\n got %q\nwant %q", got, want)
	}

	in := find(t, tree, filepath.Join(root, "link-in"))
	if in.Type != Symlink || in.Hash != sha256.Sum256([]byte("hello\n")) || in.Target != "a.txt" || in.TargetOnly {
		t.Errorf("link-in: %+v", in)
	}
	out := find(t, tree, filepath.Join(root, "link-out"))
	if out.Type != Symlink || !out.TargetOnly || out.Hash != sha256.Sum256([]byte(filepath.Join(outside, "o.txt"))) {
		t.Errorf("link-out must be hashed by its target path, got %+v", out)
	}
	var links []string
	for _, l := range tree.Links {
		links = append(links, strings.TrimPrefix(l.Path, root+"/"))
	}
	if !slices.Equal(links, []string{"dangling", "link-dir"}) {
		t.Errorf("links %q", links)
	}
	var dirs []string
	for _, d := range tree.Dirs {
		dirs = append(dirs, strings.TrimPrefix(d.Path, root))
	}
	if !slices.Contains(dirs, "/empty") || !slices.Contains(dirs, "") || slices.Contains(dirs, "/sub/secret") {
		t.Errorf("dirs %q", dirs)
	}
	var kinds []string
	for _, f := range tree.IgnoreFiles {
		kinds = append(kinds, strings.TrimPrefix(f.Dir, root)+":"+f.Kind)
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"/deep/er:gitignore", "/sub:gitignore", ":exclude", ":gitignore"}) {
		t.Errorf("ignore files %q", kinds)
	}

	// A frozen walk after the ignore files changed decides the same way.
	os.WriteFile(filepath.Join(root, ".gitignore"), []byte("a.txt\n"), 0o644)
	os.Remove(filepath.Join(root, "sub/.gitignore"))
	again, err := Walk([]string{root}, Options{Rules: rules.Freeze(tree.IgnoreFiles)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(paths(again.Files), slices.DeleteFunc(paths(tree.Files), func(p string) bool { return p == filepath.Join(root, "sub/.gitignore") })) {
		t.Errorf("frozen walk differs:\n%q\n%q", paths(again.Files), paths(tree.Files))
	}
}

func TestNamesMatchOnlyBelowTheRoot(t *testing.T) {
	base := tempRoot(t)
	root := filepath.Join(base, "build", "node_modules", "app")
	mkfiles(t, root, map[string]string{"main.go": "package main", "build/out": "x"})
	tree, err := Walk([]string{root}, Options{Rules: NewRules(Flags{Exclude: []string{"build"}})})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(tree.Files); !slices.Equal(got, []string{filepath.Join(root, "main.go")}) {
		t.Fatalf("files %q", got)
	}
}

func TestProtectedStoreIsAlwaysExcluded(t *testing.T) {
	root := tempRoot(t)
	mkfiles(t, root, map[string]string{"a": "a", "store/objects/x": "obj", "store/keep": "k"})
	rules := NewRules(Flags{Include: []string{"store"}})
	rules.Protected = []string{filepath.Join(root, "store")}
	tree, err := Walk([]string{root}, Options{Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(tree.Files); !slices.Equal(got, []string{filepath.Join(root, "a")}) {
		t.Fatalf("files %q", got)
	}
}

func TestNestedRootsCountOnce(t *testing.T) {
	root := tempRoot(t)
	mkfiles(t, root, map[string]string{"a": "a", "in/b": "b"})
	tree, err := Walk([]string{root, filepath.Join(root, "in"), filepath.Join(root, "missing")}, Options{Rules: NewRules(Flags{})})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Files) != 2 || len(tree.Roots) != 2 {
		t.Fatalf("files %q roots %q", paths(tree.Files), tree.Roots)
	}
}

func TestFileRoot(t *testing.T) {
	root := tempRoot(t)
	mkfiles(t, root, map[string]string{"f": "hello\n"})
	f := filepath.Join(root, "f")
	tree, err := Walk([]string{f}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Files) != 1 || tree.Root() != leafHash(f, sha256.Sum256([]byte("hello\n"))) {
		t.Fatalf("tree %+v", tree)
	}
}

type countingSink struct {
	hashSink
	files atomic.Int64
}

func (c *countingSink) File(f *os.File, buf []byte, read func(int64)) (Hash, int64, error) {
	c.files.Add(1)
	return c.hashSink.File(f, buf, read)
}

type mapCache map[string]File

func (m mapCache) Lookup(p string) (File, bool) { f, ok := m[p]; return f, ok }

func cacheOf(tree *Tree) mapCache {
	m := mapCache{}
	for _, f := range tree.Files {
		m[f.Path] = f
	}
	return m
}

func TestStatCacheSkipsUnchangedFiles(t *testing.T) {
	root := tempRoot(t)
	files := map[string]string{}
	for i := range 50 {
		files[filepath.Join("d", string(rune('a'+i%26))+strings.Repeat("x", i))] = strings.Repeat("y", i*100)
	}
	mkfiles(t, root, files)
	later := time.Now().Add(3 * time.Second) // every file is older than the racy window
	sink := &countingSink{}
	first, err := Walk([]string{root}, Options{Sink: sink, Now: later, Jobs: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sink.files.Load() != 50 || first.Hashed != 50 {
		t.Fatalf("first walk read %d files", sink.files.Load())
	}
	changed := filepath.Join(root, "d", "c"+strings.Repeat("x", 2))
	if err := os.WriteFile(changed, []byte(strings.Repeat("z", 200)), 0o644); err != nil { // same size
		t.Fatal(err)
	}
	sink2 := &countingSink{}
	second, err := Walk([]string{root}, Options{Sink: sink2, Cache: cacheOf(first), Now: later})
	if err != nil {
		t.Fatal(err)
	}
	if sink2.files.Load() != 1 || second.Hashed != 1 {
		t.Fatalf("second walk read %d files, want only the changed one", sink2.files.Load())
	}
	if find(t, second, changed).Hash != sha256.Sum256([]byte(strings.Repeat("z", 200))) {
		t.Fatal("changed file not re-hashed")
	}
	if first.Root() == second.Root() {
		t.Fatal("root did not change")
	}
}

func TestRacyFilesAreNotCached(t *testing.T) {
	root := tempRoot(t)
	mkfiles(t, root, map[string]string{"new": "just written"})
	tree, err := Walk([]string{root}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tree.Files[0].Cacheable {
		t.Fatal("a file written just now was trusted for the stat cache")
	}
}

func TestBudget(t *testing.T) {
	root := tempRoot(t)
	mkfiles(t, root, map[string]string{"a": "12345", "b": "12345", "c/d": "1"})
	_, err := Walk([]string{root}, Options{Budget: Budget{MaxEntries: 3}})
	var be *BudgetError
	if !errors.As(err, &be) || be.What != "entries" {
		t.Fatalf("entries budget: %v", err)
	}
	_, err = Walk([]string{root}, Options{Budget: Budget{MaxBytes: 10}})
	if !errors.As(err, &be) || be.What != "bytes" || be.Count != 11 {
		t.Fatalf("bytes budget: %v", err)
	}
	if _, err := Walk([]string{root}, Options{Budget: Budget{MaxEntries: 5, MaxBytes: 11}}); err != nil {
		t.Fatal(err)
	}
}

func TestPreflightPicksPaths(t *testing.T) {
	root := tempRoot(t)
	mkfiles(t, root, map[string]string{"build/x": "1", "dist/y": "2", "src/build/z": "3", "mine/w": "4", "big/": ""})
	for i := range 30 {
		mkfiles(t, root, map[string]string{filepath.Join("big", strings.Repeat("f", i+1)): ""})
	}
	rules := NewRules(Flags{Include: []string{"dist"}})
	got := Preflight([]string{root}, &rules, PreflightOptions{SkipDirs: []string{"mine"}, Auto: true, MaxFiles: 20})
	var ps []string
	for _, a := range got {
		ps = append(ps, strings.TrimPrefix(a.Path, root+"/")+":"+a.Reason)
	}
	want := []string{"big:more than 20 files", "build:build output", "mine:user-defined skip directory"}
	if !slices.Equal(ps, want) {
		t.Fatalf("preflight %q, want %q", ps, want)
	}
}

func TestParallelWalkMatchesSerial(t *testing.T) {
	root := tempRoot(t)
	files := map[string]string{}
	for i := range 300 {
		files[filepath.Join(string(rune('a'+i%7)), string(rune('a'+i%5)), strings.Repeat("n", 1+i%13), "f")] = strings.Repeat("x", i)
	}
	files["a/.gitignore"] = "nnn\n"
	files["b/c/.gitignore"] = "*\n!keep\n"
	files["b/c/keep"] = "k"
	mkfiles(t, root, files)
	serial, err := Walk([]string{root}, Options{Jobs: 1, Rules: NewRules(Flags{})})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		par, err := Walk([]string{root}, Options{Jobs: 8, Rules: NewRules(Flags{})})
		if err != nil {
			t.Fatal(err)
		}
		if par.Root() != serial.Root() || !slices.Equal(paths(par.Files), paths(serial.Files)) ||
			len(par.Dirs) != len(serial.Dirs) || par.Entries != serial.Entries || len(par.IgnoreFiles) != len(serial.IgnoreFiles) {
			t.Fatalf("parallel walk differs: %d files vs %d", len(par.Files), len(serial.Files))
		}
		for i := range par.IgnoreFiles {
			if par.IgnoreFiles[i].Dir != serial.IgnoreFiles[i].Dir {
				t.Fatal("ignore files not in a stable order")
			}
		}
	}
}
