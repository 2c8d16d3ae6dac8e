package fstree

// A wildcard matches one path component (no '/') with git's wildmatch
// rules, byte by byte: '*' any run of bytes, '?' one byte, '[...]' a class
// ("[!a-z]" or "[^a-z]" negated, "[]x]" with a literal ']', POSIX classes
// such as "[[:digit:]]"), '\' escapes the next byte. Matching is linear in
// practice and O(len(pattern)·len(name)) at worst: no exponential
// backtracking on hostile patterns.
type wildcard struct {
	toks []wtok
}

type wkind uint8

const (
	wLit wkind = iota
	wAny
	wClass
	wStar
)

type wtok struct {
	kind wkind
	lit  byte
	set  *[4]uint64 // wClass: bytes that match (negation already applied)
}

func (t *wtok) matches(c byte) bool {
	switch t.kind {
	case wLit:
		return t.lit == c
	case wAny:
		return true
	case wClass:
		return t.set[c>>6]&(1<<(c&63)) != 0
	}
	return false
}

// compileWildcard parses one component pattern. ok is false for a pattern
// git would never match (an unterminated class).
func compileWildcard(p string) (w wildcard, ok bool) {
	for i := 0; i < len(p); {
		switch c := p[i]; c {
		case '*':
			if n := len(w.toks); n == 0 || w.toks[n-1].kind != wStar {
				w.toks = append(w.toks, wtok{kind: wStar})
			}
			i++
		case '?':
			w.toks = append(w.toks, wtok{kind: wAny})
			i++
		case '[':
			set, n, ok := compileClass(p[i:])
			if !ok {
				return wildcard{}, false
			}
			w.toks = append(w.toks, wtok{kind: wClass, set: set})
			i += n
		case '\\':
			if i+1 < len(p) {
				i++
			}
			w.toks = append(w.toks, wtok{kind: wLit, lit: p[i]})
			i++
		default:
			w.toks = append(w.toks, wtok{kind: wLit, lit: c})
			i++
		}
	}
	return w, true
}

var posixClasses = map[string]func(c byte) bool{
	"alnum":  func(c byte) bool { return isAlpha(c) || isDigit(c) },
	"alpha":  isAlpha,
	"blank":  func(c byte) bool { return c == ' ' || c == '\t' },
	"cntrl":  func(c byte) bool { return c < 0x20 || c == 0x7f },
	"digit":  isDigit,
	"graph":  func(c byte) bool { return c > 0x20 && c < 0x7f },
	"lower":  func(c byte) bool { return c >= 'a' && c <= 'z' },
	"print":  func(c byte) bool { return c >= 0x20 && c < 0x7f },
	"punct":  func(c byte) bool { return c > 0x20 && c < 0x7f && !isAlpha(c) && !isDigit(c) },
	"space":  func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' },
	"upper":  func(c byte) bool { return c >= 'A' && c <= 'Z' },
	"xdigit": func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' },
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// compileClass parses "[...]" at the start of p and returns the set of
// matching bytes and the length consumed.
func compileClass(p string) (*[4]uint64, int, bool) {
	var set [4]uint64
	add := func(c byte) { set[c>>6] |= 1 << (c & 63) }
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	first := true
	for {
		if i >= len(p) {
			return nil, 0, false
		}
		c := p[i]
		if c == ']' && !first {
			i++
			break
		}
		first = false
		if c == '[' && i+1 < len(p) && p[i+1] == ':' {
			end := -1
			for j := i + 2; j+1 < len(p); j++ {
				if p[j] == ':' && p[j+1] == ']' {
					end = j
					break
				}
			}
			if end < 0 {
				return nil, 0, false
			}
			fn, ok := posixClasses[p[i+2:end]]
			if !ok {
				return nil, 0, false
			}
			for b := 0; b < 256; b++ {
				if fn(byte(b)) {
					add(byte(b))
				}
			}
			i = end + 2
			continue
		}
		if c == '\\' {
			i++
			if i >= len(p) {
				return nil, 0, false
			}
			c = p[i]
		}
		lo := c
		i++
		if i+1 < len(p) && p[i] == '-' && p[i+1] != ']' {
			hi := p[i+1]
			i += 2
			if hi == '\\' {
				if i >= len(p) {
					return nil, 0, false
				}
				hi = p[i]
				i++
			}
			for b := int(lo); b <= int(hi); b++ {
				add(byte(b))
			}
			continue
		}
		add(lo)
	}
	if negate {
		for k := range set {
			set[k] = ^set[k]
		}
	}
	return &set, i, true
}

// match reports whether the whole of s matches. The classic two-pointer
// algorithm: on a mismatch, retry from the last '*' one byte further on.
func (w *wildcard) match(s string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(s) {
		if ti < len(w.toks) {
			t := &w.toks[ti]
			if t.kind == wStar {
				starT, starS = ti, si
				ti++
				continue
			}
			if t.matches(s[si]) {
				ti++
				si++
				continue
			}
		}
		if starT < 0 {
			return false
		}
		ti = starT + 1
		starS++
		si = starS
	}
	for ti < len(w.toks) && w.toks[ti].kind == wStar {
		ti++
	}
	return ti == len(w.toks)
}

// globPattern is a file-name pattern of --rollback-exclude: it matches the last
// component of a path with the wildcard rules above.
type globPattern struct {
	src string
	w   wildcard
	ok  bool
}

// compileGlob compiles a file-name pattern. A malformed pattern (an
// unterminated class) matches nothing.
func compileGlob(p string) globPattern {
	w, ok := compileWildcard(p)
	return globPattern{src: p, w: w, ok: ok}
}

// Match reports whether name (one component) matches.
func (g *globPattern) Match(name string) bool { return g.ok && g.w.match(name) }

// isGlob reports whether a --rollback-exclude value is a glob rather than
// a plain name: it contains '*', '?' or '['.
func isGlob(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?', '[':
			return true
		}
	}
	return false
}
