package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
)

// storedCache is a stat cache whose hashes must also name objects the
// store holds: a file found unchanged since an earlier session of the
// rollback root is neither read nor copied again, but only while its
// object is still there.
type storedCache struct {
	index *index
	store *Store
}

func (c *storedCache) Lookup(path string) (fstree.File, bool) {
	f, ok := c.index.Lookup(path)
	return f, ok && c.store.has(f.Hash)
}

// previousSnapshot is the last snapshot of the newest other session in
// the same rollback root whose manifest is still vouched for by its audit
// record: the stat cache of a new baseline, so repeated sessions on one
// tree read and copy only what changed since. Nil when there is none.
func (o *Options) previousSnapshot(store *Store) *Manifest {
	if !store.shared {
		return nil
	}
	auditRoot, err := stores.AuditRoot(o.Getenv)
	if err != nil {
		return nil
	}
	root, self := filepath.Dir(o.StoreDir), filepath.Base(o.StoreDir)
	type candidate struct {
		id   string
		n    int
		time int64
	}
	var cands []candidate
	for _, id := range sessionDirs(root) {
		if id == self {
			continue
		}
		n := countSnapshots(filepath.Join(root, id)) - 1
		if n < 0 {
			continue
		}
		if fi, err := os.Stat(ManifestPath(filepath.Join(root, id), n)); err == nil {
			cands = append(cands, candidate{id, n, fi.ModTime().UnixNano()})
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int { return int(min(max(b.time-a.time, -1), 1)) })
	for _, c := range cands[:min(len(cands), 3)] {
		digests, err := readDigests(filepath.Join(auditRoot, c.id))
		if err != nil || digests == nil {
			continue
		}
		if m, err := readManifestChecked(filepath.Join(root, c.id), c.n, digests); err == nil {
			return m
		}
	}
	return nil
}

// sessionDirs lists the names in a rollback root that can be sessions.
func sessionDirs(root string) []string {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && session.ValidateID(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out
}

// references collects every object the manifests of the sessions in a
// rollback root name, leaving out the session directories in except. A
// manifest that cannot be read makes it fail: its references are unknown.
func references(root string, except []string) (map[fstree.Hash]bool, error) {
	refs := map[fstree.Hash]bool{}
	for _, id := range sessionDirs(root) {
		dir := filepath.Join(root, id)
		if slices.Contains(except, dir) {
			continue
		}
		for n := range countSnapshots(dir) {
			m, err := ReadManifest(dir, n)
			if err != nil {
				return nil, fmt.Errorf("cannot tell which objects session %s uses: %w", id, err)
			}
			for i := range m.Files {
				refs[m.Files[i].Hash] = true
			}
		}
	}
	return refs, nil
}

// SweepResult tells what a sweep removed (or would remove).
type SweepResult struct {
	Objects int
	Bytes   int64
	Temps   int // temporary files left by interrupted writes
}

// sweepObjects removes from the shared object store of a rollback root
// every object that no manifest of a session in the root names, and the
// temporary files interrupted writes left, holding the store's exclusive
// lock so no session is adding or reading objects meanwhile. The session
// directories in except count as already removed (a dry run of a
// cleanup). With dryRun nothing is removed. If any session's manifests
// cannot be read, nothing is removed.
func sweepObjects(root string, except []string, dryRun bool) (SweepResult, error) {
	var res SweepResult
	dir := filepath.Join(root, sharedObjectsDir)
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return res, nil // no shared store in this root
	}
	store := &Store{dir: dir, shared: true}
	unlock, err := store.lock(true)
	if err != nil {
		return res, err
	}
	defer unlock()
	refs, err := references(root, except)
	if err != nil {
		return res, fmt.Errorf("%w; no object was removed from %s", err, dir)
	}
	var errs []error
	remove := func(p string, size int64) {
		if !dryRun {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
				return
			}
		}
		res.Bytes += size
	}
	err = store.each(func(p string, h fstree.Hash, valid bool, fi fs.FileInfo) {
		switch {
		case !valid && session.IsTemp(fi.Name()):
			res.Temps++
			remove(p, fi.Size())
		case valid && !refs[h]:
			res.Objects++
			remove(p, fi.Size())
		}
	})
	return res, errors.Join(append(errs, err)...)
}

// each calls f for every file of the store but the lock: its path, the
// hash its name spells (valid false when it spells none) and its info.
func (s *Store) each(f func(p string, h fstree.Hash, valid bool, fi fs.FileInfo)) error {
	shards, err := os.ReadDir(s.dir)
	if err != nil {
		return err
	}
	for _, sh := range shards {
		p := filepath.Join(s.dir, sh.Name())
		if !sh.IsDir() {
			if sh.Name() != lockFileName {
				if fi, err := sh.Info(); err == nil {
					f(p, fstree.Hash{}, false, fi)
				}
			}
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		for _, e := range ents {
			fi, err := e.Info()
			if err != nil {
				continue
			}
			h, err := fstree.ParseHash(sh.Name() + e.Name())
			f(filepath.Join(p, e.Name()), h, err == nil && fi.Mode().IsRegular() && fstree.Hex(h) == sh.Name()+e.Name(), fi)
		}
	}
	return nil
}

// SweepRoots sweeps the shared object store of every rollback root in
// roots (see sweepObjects), once the session directories in removed are
// gone (or, with dryRun, as if they were), and adds up what was freed.
func SweepRoots(roots, removed []string, dryRun bool) (SweepResult, error) {
	var total SweepResult
	var errs []error
	seen := map[string]bool{}
	for _, root := range roots {
		if seen[root] {
			continue
		}
		seen[root] = true
		res, err := sweepObjects(root, removed, dryRun)
		total.Objects += res.Objects
		total.Bytes += res.Bytes
		total.Temps += res.Temps
		errs = append(errs, err)
	}
	return total, errors.Join(errs...)
}
