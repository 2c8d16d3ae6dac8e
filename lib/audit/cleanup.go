package audit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
)

// CleanupOptions select the sessions `nono audit cleanup` removes.
type CleanupOptions struct {
	All       bool // every removable session (damaged ones included)
	OlderThan *int // sessions that started more than this many days ago
	Keep      int  // spare the newest N of the selection (0: none spared)
	DryRun    bool
}

// Validate refuses a cleanup that names no selection: removing every
// session must be asked for with --all.
func (o CleanupOptions) Validate() error {
	if o.All && o.OlderThan != nil {
		return &UsageError{"--all", errors.New("cannot be combined with --older-than")}
	}
	if o.OlderThan != nil && *o.OlderThan < 0 {
		return &UsageError{"--older-than", errors.New("want a number of days, 0 or more")}
	}
	if o.Keep < 0 {
		return &UsageError{"--keep", errors.New("want a positive number")}
	}
	if !o.All && o.OlderThan == nil && o.Keep == 0 {
		return &UsageError{"", errors.New("refusing to remove every session unasked: choose with --older-than DAYS, --keep N (all but the newest N) or --all; add --dry-run to preview")}
	}
	return nil
}

// Candidate is one session a cleanup would remove.
type Candidate struct {
	Entry *session.Entry
	Size  int64
}

// CleanupPlan is what a cleanup found and chose.
type CleanupPlan struct {
	Found     int // sessions in the audit root
	Removable int // of those, ones not running
	Selected  []Candidate
	Bytes     int64
}

// PlanCleanup chooses sessions to remove. Only directories of the audit
// root are candidates: the rollback store and the ledger are never
// touched, nor is a running session, nor a symbolic link standing in for
// a session directory (list shows it as damaged). Damaged entries (no readable
// session.json) go only with --all. entries come from session.List.
func PlanCleanup(entries []*session.Entry, opts CleanupOptions, now time.Time) *CleanupPlan {
	plan := &CleanupPlan{}
	var pool []*session.Entry
	for _, e := range entries {
		if e.AuditDir == "" {
			continue
		}
		plan.Found++
		if e.Status == session.Running || session.IsRunning(e.AuditDir) || !isRealDir(e.AuditDir) {
			continue
		}
		plan.Removable++
		switch {
		case e.Session == nil:
			if !opts.All {
				continue
			}
		case opts.OlderThan != nil:
			t, ok := e.Started()
			if !ok || now.Sub(t) <= time.Duration(*opts.OlderThan)*24*time.Hour {
				continue
			}
		}
		pool = append(pool, e)
	}
	session.SortNewestFirst(pool)
	if opts.Keep >= len(pool) {
		pool = nil
	} else {
		pool = pool[opts.Keep:]
	}
	for _, e := range pool {
		size, _ := session.DiskSize(e.AuditDir)
		plan.Selected = append(plan.Selected, Candidate{Entry: e, Size: size})
		plan.Bytes += size
	}
	return plan
}

// RemoveSession deletes session id's directory under auditRoot. It works
// inside the root (os.Root), so no symbolic link, in the path or in the
// tree, can lead it outside; a symbolic link in place of the session
// directory is refused. A session that started running again is kept.
func RemoveSession(auditRoot, id string) error {
	if err := session.ValidateID(id); err != nil {
		return err
	}
	root, err := os.OpenRoot(auditRoot)
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
	dir, err := session.Dir(auditRoot, id)
	if err != nil {
		return err
	}
	if session.IsRunning(dir) {
		return errors.New("session is running")
	}
	return root.RemoveAll(id)
}

// Cleanup carries out plan (or, with DryRun, describes it) and reports on
// w in upstream's words. It returns an error when a removal failed.
func Cleanup(w io.Writer, auditRoot string, plan *CleanupPlan, dryRun bool) error {
	var b strings.Builder
	defer func() { io.WriteString(w, b.String()) }()
	switch {
	case plan.Found == 0:
		b.WriteString("nono No audit sessions to clean up.\n")
		return nil
	case plan.Removable == 0:
		b.WriteString("nono No removable audit sessions found.\n")
		return nil
	case len(plan.Selected) == 0:
		b.WriteString("nono Nothing to clean up.\n")
		return nil
	}
	if dryRun {
		fmt.Fprintf(&b, "nono Dry run: would remove %d audit session(s) (%s)\n", len(plan.Selected), human.Size(plan.Bytes))
		for _, c := range plan.Selected {
			fmt.Fprintf(&b, "  %s %s (%s)\n", c.Entry.ID, candidateCommand(c.Entry), human.Size(c.Size))
		}
		return nil
	}
	removed, freed, failed := 0, int64(0), 0
	for _, c := range plan.Selected {
		if err := RemoveSession(auditRoot, c.Entry.ID); err != nil {
			fmt.Fprintf(&b, "nono Failed to remove %s: %s\n", c.Entry.ID, Sanitize(err.Error()))
			failed++
			continue
		}
		removed++
		freed += c.Size
	}
	fmt.Fprintf(&b, "nono Removed %d audit session(s), freed %s.\n", removed, human.Size(freed))
	if failed > 0 {
		return fmt.Errorf("failed to remove %d audit session(s)", failed)
	}
	return nil
}

func candidateCommand(e *session.Entry) string {
	if e.Session == nil {
		return "(damaged)"
	}
	return Cut(QuoteCommand(e.Session.Command), commandWidth)
}

// isRealDir reports whether p is a directory and not a symbolic link.
func isRealDir(p string) bool {
	fi, err := os.Lstat(p)
	return err == nil && fi.IsDir()
}
