package snapshot

import (
	"slices"

	"github.com/nono-audit/nono/lib/fstree"
)

// index finds a manifest's files by path: the stat cache of a later walk
// and the lookups of a restore plan. A plain map keyed by the path: an
// xxhash64 key was measured no faster (100,000 paths built and probed,
// the same within noise), and Go's map already hashes strings.
type index struct {
	files []fstree.File
	slots map[string]int32
}

func newIndex(files []fstree.File) *index {
	x := &index{files: files, slots: make(map[string]int32, len(files))}
	for i := range files {
		if _, dup := x.slots[files[i].Path]; !dup {
			x.slots[files[i].Path] = int32(i)
		}
	}
	return x
}

// Lookup implements fstree.StatCache.
func (x *index) Lookup(path string) (fstree.File, bool) {
	if f := x.get(path); f != nil {
		return *f, true
	}
	return fstree.File{}, false
}

func (x *index) get(path string) *fstree.File {
	if x == nil {
		return nil
	}
	i, ok := x.slots[path]
	if !ok {
		return nil
	}
	return &x.files[i]
}

// caches tries several indexes in turn.
type caches []*index

func (cs caches) Lookup(path string) (fstree.File, bool) {
	for _, c := range cs {
		if f, ok := c.Lookup(path); ok {
			return f, true
		}
	}
	return fstree.File{}, false
}

func sortDirs(ds []fstree.Dir) {
	slices.SortFunc(ds, func(a, b fstree.Dir) int { return fstree.Compare(a.Path, b.Path) })
}

func sortLinks(ls []fstree.Link) {
	slices.SortFunc(ls, func(a, b fstree.Link) int { return fstree.Compare(a.Path, b.Path) })
}
