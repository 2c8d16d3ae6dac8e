package fstree

import (
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
		{"a//b", "a/b", false, true, true},
		{"*", "anything/at/all", false, true, true},
	}
	for _, c := range cases {
		g := ParseGitignore([]byte(c.patterns))
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
		g := CompileGlob(c.glob)
		if got := g.Match(c.name); got != c.want {
			t.Errorf("glob %q on %q = %v", c.glob, c.name, got)
		}
	}
}

// naiveMatch is the textbook recursive matcher over compiled tokens:
// exponential at worst, fine for fuzz-sized inputs, and obviously right.
func naiveMatch(toks []wtok, s string) bool {
	if len(toks) == 0 {
		return s == ""
	}
	if toks[0].kind == wStar {
		for i := 0; i <= len(s); i++ {
			if naiveMatch(toks[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return s != "" && toks[0].matches(s[0]) && naiveMatch(toks[1:], s[1:])
}

// naiveSegments matches components recursively.
func naiveSegments(segs []ignoreSeg, comps []string) bool {
	if len(segs) == 0 {
		return len(comps) == 0
	}
	if segs[0].doubleStar {
		least := 0
		if len(segs) == 1 {
			least = 1
		}
		for k := least; k <= len(comps); k++ {
			if naiveSegments(segs[1:], comps[k:]) {
				return true
			}
		}
		return false
	}
	return len(comps) > 0 && segs[0].w.match(comps[0]) && naiveSegments(segs[1:], comps[1:])
}

func FuzzGitignore(f *testing.F) {
	f.Add("*.log\n!keep.log\nbuild/\n/a/**/b", "a/x/b", true)
	f.Add("[!a-c]*?\\*", "dz*", false)
	f.Add("**/x/**", "q/x/y", false)
	f.Add("[[:alpha:]][]", "a]", false)
	f.Fuzz(func(t *testing.T, patterns, path string, isDir bool) {
		if len(patterns) > 256 || len(path) > 128 {
			return
		}
		g := ParseGitignore([]byte(patterns))
		g.Match(path, isDir)
		g.Match(strings.Trim(path, "/"), isDir)
		for _, line := range strings.Split(patterns, "\n") {
			w, ok := compileWildcard(line)
			if !ok || len(w.toks) > 24 {
				continue
			}
			for _, s := range []string{path, line} {
				if len(s) > 24 {
					continue
				}
				if got, want := w.match(s), naiveMatch(w.toks, s); got != want {
					t.Fatalf("wildcard %q on %q: %v, naive %v", line, s, got, want)
				}
			}
			if p, ok := parseIgnoreLine(line); ok && !p.basename && len(p.segs) <= 8 {
				comps := strings.Split(strings.Trim(path, "/"), "/")
				if len(comps) <= 8 {
					if got, want := matchSegments(p.segs, comps), naiveSegments(p.segs, comps); got != want {
						t.Fatalf("pattern %q on %q: %v, naive %v", line, path, got, want)
					}
				}
			}
		}
	})
}
