package sandbox

import (
	"io/fs"
	"os"
	"path/filepath"
)

// resolver finds the canonical form of many paths that share parent
// directories, as the default profile's system paths do (/etc, /usr/lib,
// ...), with one lstat a path instead of one a path element: for a clean
// absolute path whose last element exists and is not a symbolic link,
// the canonical path is its parent's canonical path joined with that
// element, and each parent is resolved once. A symbolic link, or any
// path that is not clean and absolute, is left to filepath.EvalSymlinks,
// so the results are exactly EvalSymlinks' (TestResolverAgrees).
type resolver map[string]resolved

// resolved is a path's canonical form and whether it is a directory;
// ok is false when it cannot be resolved (it does not exist).
type resolved struct {
	path    string
	dir, ok bool
}

// resolve returns p's canonical form and whether that is a directory.
func (r resolver) resolve(p string) resolved {
	if p == "/" {
		return resolved{"/", true, true}
	}
	if !filepath.IsAbs(p) || filepath.Clean(p) != p {
		return evalSymlinks(p)
	}
	if v, seen := r[p]; seen {
		return v
	}
	var v resolved
	if parent := r.resolve(filepath.Dir(p)); parent.ok && parent.dir {
		q := filepath.Join(parent.path, filepath.Base(p))
		if fi, err := os.Lstat(q); err == nil {
			if fi.Mode()&fs.ModeSymlink != 0 {
				v = evalSymlinks(p)
			} else {
				v = resolved{q, fi.IsDir(), true}
			}
		}
	}
	r[p] = v
	return v
}

// evalSymlinks resolves p the long way.
func evalSymlinks(p string) resolved {
	cp, err := filepath.EvalSymlinks(p)
	if err != nil {
		return resolved{}
	}
	return resolved{cp, isDir(cp), true}
}
