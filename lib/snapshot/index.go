package snapshot

import (
	"slices"

	"github.com/cespare/xxhash/v2"

	"github.com/nono-audit/nono/lib/fstree"
)

// index finds a manifest's files by path: the stat cache of a later walk
// and the lookups of a restore plan. Keys are xxhash64 of the path (fast,
// not cryptographic: a collision only costs a comparison, since every hit
// is checked against the full path).
type index struct {
	files []fstree.File
	slots map[uint64]int32 // first file with this key
	more  map[uint64][]int32
}

func newIndex(files []fstree.File) *index {
	x := &index{files: files, slots: make(map[uint64]int32, len(files))}
	for i := range files {
		k := xxhash.Sum64String(files[i].Path)
		if _, dup := x.slots[k]; dup {
			if x.more == nil {
				x.more = map[uint64][]int32{}
			}
			x.more[k] = append(x.more[k], int32(i))
			continue
		}
		x.slots[k] = int32(i)
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
	k := xxhash.Sum64String(path)
	i, ok := x.slots[k]
	if !ok {
		return nil
	}
	if x.files[i].Path == path {
		return &x.files[i]
	}
	for _, j := range x.more[k] {
		if x.files[j].Path == path {
			return &x.files[j]
		}
	}
	return nil
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
