package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
)

// ErrNotFound is a session ID that no rollback directory holds.
var ErrNotFound = errors.New("session not found")

// Catalog is the set of directories holding rollback sessions: the
// rollback root, the --rollback-dest directories registered in its dests
// file, and any given explicitly.
type Catalog struct {
	Roots     []string
	auditRoot string
}

// OpenCatalog finds the rollback directories. extra are --dest values.
func OpenCatalog(getenv func(string) string, extra ...string) (*Catalog, error) {
	root, err := session.RollbackRoot(getenv)
	if err != nil {
		return nil, err
	}
	c := &Catalog{Roots: []string{root}}
	if a, err := session.AuditRoot(getenv); err == nil {
		c.auditRoot = a
	}
	dests, err := ReadDests(root)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(root, DestsFileName), err)
	}
	for _, d := range append(dests, extra...) {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("rollback directory %q is not an absolute path", d)
		}
		d = filepath.Clean(d)
		if !slices.Contains(c.Roots, d) {
			c.Roots = append(c.Roots, d)
		}
	}
	return c, nil
}

// Entry is one rollback session.
type Entry struct {
	ID        string
	Dir       string
	Session   *session.Session
	Started   time.Time
	StartedOK bool
	Running   bool
	changes   []Change
	loaded    bool
}

// Ended reports whether the session recorded an end time.
func (e *Entry) Ended() bool { return e.Session.Ended != nil }

// Stale is a session that never ended and that nothing runs any more.
func (e *Entry) Stale() bool { return !e.Ended() && !e.Running }

// Changes are the session's recorded changes (every changes/NNN.json).
func (e *Entry) Changes() []Change {
	if !e.loaded {
		e.loaded = true
		for n := 1; ; n++ {
			cs, err := ReadChanges(e.Dir, n)
			if err != nil {
				break
			}
			e.changes = append(e.changes, cs...)
		}
	}
	return e.changes
}

// DiskSize is the bytes the session directory holds.
func (e *Entry) DiskSize() uint64 {
	n, _ := session.DiskSize(e.Dir) // best effort, as a listing is
	return uint64(n)
}

// List returns every session with a readable session.json, newest first
// (by parsed start time). Unreadable ones come back as warnings.
func (c *Catalog) List() ([]*Entry, []error) {
	var out []*Entry
	var warns []error
	seen := map[string]bool{}
	for _, root := range c.Roots {
		names, err := os.ReadDir(root)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				warns = append(warns, err)
			}
			continue
		}
		for _, d := range names {
			if !d.IsDir() || session.ValidateID(d.Name()) != nil || seen[d.Name()] {
				continue
			}
			dir := filepath.Join(root, d.Name())
			if _, err := os.Lstat(filepath.Join(dir, session.FileName)); err != nil {
				continue // not a session (or an empty leftover)
			}
			e, err := c.load(d.Name(), dir)
			if err != nil {
				warns = append(warns, err)
				continue
			}
			seen[d.Name()] = true
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b *Entry) int {
		switch {
		case a.StartedOK && b.StartedOK:
			return b.Started.Compare(a.Started)
		case a.StartedOK:
			return -1
		case b.StartedOK:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, warns
}

// Find looks a session up by ID in every rollback directory.
func (c *Catalog) Find(id string) (*Entry, error) {
	if err := session.ValidateID(id); err != nil {
		return nil, err
	}
	for _, root := range c.Roots {
		dir := filepath.Join(root, id)
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() {
			continue
		}
		return c.load(id, dir)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
}

func (c *Catalog) load(id, dir string) (*Entry, error) {
	s, err := session.Read(dir)
	if err != nil {
		return nil, err
	}
	e := &Entry{ID: id, Dir: dir, Session: s}
	if t, err := event.ParseTime(s.Started); err == nil {
		e.Started, e.StartedOK = t, true
	}
	e.Running = session.IsRunning(dir) || c.auditRoot != "" && session.IsRunning(filepath.Join(c.auditRoot, id))
	return e, nil
}

// ListOptions filter List's result the way `nono rollback list` does.
type ListOptions struct {
	Recent int    // keep the newest N after filtering (0: all)
	Path   string // keep sessions whose tracked paths contain or lie inside Path
	All    bool   // also sessions without file changes
}

// Filter applies opts to entries (already newest first).
func Filter(entries []*Entry, opts ListOptions) []*Entry {
	var path string
	if opts.Path != "" {
		if abs, err := filepath.Abs(opts.Path); err == nil {
			path = canonical(abs)
		}
	}
	var out []*Entry
	for _, e := range entries {
		if path != "" && !touches(e.Session.TrackedPaths, path) {
			continue
		}
		if !opts.All && len(e.Changes()) == 0 {
			continue
		}
		out = append(out, e)
	}
	if opts.Recent > 0 && len(out) > opts.Recent {
		out = out[:opts.Recent]
	}
	return out
}

func touches(tracked []string, p string) bool {
	for _, t := range tracked {
		for _, form := range []string{filepath.Clean(t), canonical(t)} {
			if fstree.Within(p, form) || fstree.Within(form, p) {
				return true
			}
		}
	}
	return false
}

// ChangeSummary is "+N file(s), ~N modified, -N deleted" or "(no changes)";
// permission changes count as modified.
func ChangeSummary(changes []Change) string {
	c := Count(changes)
	var parts []string
	if c.Created > 0 {
		noun := "files"
		if c.Created == 1 {
			noun = "file"
		}
		parts = append(parts, fmt.Sprintf("+%d %s", c.Created, noun))
	}
	if m := c.Modified + c.Permissions; m > 0 {
		parts = append(parts, fmt.Sprintf("~%d modified", m))
	}
	if c.Deleted > 0 {
		parts = append(parts, fmt.Sprintf("-%d deleted", c.Deleted))
	}
	if len(parts) == 0 {
		return "(no changes)"
	}
	return strings.Join(parts, ", ")
}

// CleanupOptions select sessions to remove. At least one selector is
// required; given together, a session must match every one given.
type CleanupOptions struct {
	Keep      int  // remove all but the newest Keep sessions
	KeepSet   bool // Keep was given (0 is meaningful: keep none)
	OlderThan int  // days; remove sessions started longer ago
	OlderSet  bool
	All       bool
	Now       time.Time
}

// ErrNoSelector is a cleanup with nothing selecting what to remove.
var ErrNoSelector = errors.New("nothing selected: give --keep N (keep the newest N sessions), --older-than DAYS, or --all")

// SelectCleanup picks the sessions to remove from entries (newest first).
// Running sessions are never picked; they are returned separately.
func SelectCleanup(entries []*Entry, o CleanupOptions) (remove, running []*Entry, err error) {
	if !o.All && !o.KeepSet && !o.OlderSet {
		return nil, nil, ErrNoSelector
	}
	if o.Keep < 0 || o.OlderThan < 0 {
		return nil, nil, errors.New("--keep and --older-than must not be negative")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	kept := 0
	for _, e := range entries {
		if e.Running {
			running = append(running, e)
			continue
		}
		pick := true
		if o.KeepSet {
			if kept < o.Keep {
				kept++
				pick = false
			}
		}
		if o.OlderSet && pick {
			age := o.Now.Sub(e.Started)
			pick = e.StartedOK && age > time.Duration(o.OlderThan)*24*time.Hour
		}
		if pick {
			remove = append(remove, e)
		}
	}
	return remove, running, nil
}

// Remove deletes a session directory. It checks again that the directory
// is a real directory named by a valid ID and holding a session.json, so
// nothing else can be removed by mistake.
func Remove(e *Entry) error {
	if session.ValidateID(filepath.Base(e.Dir)) != nil {
		return fmt.Errorf("refusing to remove %s: not a session directory", e.Dir)
	}
	fi, err := os.Lstat(e.Dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("refusing to remove %s: not a directory", e.Dir)
	}
	if _, err := os.Lstat(filepath.Join(e.Dir, session.FileName)); err != nil {
		return fmt.Errorf("refusing to remove %s: no session.json", e.Dir)
	}
	return os.RemoveAll(e.Dir)
}
