package fstree

import "strings"

// gitignoreFile is the parsed content of one ignore file (.gitignore or
// .git/info/exclude), with git's rules: blank lines and '#' comments are
// skipped, trailing spaces dropped unless escaped, '!' negates, a trailing
// '/' matches directories only, a pattern with another '/' is anchored to
// the file's directory while one without matches a name at any depth, and
// "**" as a whole component matches any number of components ("a/**"
// needs at least one). Within one file the last matching pattern wins.
type gitignoreFile struct {
	patterns []ignorePattern
}

type ignorePattern struct {
	negate   bool
	dirOnly  bool
	basename bool        // no '/': match the last component at any depth
	segs     []ignoreSeg // anchored: one per component
	name     wildcard    // basename patterns
	valid    bool
}

type ignoreSeg struct {
	doubleStar bool
	w          wildcard
}

// maxIgnoreComponents bounds the components of one pattern; git itself
// has no such patterns in practice, and it keeps matching cost bounded.
const maxIgnoreComponents = 256

// parseGitignore parses an ignore file. It never fails: lines git could
// not use are skipped, as git skips them.
func parseGitignore(data []byte) *gitignoreFile {
	g := &gitignoreFile{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if p, ok := parseIgnoreLine(line); ok {
			g.patterns = append(g.patterns, p)
		}
	}
	return g
}

func parseIgnoreLine(line string) (ignorePattern, bool) {
	var p ignorePattern
	if line == "" || line[0] == '#' {
		return p, false
	}
	line = trimTrailingSpaces(line)
	if line == "" {
		return p, false
	}
	if line[0] == '!' {
		p.negate = true
		line = line[1:]
	} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		// One trailing '/' says "directories only"; git strips no more,
		// so "a//" keeps a '/' and never matches.
		p.dirOnly = true
		line = line[:len(line)-1]
	}
	if line == "" {
		return p, false
	}
	if !strings.Contains(line, "/") {
		w, ok := compileWildcard(line)
		p.basename, p.name, p.valid = true, w, ok
		return p, true
	}
	line = strings.TrimPrefix(line, "/")
	parts := strings.Split(line, "/")
	if len(parts) > maxIgnoreComponents {
		return p, false
	}
	p.valid = true
	for _, part := range parts {
		// An empty part ("a//b") stays: it matches no component, as in git.
		if part == "**" {
			if n := len(p.segs); n > 0 && p.segs[n-1].doubleStar {
				continue
			}
			p.segs = append(p.segs, ignoreSeg{doubleStar: true})
			continue
		}
		w, ok := compileWildcard(part)
		if !ok {
			p.valid = false
		}
		p.segs = append(p.segs, ignoreSeg{w: w})
	}
	return p, len(p.segs) > 0
}

// trimTrailingSpaces drops trailing spaces that are not escaped with '\'.
func trimTrailingSpaces(s string) string {
	end := len(s)
	for end > 0 && s[end-1] == ' ' {
		// Count the backslashes before this space: an odd number escapes it.
		bs := 0
		for k := end - 2; k >= 0 && s[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 1 {
			break
		}
		end--
	}
	return s[:end]
}

// Match decides rel (a path relative to the ignore file's directory, '/'
// separated, no leading '/') against the file. decided is false when no
// pattern matches, so a less specific file gets its turn.
func (g *gitignoreFile) Match(rel string, isDir bool) (ignored, decided bool) {
	if g == nil || rel == "" {
		return false, false
	}
	var comps []string // split lazily: most patterns are basename patterns
	name := rel[strings.LastIndexByte(rel, '/')+1:]
	for i := len(g.patterns) - 1; i >= 0; i-- {
		p := &g.patterns[i]
		if !p.valid || p.dirOnly && !isDir {
			continue
		}
		var hit bool
		if p.basename {
			hit = p.name.match(name)
		} else {
			if comps == nil {
				comps = strings.Split(rel, "/")
			}
			hit = matchSegments(p.segs, comps)
		}
		if hit {
			return !p.negate, true
		}
	}
	return false, false
}

// matchSegments matches pattern components against path components. It
// tracks the set of path positions reachable after each pattern component,
// so "**" costs O(len(path)) per component, never exponential time.
func matchSegments(segs []ignoreSeg, comps []string) bool {
	reach := make([]bool, len(comps)+1)
	next := make([]bool, len(comps)+1)
	reach[0] = true
	for i := range segs {
		clear(next)
		seg := &segs[i]
		if seg.doubleStar {
			// Zero or more components; a trailing "**" needs at least one.
			atLeast := 0
			if i == len(segs)-1 {
				atLeast = 1
			}
			first := -1
			for j, ok := range reach {
				if ok {
					first = j
					break
				}
			}
			if first < 0 {
				return false
			}
			for j := first + atLeast; j <= len(comps); j++ {
				next[j] = true
			}
		} else {
			any := false
			for j := 0; j < len(comps); j++ {
				if reach[j] && seg.w.match(comps[j]) {
					next[j+1] = true
					any = true
				}
			}
			if !any {
				return false
			}
		}
		reach, next = next, reach
	}
	return reach[len(comps)]
}
