package supervise

import (
	"path/filepath"

	"github.com/nono-audit/nono/lib/sandbox"
)

// TrackedPaths resolves grants to the session's tracked paths: canonical
// directories (every symbolic link resolved), each once (granted twice, it
// is writable if either grant is), in grant order, except that the first
// one equal to, above or below the working directory is swapped to index
// 0 (the session's "project directory"). With writableOnly (rollback or
// --audit-integrity: the roots that get hashed) read-only ones are left
// out, even when that leaves none (the session still is a rollback one,
// with nothing to snapshot). File grants are not tracked. A grant that
// does not exist, is not a directory or is not valid UTF-8 (session.json
// cannot hold it) is an error naming its flag.
func TrackedPaths(grants []sandbox.Grant, cwd string, writableOnly bool) ([]string, error) {
	var paths []string
	writable := map[string]bool{}
	for _, g := range grants {
		if g.File {
			continue
		}
		p, err := g.Resolve(cwd)
		if err != nil {
			return nil, err
		}
		if w, seen := writable[p]; seen {
			writable[p] = w || g.Writable()
			continue
		}
		writable[p] = g.Writable()
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
			if sandbox.Within(wd, p) || sandbox.Within(p, wd) {
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
