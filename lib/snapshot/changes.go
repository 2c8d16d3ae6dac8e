package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/fstree"
)

// ChangeType is upstream's change_type.
type ChangeType string

const (
	Created            ChangeType = "Created"
	Modified           ChangeType = "Modified"
	deleted            ChangeType = "Deleted"
	PermissionsChanged ChangeType = "PermissionsChanged"
)

// Symbol is the one-character form used in listings: + ~ - p.
func (t ChangeType) Symbol() string {
	switch t {
	case Created:
		return "+"
	case Modified:
		return "~"
	case deleted:
		return "-"
	case PermissionsChanged:
		return "p"
	}
	return "?"
}

// Word is the lowercase description used in listings.
func (t ChangeType) Word() string {
	switch t {
	case Created:
		return "created"
	case Modified:
		return "modified"
	case deleted:
		return "deleted"
	case PermissionsChanged:
		return "permissions"
	}
	return string(t)
}

// Change is one entry of changes/NNN.json. Path, ChangeType, SizeDelta,
// OldHash and NewHash are upstream's fields in upstream's order; the old
// and new permissions (full st_mode) and types follow them.
type Change struct {
	Path      string
	Type      ChangeType
	SizeDelta int64
	OldHash   *fstree.Hash
	NewHash   *fstree.Hash
	OldMode   *uint32
	NewMode   *uint32
	OldType   string // "file", "symlink" or "" when absent
	NewType   string
}

// Diff lists what changed from prev to cur (both sorted with
// fstree.Compare), in path order. Content, type or link target changes
// are Modified; a permissions change alone is PermissionsChanged; mtime
// alone is no change.
func Diff(prev, cur []fstree.File) []Change {
	var out []Change
	i, j := 0, 0
	for i < len(prev) || j < len(cur) {
		var c int
		switch {
		case i == len(prev):
			c = 1
		case j == len(cur):
			c = -1
		default:
			c = fstree.Compare(prev[i].Path, cur[j].Path)
		}
		switch {
		case c < 0:
			out = append(out, change(&prev[i], nil))
			i++
		case c > 0:
			out = append(out, change(nil, &cur[j]))
			j++
		default:
			a, b := &prev[i], &cur[j]
			if a.Hash != b.Hash || a.Type != b.Type || a.Target != b.Target || a.TargetOnly != b.TargetOnly || a.Mode != b.Mode {
				out = append(out, change(a, b))
			}
			i++
			j++
		}
	}
	return out
}

func change(a, b *fstree.File) Change {
	var c Change
	if a != nil {
		h, m := a.Hash, a.Mode
		c.Path, c.OldHash, c.OldMode, c.OldType = a.Path, &h, &m, a.Type.String()
	}
	if b != nil {
		h, m := b.Hash, b.Mode
		c.Path, c.NewHash, c.NewMode, c.NewType = b.Path, &h, &m, b.Type.String()
	}
	switch {
	case a == nil:
		c.Type, c.SizeDelta = Created, b.Size
	case b == nil:
		c.Type, c.SizeDelta = deleted, -a.Size
	case a.Hash != b.Hash || a.Type != b.Type || a.Target != b.Target || a.TargetOnly != b.TargetOnly:
		c.Type, c.SizeDelta = Modified, b.Size-a.Size
	default:
		c.Type = PermissionsChanged
	}
	return c
}

// ChangesPath is dir/changes/NNN.json.
func ChangesPath(dir string, n int) string {
	return filepath.Join(dir, changesDir, fmt.Sprintf("%03d.json", n))
}

// WriteChanges writes dir/changes/NNN.json atomically (0600). Unlike
// upstream it is written even when empty, so "no changes" and "not
// recorded" can be told apart.
func WriteChanges(dir string, n int, changes []Change) error {
	if err := mkdirPrivate(filepath.Join(dir, changesDir)); err != nil {
		return err
	}
	return atomicfile.WriteFile(ChangesPath(dir, n), encodeChanges(changes), 0o600)
}

// ReadChanges reads and parses dir/changes/NNN.json. A missing file is
// reported with an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadChanges(dir string, n int) ([]Change, error) {
	p := ChangesPath(dir, n)
	data, err := readDocument(p)
	if err != nil {
		return nil, err
	}
	cs, err := parseChanges(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return cs, nil
}

// encodeChanges returns the changes as a pretty JSON array.
func encodeChanges(changes []Change) []byte {
	if len(changes) == 0 {
		return []byte("[]")
	}
	buf := make([]byte, 0, len(changes)*300)
	buf = append(buf, '[')
	for i := range changes {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, "\n  "...)
		buf = prettyAt(buf, changes[i].Value(), 1)
	}
	return append(buf, "\n]"...)
}

// Value is the change as an ordered JSON object.
func (c *Change) Value() canon.Value {
	hash := func(h *fstree.Hash) canon.Value {
		if h == nil {
			return canon.NullValue()
		}
		return canon.StringValue(fstree.Hex(*h))
	}
	mode := func(m *uint32) canon.Value {
		if m == nil {
			return canon.NullValue()
		}
		return canon.UintValue(uint64(*m))
	}
	typ := func(t string) canon.Value {
		if t == "" {
			return canon.NullValue()
		}
		return canon.StringValue(t)
	}
	return canon.ObjectValue(
		canon.Member{Key: "path", Value: canon.StringValue(fstree.EncodePath(c.Path))},
		canon.Member{Key: "change_type", Value: canon.StringValue(string(c.Type))},
		canon.Member{Key: "size_delta", Value: canon.IntValue(c.SizeDelta)},
		canon.Member{Key: "old_hash", Value: hash(c.OldHash)},
		canon.Member{Key: "new_hash", Value: hash(c.NewHash)},
		canon.Member{Key: "old_permissions", Value: mode(c.OldMode)},
		canon.Member{Key: "new_permissions", Value: mode(c.NewMode)},
		canon.Member{Key: "old_type", Value: typ(c.OldType)},
		canon.Member{Key: "new_type", Value: typ(c.NewType)},
	)
}

// parseChanges parses a changes file strictly (upstream files, which lack
// the permission and type fields, included).
func parseChanges(data []byte) ([]Change, error) {
	r := newReader(data)
	var out []Change
	err := r.array(func() error {
		var c Change
		var have struct{ path, typ, delta bool }
		err := r.object(func(key string) error {
			var err error
			switch key {
			case "path":
				var s string
				if s, err = r.str(); err == nil {
					c.Path, err = decodeCleanPath(r, s)
				}
				have.path = true
			case "change_type":
				var s string
				s, err = r.str()
				c.Type = ChangeType(s)
				switch c.Type {
				case Created, Modified, deleted, PermissionsChanged:
				default:
					if err == nil {
						err = r.errorf("unknown change_type %q", s)
					}
				}
				have.typ = true
			case "size_delta":
				c.SizeDelta, err = r.int()
				have.delta = true
			case "old_hash", "new_hash":
				var h *fstree.Hash
				if !r.null() {
					var v fstree.Hash
					v, err = parseHash(r)
					h = &v
				}
				if key == "old_hash" {
					c.OldHash = h
				} else {
					c.NewHash = h
				}
			case "old_permissions", "new_permissions":
				var m *uint32
				if !r.null() {
					var v uint64
					v, err = r.uint(1<<32 - 1)
					m32 := uint32(v)
					m = &m32
				}
				if key == "old_permissions" {
					c.OldMode = m
				} else {
					c.NewMode = m
				}
			case "old_type", "new_type":
				var s string
				if !r.null() {
					s, err = r.str()
				}
				if key == "old_type" {
					c.OldType = s
				} else {
					c.NewType = s
				}
			default:
				err = r.skip()
			}
			return err
		})
		if err == nil && (!have.path || !have.typ || !have.delta) {
			err = r.errorf("change entry needs path, change_type and size_delta")
		}
		out = append(out, c)
		return err
	})
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Counts are the number of changes of each type.
type Counts struct {
	Created, Modified, Deleted, Permissions int
}

// Count tallies changes.
func Count(changes []Change) Counts {
	var c Counts
	for _, ch := range changes {
		switch ch.Type {
		case Created:
			c.Created++
		case Modified:
			c.Modified++
		case deleted:
			c.Deleted++
		case PermissionsChanged:
			c.Permissions++
		}
	}
	return c
}

// Total is the number of changes.
func (c Counts) Total() int { return c.Created + c.Modified + c.Deleted + c.Permissions }

// sameChanges reports whether two change lists say the same thing
// (upstream's fields; the additions are compared when both have them).
func sameChanges(a, b []Change) bool {
	return slices.EqualFunc(a, b, func(x, y Change) bool {
		eqHash := func(p, q *fstree.Hash) bool { return p == nil && q == nil || p != nil && q != nil && *p == *q }
		eqMode := func(p, q *uint32) bool { return p == nil || q == nil || *p == *q }
		return x.Path == y.Path && x.Type == y.Type && x.SizeDelta == y.SizeDelta &&
			eqHash(x.OldHash, y.OldHash) && eqHash(x.NewHash, y.NewHash) &&
			eqMode(x.OldMode, y.OldMode) && eqMode(x.NewMode, y.NewMode)
	})
}

// isNotExist reports a missing file.
func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }
