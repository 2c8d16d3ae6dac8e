package fstree

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestGitignore(t *testing.T) {
	cases := []struct {
		patterns string
		path     string
		isDir    bool
		ignored  bool
		decided  bool
	}{
		{"*.log", "a.log", false, true, true},
		{"*.log", "x/y/a.log", false, true, true},
		{"*.log", "a.logx", false, false, false},
		{"*.log\n!keep.log", "keep.log", false, false, true},
		{"*.log\n!keep.log", "x/keep.log", false, false, true},
		{"!keep.log\n*.log", "keep.log", false, true, true},
		{"build/", "build", true, true, true},
		{"build/", "build", false, false, false},
		{"build/", "src/build", true, true, true},
		{"/build", "build", false, true, true},
		{"/build", "src/build", false, false, false},
		{"doc/frotz", "doc/frotz", false, true, true},
		{"doc/frotz", "a/doc/frotz", false, false, false},
		{"doc/*.txt", "doc/a.txt", false, true, true},
		{"doc/*.txt", "doc/x/a.txt", false, false, false},
		{"**/foo", "foo", false, true, true},
		{"**/foo", "a/b/foo", false, true, true},
		{"**/foo/bar", "x/foo/bar", false, true, true},
		{"abc/**", "abc/x", false, true, true},
		{"abc/**", "abc/x/y", false, true, true},
		{"abc/**", "abc", true, false, false},
		{"a/**/b", "a/b", false, true, true},
		{"a/**/b", "a/x/y/b", false, true, true},
		{"a/**/b", "a/x/y/c", false, false, false},
		{"foo?", "foo1", false, true, true},
		{"foo?", "foo", false, false, false},
		{"[a-c]x", "bx", false, true, true},
		{"[!a-c]x", "bx", false, false, false},
		{"[!a-c]x", "dx", false, true, true},
		{"[^a-c]x", "dx", false, true, true},
		{"[[:digit:]]*", "1abc", false, true, true},
		{"[]]x", "]x", false, true, true},
		{"[abc", "a", false, false, false},
		{"# comment\n\n", "# comment", false, false, false},
		{`\#hash`, "#hash", false, true, true},
		{`\!bang`, "!bang", false, true, true},
		{"trail   ", "trail", false, true, true},
		{`trail\ `, "trail ", false, true, true},
		{`a\*b`, "a*b", false, true, true},
		{`a\*b`, "axb", false, false, false},
		{".env", ".env", false, true, true},
		{"*.tmp\r\n", "x.tmp", false, true, true},
		{"a//b", "a/b", false, false, false}, // git does not collapse slashes
		{"*", "anything/at/all", false, true, true},
	}
	for _, c := range cases {
		g := parseGitignore([]byte(c.patterns))
		ignored, decided := g.Match(c.path, c.isDir)
		if ignored != c.ignored || decided != c.decided {
			t.Errorf("%q vs %q (dir=%v): ignored=%v decided=%v, want %v %v", c.patterns, c.path, c.isDir, ignored, decided, c.ignored, c.decided)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		glob, name string
		want       bool
	}{
		{"*.log", "a.log", true},
		{"*.log", "a.txt", false},
		{"data-?", "data-1", true},
		{"[a-z]*.bin", "x1.bin", true},
		{"[a-z]*.bin", "1x.bin", false},
		{"[", "[", false},
	} {
		g := compileGlob(c.glob)
		if got := g.Match(c.name); got != c.want {
			t.Errorf("glob %q on %q = %v", c.glob, c.name, got)
		}
	}
}

// gitRepo is a scratch repository where `git check-ignore` answers what
// git makes of a .gitignore, with no configuration of the machine's or
// the user's in the way.
type gitRepo struct {
	dir string
	env []string
}

func newGitRepo(tb testing.TB) *gitRepo {
	git, err := exec.LookPath("git")
	if err != nil {
		tb.Skip("git is not installed: the reference for .gitignore semantics")
	}
	dir := tb.TempDir()
	r := &gitRepo{dir: filepath.Join(dir, "repo"), env: append(os.Environ(),
		"HOME="+dir, "XDG_CONFIG_HOME="+dir, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C")}
	cmd := exec.Command(git, "init", "-q", r.dir)
	cmd.Env = r.env
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git init: %v: %s", err, out)
	}
	return r
}

// ignored says whether git ignores rel (made a directory when isDir, a
// file otherwise) under patterns as the repository's .gitignore.
func (r *gitRepo) ignored(tb testing.TB, patterns, rel string, isDir bool) bool {
	if err := os.WriteFile(filepath.Join(r.dir, ".gitignore"), []byte(patterns), 0o644); err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(r.dir, rel)
	mkdir := filepath.Dir(p)
	if isDir {
		mkdir = p
	}
	if err := os.MkdirAll(mkdir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if !isDir {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	defer os.RemoveAll(filepath.Join(r.dir, strings.SplitN(rel, "/", 2)[0]))
	// "./" keeps a leading ':' from reading as pathspec magic.
	cmd := exec.Command("git", "check-ignore", "--no-index", "-q", "--", "./"+rel)
	cmd.Dir, cmd.Env = r.dir, r.env
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		return false
	}
	tb.Fatalf("git check-ignore %q: %v", rel, err)
	return false
}

// walkIgnored is what a walk decides for rel: each directory on the way
// down, then rel itself, is matched, and the first one ignored prunes
// the rest (git cannot re-include a file whose directory it excluded).
func walkIgnored(g *gitignoreFile, rel string, isDir bool) bool {
	comps := strings.Split(rel, "/")
	for i := range comps {
		ignored, decided := g.Match(strings.Join(comps[:i+1], "/"), i < len(comps)-1 || isDir)
		if decided && ignored {
			return true
		}
	}
	return false
}

// fuzzPath makes a relative path a repository can hold from fuzz input:
// at most four components, none empty, ".", "..", ".git" or with a NUL.
func fuzzPath(s string) (string, bool) {
	var comps []string
	for _, c := range strings.Split(s, "/") {
		switch {
		case c == "", c == ".", c == "..":
			continue
		case strings.EqualFold(c, ".git"), strings.ContainsRune(c, 0), len(c) > 32:
			return "", false
		}
		comps = append(comps, c)
	}
	if len(comps) == 0 || len(comps) > 4 {
		return "", false
	}
	return strings.Join(comps, "/"), true
}

func TestGitignoreAgreesWithGit(t *testing.T) {
	r := newGitRepo(t)
	for _, c := range []struct {
		patterns, path string
		isDir          bool
	}{
		{"build/\n!build/keep", "build/keep", false},
		{"*.log\n!keep.log", "x/keep.log", false},
		{"/a/**/b", "a/x/y/b", true},
		{"doc/*.txt", "doc/x/a.txt", false},
		{"*.tmp\r\n", "x.tmp", false},
		{"abc/**", "abc", true},
		{"[!a-c]x\n", "dx", false},
	} {
		if got, want := walkIgnored(parseGitignore([]byte(c.patterns)), c.path, c.isDir), r.ignored(t, c.patterns, c.path, c.isDir); got != want {
			t.Errorf("%q vs %q (dir=%v): ignored=%v, git says %v", c.patterns, c.path, c.isDir, got, want)
		}
	}
}

// FuzzGitignore checks the matcher against git itself: for any patterns
// and path, a walk ignores the path exactly when `git check-ignore` does.
func FuzzGitignore(f *testing.F) {
	f.Add("*.log\n!keep.log\nbuild/\n/a/**/b", "a/x/b", true)
	f.Add("[!a-c]*?\\*", "dz*", false)
	f.Add("**/x/**", "q/x/y", false)
	f.Add("[[:alpha:]][]", "a]", false)
	f.Add("doc/\n!doc/keep\n", "doc/keep", false)
	f.Add("\\#x\n\\!y \\ \n", "#x", false)
	r := newGitRepo(f)
	f.Fuzz(func(t *testing.T, patterns, path string, isDir bool) {
		rel, ok := fuzzPath(path)
		if !ok || len(patterns) > 256 || strings.ContainsRune(patterns, 0) {
			return
		}
		if got, want := walkIgnored(parseGitignore([]byte(patterns)), rel, isDir), r.ignored(t, patterns, rel, isDir); got != want {
			t.Fatalf("%q vs %q (dir=%v): ignored=%v, git says %v", patterns, rel, isDir, got, want)
		}
	})
}
