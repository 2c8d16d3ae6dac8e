package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Grant is a directory the command was given: the grants decide which
// paths a session tracks (upstream's tracked_paths).
type Grant struct {
	Path     string
	Writable bool
	Source   string // the flag or variable it came from, for error messages
}

// Grants collects the grant flags of `nono run`: -a/--allow (writable),
// -r/--read (read-only) and --allow-cwd (the working directory,
// read-only). Like upstream's flag parser, NONO_ALLOW (comma-separated
// writable directories) stands in for --allow only when no --allow is
// given.
func Grants(allow, read []string, allowCwd bool, getenv func(string) string, cwd string) []Grant {
	var gs []Grant
	if len(allow) == 0 {
		for _, p := range strings.Split(getenv("NONO_ALLOW"), ",") {
			if p != "" {
				gs = append(gs, Grant{Path: p, Writable: true, Source: "NONO_ALLOW"})
			}
		}
	}
	for _, p := range allow {
		gs = append(gs, Grant{Path: p, Writable: true, Source: "--allow"})
	}
	for _, p := range read {
		gs = append(gs, Grant{Path: p, Source: "--read"})
	}
	if allowCwd {
		gs = append(gs, Grant{Path: cwd, Source: "--allow-cwd"})
	}
	return gs
}

// TrackedPaths resolves grants to the session's tracked paths: canonical
// directories (every symbolic link resolved), each once (granted twice, it
// is writable if either grant is), in grant order, except that the first
// one equal to, above or below the working directory is swapped to index
// 0 (the session's "project directory"). With writableOnly (rollback or
// --audit-integrity: the roots that get hashed) read-only ones are left
// out, even when that leaves none (the session still is a rollback one,
// with nothing to snapshot). A grant that does not exist, is not a directory or is not valid UTF-8
// (session.json cannot hold it) is an error naming its flag.
func TrackedPaths(grants []Grant, cwd string, writableOnly bool) ([]string, error) {
	var paths []string
	writable := map[string]bool{}
	for _, g := range grants {
		p, err := resolveDir(g, cwd)
		if err != nil {
			return nil, err
		}
		if w, seen := writable[p]; seen {
			writable[p] = w || g.Writable
			continue
		}
		writable[p] = g.Writable
		paths = append(paths, p)
	}
	if writableOnly {
		kept := paths[:0]
		for _, p := range paths {
			if writable[p] {
				kept = append(kept, p)
			}
		}
		paths = kept
	}
	if wd, err := filepath.EvalSymlinks(cwd); err == nil {
		for i, p := range paths {
			if within(wd, p) || within(p, wd) {
				paths[0], paths[i] = paths[i], paths[0]
				break
			}
		}
	}
	if paths == nil {
		paths = []string{}
	}
	return paths, nil
}

func resolveDir(g Grant, cwd string) (string, error) {
	if !utf8.ValidString(g.Path) {
		return "", fmt.Errorf("%s %q: path is not valid UTF-8, so it cannot be recorded", g.Source, g.Path)
	}
	if g.Path == "" {
		return "", fmt.Errorf("%s: empty path", g.Source)
	}
	p, err := filepath.EvalSymlinks(absolute(g.Path, cwd))
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return "", fmt.Errorf("%s %q: %w", g.Source, g.Path, err)
	}
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", g.Source, g.Path, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("%s %q: not a directory", g.Source, g.Path)
	}
	if !utf8.ValidString(p) {
		return "", fmt.Errorf("%s %q: resolves to %q, which is not valid UTF-8, so it cannot be recorded", g.Source, g.Path, p)
	}
	return p, nil
}

// within reports whether path p is dir or inside it, component-wise.
func within(p, dir string) bool {
	if p == dir || dir == "/" {
		return true
	}
	return strings.HasPrefix(p, dir+"/")
}
