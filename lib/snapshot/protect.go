package snapshot

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
)

// ProtectedStores lists what no walk of the tracked roots may enter, for
// every walk alike (the baseline, and `nono-merkle fs`, whose independent
// root must agree with it): the audit and rollback roots, every
// --rollback-dest registered in the rollback root's dests file, and the
// directories of the session being recorded, if any: its audit directory
// and its rollback store (whose dest is not registered until the baseline
// is taken). A dest that holds a tracked root (or is one) cannot be left
// out whole without losing the root, so its session stores and its shared
// object store are left out instead.
func ProtectedStores(getenv func(string) string, roots []string, sessionDir, storeDir string) []string {
	var out []string
	add := func(p string) {
		if p != "" && filepath.IsAbs(p) {
			out = append(out, canonical(p))
		}
	}
	var dests []string
	if r, err := stores.AuditRoot(getenv); err == nil {
		add(r)
	}
	if r, err := stores.RollbackRoot(getenv); err == nil {
		add(r)
		dests, _ = session.ReadDests(r) // unreadable: nothing more is known to protect
	}
	add(sessionDir)
	if storeDir != "" {
		add(storeDir)
		dests = append(dests, filepath.Dir(storeDir))
	}
	for _, d := range dests {
		if !filepath.IsAbs(d) {
			continue
		}
		dest := canonical(d)
		if !slices.ContainsFunc(roots, func(r string) bool { return fstree.Within(r, dest) }) {
			add(dest)
			continue
		}
		add(filepath.Join(dest, sharedObjectsDir))
		for _, id := range sessionDirs(dest) {
			if p := filepath.Join(dest, id); isStore(p) {
				add(p)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isStore reports whether dir looks like a rollback session directory.
func isStore(dir string) bool {
	for _, sub := range []string{snapshotsDir, objectsDir} {
		if fi, err := os.Lstat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}
