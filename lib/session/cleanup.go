package session

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// CleanupOptions select the sessions `nono audit cleanup` and `nono
// rollback cleanup` remove.
type CleanupOptions struct {
	All       bool // every removable session (damaged ones included)
	OlderThan *int // sessions that started more than this many days ago
	Keep      *int // spare the newest N of the selection (alone: remove all but the newest N)
}

// ErrNoSelection is a cleanup that names no selection: removing every
// session must be asked for with --all.
var ErrNoSelection = errors.New("no sessions selected")

// Validate refuses a cleanup without a selection (ErrNoSelection) and bad
// values (a *UsageError naming the flag).
func (o CleanupOptions) Validate() error {
	if o.All && o.OlderThan != nil {
		return &UsageError{"--all", errors.New("cannot be combined with --older-than")}
	}
	if o.OlderThan != nil && *o.OlderThan < 0 {
		return &UsageError{"--older-than", errors.New("want a number of days, 0 or more")}
	}
	if o.Keep != nil && *o.Keep < 0 {
		return &UsageError{"--keep", errors.New("want a positive number")}
	}
	if !o.All && o.OlderThan == nil && o.Keep == nil {
		return ErrNoSelection
	}
	return nil
}

// Candidate is one session a cleanup would remove.
type Candidate struct {
	Entry *Entry
	Size  int64 // bytes of its directory on the cleanup's side
}

// CleanupPlan is what a cleanup found and chose.
type CleanupPlan struct {
	Found     int // sessions with a directory on the cleanup's side
	Running   int // of those, ones still running (never removed)
	Removable int // of those, ones that could be removed
	Selected  []Candidate
	Bytes     int64
}

// PlanCleanup chooses sessions to remove from entries (a List of one
// side). Only directories of that side are candidates: an audit cleanup
// never touches the rollback store or the ledger, a rollback cleanup never
// an audit session. A running session is never chosen, nor a symbolic
// link standing in for a session directory (List shows it as damaged);
// damaged entries go only with --all. --older-than narrows the selection,
// then --keep spares its newest N.
func PlanCleanup(entries []*Entry, o CleanupOptions, now time.Time) *CleanupPlan {
	plan := &CleanupPlan{}
	var pool []*Entry
	for _, e := range entries {
		dir := e.SideDir()
		if dir == "" {
			continue
		}
		plan.Found++
		if e.Status == Running || e.running() {
			plan.Running++
			continue
		}
		if !isRealDir(dir) {
			continue
		}
		plan.Removable++
		switch {
		case e.Session == nil:
			if !o.All {
				continue
			}
		case o.OlderThan != nil:
			t, ok := e.Started()
			if !ok || now.Sub(t) <= time.Duration(*o.OlderThan)*24*time.Hour {
				continue
			}
		}
		pool = append(pool, e)
	}
	SortNewestFirst(pool)
	if o.Keep != nil {
		pool = pool[min(*o.Keep, len(pool)):]
	}
	for _, e := range pool {
		size, _ := DiskSize(e.SideDir())
		plan.Selected = append(plan.Selected, Candidate{Entry: e, Size: size})
		plan.Bytes += size
	}
	return plan
}

// SideDir is the entry's directory on its own side: what a cleanup of
// that side removes.
func (e *Entry) SideDir() string {
	if e.Side == RollbackSide {
		return e.RollbackDir
	}
	return e.AuditDir
}

// Removal is one session a cleanup tried to remove and failed.
type Removal struct {
	Entry *Entry
	Err   error
}

// Cleanup removes the sessions plan selected; it returns those removed
// and those that could not be.
func Cleanup(plan *CleanupPlan) (removed []Candidate, failed []Removal) {
	for _, c := range plan.Selected {
		if err := Remove(c.Entry); err != nil {
			failed = append(failed, Removal{c.Entry, err})
			continue
		}
		removed = append(removed, c)
	}
	return removed, failed
}

// Remove deletes the session's directory on its side. It works inside
// the directory's root (os.Root), so no symbolic link, in the path or in
// the tree, can lead it outside; a symbolic link in place of the session
// directory is refused, and so is a rollback directory without a
// session.json (the store's own directories are not sessions). A session
// that started running again is kept.
func Remove(e *Entry) error {
	dir := e.SideDir()
	if dir == "" {
		return fmt.Errorf("session %s has no directory to remove", e.ID)
	}
	id := e.ID
	if err := ValidateID(id); err != nil {
		return err
	}
	if filepath.Base(dir) != id {
		return fmt.Errorf("refusing to remove %s: not the directory of session %s", dir, id)
	}
	root, err := os.OpenRoot(filepath.Dir(dir))
	if err != nil {
		return err
	}
	defer root.Close()
	fi, err := root.Lstat(id)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", id)
	}
	if e.Side == RollbackSide {
		if _, err := root.Lstat(filepath.Join(id, FileName)); err != nil {
			return fmt.Errorf("refusing to remove %s: no %s", dir, FileName)
		}
	}
	if e.running() {
		return errors.New("session is running")
	}
	return root.RemoveAll(id)
}

// isRealDir reports whether p is a directory and not a symbolic link.
func isRealDir(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.IsDir()
}
