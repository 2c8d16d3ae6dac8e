package fstree

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// Compare orders paths the way upstream's Rust PathBuf does: component by
// component, each component as raw bytes, a shorter prefix first. That is
// a byte-wise comparison in which '/' ranks below every other byte, so
// "/p/a/b" < "/p/a-b" < "/p/a.txt". Plain string order would put "/p/a-b"
// first and give a different root. Paths must be clean (no "//", no
// trailing "/"), as Walk produces them.
func Compare(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return -1
		}
		if cb == '/' {
			return 1
		}
		if ca < cb {
			return -1
		}
		return 1
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// SortFiles sorts files with Compare and drops later duplicates of a path
// (a file reached through two nested roots counts once).
func SortFiles(files []File) []File {
	slices.SortStableFunc(files, func(a, b File) int { return Compare(a.Path, b.Path) })
	return slices.CompactFunc(files, func(a, b File) bool { return a.Path == b.Path })
}

// join appends a relative path to a root, the way the walk builds leaf
// paths: "/" + "a" is "/a", "/p" + "a" is "/p/a", "/p" + "" is "/p".
func join(root, rel string) string {
	switch {
	case rel == "":
		return root
	case strings.HasSuffix(root, "/"):
		return root + rel
	}
	return root + "/" + rel
}

// Within reports whether path equals root or lies below it, component-wise
// ("/a/bc" is not within "/a/b").
func Within(path, root string) bool {
	if root == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == root || strings.HasPrefix(path, root) && path[len(root)] == '/'
}

// Rel returns path relative to root ("" for root itself); ok is false when
// path is not within root.
func Rel(root, path string) (rel string, ok bool) {
	if !Within(path, root) {
		return "", false
	}
	if root == "/" {
		return path[1:], true
	}
	if path == root {
		return "", true
	}
	return path[len(root)+1:], true
}

// b64Prefix marks a recorded path whose raw bytes are not valid UTF-8.
// Every real recorded path is absolute and starts with '/', so the marked
// form can never be mistaken for a path.
const b64Prefix = "b64:"

// EncodePath is the JSON-safe, lossless form of a path: the path itself
// when it is valid UTF-8, else "b64:" and the standard base64 of its raw
// bytes. JSON strings cannot carry invalid UTF-8, and a lossy U+FFFD form
// would merge distinct names.
func EncodePath(p string) string {
	if utf8.ValidString(p) && !strings.HasPrefix(p, b64Prefix) {
		return p
	}
	return b64Prefix + base64.StdEncoding.EncodeToString([]byte(p))
}

// DecodePath reverses EncodePath. It rejects a "b64:" form that is not
// canonical (it would give one path two spellings).
func DecodePath(s string) (string, error) {
	if !strings.HasPrefix(s, b64Prefix) {
		if !utf8.ValidString(s) {
			return "", fmt.Errorf("invalid encoded path %q: not UTF-8", s)
		}
		return s, nil
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(s[len(b64Prefix):])
	if err != nil {
		return "", fmt.Errorf("invalid encoded path %q: %w", s, err)
	}
	p := string(raw)
	if EncodePath(p) != s {
		return "", fmt.Errorf("invalid encoded path %q: not the canonical form of its bytes", s)
	}
	return p, nil
}

// Display is a readable one-line form of a path for messages: invalid
// bytes and control characters are escaped as \xNN.
func Display(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch {
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", p[i])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(p[i : i+size])
		}
		i += size
	}
	return b.String()
}

// CleanAbs checks that p is absolute and clean: no empty, "." or ".."
// components, no trailing slash (except "/" itself) and no NUL byte.
func CleanAbs(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q is not absolute", Display(p))
	}
	if p == "/" {
		return nil
	}
	start := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			if p[i] == 0 {
				return fmt.Errorf("path %q contains a NUL byte", Display(p))
			}
			continue
		}
		if c := p[start:i]; c == "" || c == "." || c == ".." {
			return fmt.Errorf("path %q is not clean", Display(p))
		}
		start = i + 1
	}
	return nil
}

// Canonical resolves symbolic links in p, or in its longest existing
// prefix when p does not exist (yet).
func Canonical(p string) string {
	p = filepath.Clean(p)
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	parent := filepath.Dir(p)
	if parent == p {
		return p
	}
	return filepath.Join(Canonical(parent), filepath.Base(p))
}
