package fstree

import (
	"path/filepath"
	"slices"
	"strings"
)

// baseNames are excluded by default: VCS internals, build output and
// dependency trees that are large and can be regenerated.
var baseNames = []string{".git", ".hg", ".svn", "target", "node_modules", "__pycache__", ".venv", ".DS_Store"}

// vcsNames are the only base exclusions left with --rollback-all.
var vcsNames = []string{".git", ".hg", ".svn"}

// Rules is the complete exclusion configuration of a walk. A snapshot
// records it in its manifest, and every later walk of the session (the
// final snapshot, a restore) uses the recorded rules, so all of them see
// the same set of tracked files and a restore never touches a file that
// was excluded when the snapshot was taken.
//
// Names and patterns match only below a tracked root, never the
// components above it: a project under /home/u/build/app is not excluded
// by the name "build".
type Rules struct {
	Names      []string // a component anywhere below the root, exact and case-sensitive
	Substrings []string // "a/b": a run of whole components anywhere below the root
	Globs      []string // wildcard over the last component (file or directory name)
	Includes   []string // force-include: names or "a/b" runs; win over every exclusion except Protected
	Paths      []string // absolute paths excluded with their subtree (auto-excluded directories)
	Protected  []string // the audit and rollback stores: always excluded, whatever else says
	Gitignore  bool     // honour .gitignore at every level and .git/info/exclude

	// Frozen makes the walk use IgnoreFiles instead of reading ignore
	// files from disk. A live walk fills Tree.IgnoreFiles with what it
	// read; freezing those gives a later walk the same decisions even if
	// the session edited, added or removed ignore files.
	Frozen      bool
	IgnoreFiles []IgnoreFile
}

// IgnoreFile is one ignore file read by a walk.
type IgnoreFile struct {
	Dir     string // absolute directory the patterns are relative to
	Kind    string // IgnoreKindGitignore or IgnoreKindExclude
	Content []byte
}

// Kinds of ignore files. .gitignore files take precedence over
// .git/info/exclude, and deeper .gitignore files over shallower ones.
const (
	IgnoreKindGitignore = "gitignore"
	IgnoreKindExclude   = "exclude"
)

// Flags are the user's exclusion options (the `nono run` flags).
type Flags struct {
	Exclude []string // --rollback-exclude: a glob if it has * ? [, an absolute path, a name, or an "a/b" run
	Include []string // --rollback-include
	All     bool     // --rollback-all: only VCS internals are excluded by default
}

// NewRules builds the rules for flags. Gitignore is on, as upstream has
// it even with --rollback-all.
func NewRules(f Flags) Rules {
	r := Rules{Gitignore: true}
	if f.All {
		r.Names = append(r.Names, vcsNames...)
	} else {
		r.Names = append(r.Names, baseNames...)
	}
	for _, v := range f.Exclude {
		switch {
		case v == "":
		case isGlob(v):
			r.Globs = append(r.Globs, v)
		case strings.HasPrefix(v, "/"):
			r.Paths = append(r.Paths, filepath.Clean(v))
		case strings.Contains(v, "/"):
			if s := strings.Trim(v, "/"); s != "" {
				r.Substrings = append(r.Substrings, s)
			}
		default:
			r.Names = append(r.Names, v)
		}
	}
	for _, v := range f.Include {
		if s := strings.Trim(v, "/"); s != "" {
			r.Includes = append(r.Includes, s)
		}
	}
	r.Normalize()
	return r
}

// Normalize sorts and deduplicates every list, so equal rules encode the
// same way.
func (r *Rules) Normalize() {
	for _, l := range []*[]string{&r.Names, &r.Substrings, &r.Globs, &r.Includes, &r.Paths, &r.Protected} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
}

// Freeze returns the rules a later walk of the same session uses: these
// rules with the ignore files a live walk read.
func (r Rules) Freeze(read []IgnoreFile) Rules {
	r.Frozen = true
	r.IgnoreFiles = append([]IgnoreFile(nil), read...)
	return r
}

// matcher is Rules compiled for one tracked root.
type matcher struct {
	root       string
	names      map[string]bool
	substrings []string
	globs      []globPattern
	incNames   map[string]bool
	incSubs    []string
	paths      []string
	protected  []string
	gitignore  bool
	frozen     map[string][]IgnoreFile // by directory

	// The ignore files in force for the directory being walked, shallowest
	// first; the walk pushes and pops them as it descends.
	gitStack     []ignoreLevel
	excludeStack []ignoreLevel
}

type ignoreLevel struct {
	dir string
	g   *gitignoreFile
}

func newMatcher(r *Rules, root string) *matcher {
	m := &matcher{
		root:       root,
		names:      map[string]bool{},
		substrings: r.Substrings,
		incNames:   map[string]bool{},
		paths:      r.Paths,
		protected:  r.Protected,
		gitignore:  r.Gitignore,
	}
	for _, n := range r.Names {
		m.names[n] = true
	}
	for _, g := range r.Globs {
		m.globs = append(m.globs, compileGlob(g))
	}
	for _, inc := range r.Includes {
		if strings.Contains(inc, "/") {
			m.incSubs = append(m.incSubs, inc)
		} else {
			m.incNames[inc] = true
		}
	}
	if r.Frozen {
		m.frozen = map[string][]IgnoreFile{}
		for _, f := range r.IgnoreFiles {
			m.frozen[f.Dir] = append(m.frozen[f.Dir], f)
		}
	}
	return m
}

// protectedPath reports whether abs is a store directory or inside one.
func (m *matcher) protectedPath(abs string) bool {
	for _, p := range m.protected {
		if Within(abs, p) {
			return true
		}
	}
	return false
}

// excluded decides one entry below the root: abs is its absolute path,
// rel its path relative to the root (never ""), name its last component.
// Order: protected stores, force-include, excluded paths, names, "a/b"
// runs, globs, then ignore files. Ancestors were decided when the walk
// reached them: an excluded directory is never entered.
func (m *matcher) excluded(abs, rel, name string, isDir bool) bool {
	if m.protectedPath(abs) {
		return true
	}
	if m.included(rel) {
		return false
	}
	for _, p := range m.paths {
		if Within(abs, p) {
			return true
		}
	}
	if m.names[name] {
		return true
	}
	for _, s := range m.substrings {
		if containsComponents(rel, s) {
			return true
		}
	}
	for i := range m.globs {
		if m.globs[i].Match(name) {
			return true
		}
	}
	if !m.gitignore {
		return false
	}
	for _, stack := range [][]ignoreLevel{m.gitStack, m.excludeStack} {
		for i := len(stack) - 1; i >= 0; i-- {
			r, ok := Rel(stack[i].dir, abs)
			if !ok {
				continue
			}
			if ignored, decided := stack[i].g.Match(r, isDir); decided {
				return ignored
			}
		}
	}
	return false
}

// included reports whether a force-include names a component of rel or a
// run of its components.
func (m *matcher) included(rel string) bool {
	if len(m.incNames) > 0 {
		for rest := rel; ; {
			i := strings.IndexByte(rest, '/')
			if i < 0 {
				if m.incNames[rest] {
					return true
				}
				break
			}
			if m.incNames[rest[:i]] {
				return true
			}
			rest = rest[i+1:]
		}
	}
	for _, s := range m.incSubs {
		if containsComponents(rel, s) {
			return true
		}
	}
	return false
}

// containsComponents reports whether the components of sub appear as a
// contiguous run of whole components of rel ("b/c" is in "a/b/c/d" but
// not in "a/xb/c").
func containsComponents(rel, sub string) bool {
	r := "/" + rel + "/"
	return strings.Contains(r, "/"+sub+"/")
}

// pushIgnore adds an ignore file's patterns for dir and its subtree.
func (m *matcher) pushIgnore(f IgnoreFile) {
	lvl := ignoreLevel{dir: f.Dir, g: parseGitignore(f.Content)}
	if f.Kind == IgnoreKindExclude {
		m.excludeStack = append(m.excludeStack, lvl)
	} else {
		m.gitStack = append(m.gitStack, lvl)
	}
}

// clone returns a matcher for another goroutine: the compiled rules are
// shared (read-only), the ignore stacks copied.
func (m *matcher) clone() *matcher {
	c := *m
	c.gitStack = slices.Clone(m.gitStack)
	c.excludeStack = slices.Clone(m.excludeStack)
	return &c
}

// depth returns the stack sizes, to restore them after a directory.
func (m *matcher) depth() (int, int) { return len(m.gitStack), len(m.excludeStack) }

func (m *matcher) popTo(g, e int) {
	m.gitStack = m.gitStack[:g]
	m.excludeStack = m.excludeStack[:e]
}
