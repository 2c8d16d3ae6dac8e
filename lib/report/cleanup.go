package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
)

// cleanupWords are what each command calls its sessions and says when
// there is nothing to do (upstream's words).
type cleanupWords struct {
	noun          string // "audit" or "rollback"
	none          string // no session has a directory on this side
	noneRemovable string // every one is running, or not a real directory
	nothing       string // the selection is empty
}

func wordsFor(side session.Side) cleanupWords {
	if side == session.RollbackSide {
		const none = "nono No rollback entries to clean up."
		return cleanupWords{"rollback", none, none, none}
	}
	return cleanupWords{"audit", "nono No audit sessions to clean up.", "nono No removable audit sessions found.", "nono Nothing to clean up."}
}

// Cleanup is the outcome of a cleanup to report: the plan and, unless it
// was a dry run, what session.Cleanup removed and failed to remove.
type Cleanup struct {
	Side    session.Side
	Plan    *session.CleanupPlan
	DryRun  bool
	Removed []session.Candidate
	Failed  []session.Removal
	// Objects a rollback cleanup removed (or would remove) from the shared
	// object stores: those no remaining session names.
	Objects     int
	ObjectBytes int64
}

// WriteCleanup reports a cleanup in upstream's words: with DryRun what
// the plan would remove, else what was removed and what could not be. It
// returns an error when a removal failed.
func WriteCleanup(w io.Writer, c *Cleanup) error {
	words := wordsFor(c.Side)
	plan := c.Plan
	var b strings.Builder
	defer func() { io.WriteString(w, b.String()) }()
	if plan.Running > 0 {
		fmt.Fprintf(&b, "nono %d %s session(s) still running, skipping those.\n", plan.Running, words.noun)
	}
	switch {
	case plan.Found == 0:
		b.WriteString(words.none + "\n")
		return nil
	case plan.Removable == 0:
		b.WriteString(words.noneRemovable + "\n")
		return nil
	case len(plan.Selected) == 0 && c.Objects == 0:
		b.WriteString(words.nothing + "\n")
		return nil
	}
	objects := ""
	if c.Objects > 0 {
		objects = fmt.Sprintf(" and %d stored object(s)", c.Objects)
	}
	if c.DryRun {
		fmt.Fprintf(&b, "nono Dry run: would remove %d %s session(s)%s (%s)\n", len(plan.Selected), words.noun, objects, human.Size(plan.Bytes+c.ObjectBytes))
		for _, s := range plan.Selected {
			fmt.Fprintf(&b, "  %s %s (%s)\n", s.Entry.ID, candidateCommand(s.Entry), human.Size(s.Size))
		}
		return nil
	}
	freed := c.ObjectBytes
	for _, r := range c.Removed {
		freed += r.Size
	}
	for _, f := range c.Failed {
		fmt.Fprintf(&b, "nono Failed to remove %s: %s\n", f.Entry.ID, human.Sanitize(f.Err.Error()))
	}
	fmt.Fprintf(&b, "nono Removed %d %s session(s)%s, freed %s.\n", len(c.Removed), words.noun, objects, human.Size(freed))
	if len(c.Failed) > 0 {
		return fmt.Errorf("failed to remove %d %s session(s)", len(c.Failed), words.noun)
	}
	return nil
}

func candidateCommand(e *session.Entry) string {
	if e.Session == nil {
		return "(damaged)"
	}
	return human.Cut(human.QuoteCommand(e.Session.Command), commandWidth)
}
