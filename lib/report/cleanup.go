package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
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

// CleanupValue is a cleanup as JSON, one shape for both sides: what was
// found, what the plan chose (each session with its command, state and
// size), what was removed or could not be, and the shared objects swept.
// With DryRun, removed is empty and freed_bytes is what the removal would
// free.
func CleanupValue(c *Cleanup) canon.Value {
	m := func(k string, v canon.Value) canon.Member { return canon.Member{Key: k, Value: v} }
	plan := c.Plan
	selected := make([]canon.Value, 0, len(plan.Selected))
	for _, s := range plan.Selected {
		e := s.Entry
		cmd := canon.NullValue()
		if e.Session != nil {
			cmd = canon.StringsValue(nonNilStrings(e.Session.Command))
		}
		t := timesOf(e)
		selected = append(selected, canon.ObjectValue(
			m("session_id", canon.StringValue(e.ID)),
			m("dir", canon.StringValue(e.SideDir())),
			m("status", canon.StringValue(string(e.Status))),
			m("started_utc", utcValue(t.started, t.startedOK)),
			m("command", cmd),
			m("bytes", canon.IntValue(s.Size)),
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
	failed := make([]canon.Value, 0, len(c.Failed))
	for _, f := range c.Failed {
		failed = append(failed, canon.ObjectValue(
			m("session_id", canon.StringValue(f.Entry.ID)),
			m("error", canon.StringValue(f.Err.Error())),
		))
	}
	side := "audit"
	if c.Side == session.RollbackSide {
		side = "rollback"
	}
	return canon.ObjectValue(
		m("side", canon.StringValue(side)),
		m("dry_run", canon.BoolValue(c.DryRun)),
		m("found", canon.IntValue(int64(plan.Found))),
		m("running", canon.IntValue(int64(plan.Running))),
		m("removable", canon.IntValue(int64(plan.Removable))),
		m("selected", canon.ArrayValue(selected...)),
		m("selected_bytes", canon.IntValue(plan.Bytes)),
		m("removed", canon.StringsValue(removed)),
		m("failed", canon.ArrayValue(failed...)),
		m("objects", canon.IntValue(int64(c.Objects))),
		m("object_bytes", canon.IntValue(c.ObjectBytes)),
		m("freed_bytes", canon.IntValue(freed)),
	)
}

// Err is the error a cleanup ends with: one when a removal failed.
func (c *Cleanup) Err() error {
	if len(c.Failed) > 0 {
		return fmt.Errorf("failed to remove %d %s session(s)", len(c.Failed), wordsFor(c.Side).noun)
	}
	return nil
}
