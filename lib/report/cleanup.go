package report

import (
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
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
	return c.Err()
}

func candidateCommand(e *session.Entry) string {
	if e.Session == nil {
		return "(damaged)"
	}
	return human.Cut(human.QuoteCommand(e.Session.Command), commandWidth)
}

// CleanupValue is a cleanup as JSON: what was found, what the plan chose
// (each session with its command and size), what was removed or could
// not be, and the shared objects swept. With DryRun, removed is empty and
// freed_bytes is what the removal would free.
func CleanupValue(c *Cleanup) canon.Value {
	plan := c.Plan
	var selected, failed []canon.Value
	for _, s := range plan.Selected {
		cmd := canon.NullValue()
		if s.Entry.Session != nil {
			cmd = canon.StringsValue(nonNilStrings(s.Entry.Session.Command))
		}
		selected = append(selected, canon.ObjectValue(
			canon.Member{Key: "session_id", Value: canon.StringValue(s.Entry.ID)},
			canon.Member{Key: "command", Value: cmd},
			canon.Member{Key: "bytes", Value: canon.IntValue(s.Size)},
		))
	}
	removed := []string{}
	freed := c.ObjectBytes
	if c.DryRun {
		freed += plan.Bytes
	}
	for _, r := range c.Removed {
		removed = append(removed, r.Entry.ID)
		freed += r.Size
	}
	for _, f := range c.Failed {
		failed = append(failed, canon.ObjectValue(
			canon.Member{Key: "session_id", Value: canon.StringValue(f.Entry.ID)},
			canon.Member{Key: "error", Value: canon.StringValue(f.Err.Error())},
		))
	}
	return canon.ObjectValue(
		canon.Member{Key: "dry_run", Value: canon.BoolValue(c.DryRun)},
		canon.Member{Key: "found", Value: canon.IntValue(int64(plan.Found))},
		canon.Member{Key: "running", Value: canon.IntValue(int64(plan.Running))},
		canon.Member{Key: "removable", Value: canon.IntValue(int64(plan.Removable))},
		canon.Member{Key: "selected", Value: canon.ArrayValue(selected...)},
		canon.Member{Key: "removed", Value: canon.StringsValue(removed)},
		canon.Member{Key: "failed", Value: canon.ArrayValue(failed...)},
		canon.Member{Key: "objects", Value: canon.IntValue(int64(c.Objects))},
		canon.Member{Key: "freed_bytes", Value: canon.IntValue(freed)},
	)
}

// Err is the error a cleanup ends with: one when a removal failed.
func (c *Cleanup) Err() error {
	if len(c.Failed) > 0 {
		return fmt.Errorf("failed to remove %d %s session(s)", len(c.Failed), wordsFor(c.Side).noun)
	}
	return nil
}
