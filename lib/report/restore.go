package report

import (
	"fmt"
	"io"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/snapshot"
)

// Restore is the outcome of `nono rollback restore` to report.
type Restore struct {
	SessionID string
	Snapshot  int
	DryRun    bool
	Force     bool
	Plan      *snapshot.Plan    // nil when refused before planning
	Applied   *snapshot.Applied // nil when nothing was applied
	Err       error             // why it was refused or stopped
}

// WriteRestore reports a restore in upstream's words: the dry run's
// plan, or the steps carried out. An error is not written here (the
// command reports it on stderr).
func WriteRestore(w io.Writer, r *Restore) {
	p := r.Plan
	if p == nil {
		return
	}
	switch {
	case len(p.Actions) == 0:
		fmt.Fprintln(w, "nono No changes needed (already matches snapshot).")
	case r.DryRun:
		fmt.Fprintf(w, "nono Dry run: restoring to snapshot %d would apply %d change(s):\n\n", r.Snapshot, len(p.Actions))
		for _, l := range p.Lines() {
			fmt.Fprintln(w, l)
		}
		if p.Conflicts > 0 && !r.Force {
			fmt.Fprintf(w, "\nnono %d path(s) changed after the session ended: restoring needs --force.\n", p.Conflicts)
		} else if p.Final == nil && !r.Force {
			fmt.Fprintln(w, "\nnono The session has no final snapshot: restoring needs --force.")
		}
	case r.Applied != nil && r.Err == nil:
		fmt.Fprintf(w, "nono Restored %d change(s) to snapshot %d.\n\n", len(r.Applied.Done), r.Snapshot)
		for i := range r.Applied.Done {
			fmt.Fprintln(w, r.Applied.Done[i].Line())
		}
	}
}

// RestoreValue is `nono rollback restore --json`: the session, the
// snapshot, whether it was a dry run or forced, whether the tree now is
// that snapshot (restored), every step planned and every step done, the
// paths kept, and the error that refused or stopped it (null when none).
func RestoreValue(r *Restore) canon.Value {
	errv := canon.NullValue()
	if r.Err != nil {
		errv = canon.StringValue(r.Err.Error())
	}
	var planned, done []canon.Value
	var kept []string
	conflicts := 0
	if r.Plan != nil {
		for i := range r.Plan.Actions {
			planned = append(planned, actionValue(&r.Plan.Actions[i]))
		}
		for _, k := range r.Plan.Kept {
			kept = append(kept, fstree.EncodePath(k))
		}
		conflicts = r.Plan.Conflicts
	}
	if r.Applied != nil {
		for i := range r.Applied.Done {
			done = append(done, actionValue(&r.Applied.Done[i]))
		}
	}
	restored := r.Err == nil && r.Plan != nil && (len(r.Plan.Actions) == 0 || !r.DryRun && r.Applied != nil)
	return canon.ObjectValue(
		canon.Member{Key: "session_id", Value: canon.StringValue(r.SessionID)},
		canon.Member{Key: "snapshot", Value: canon.IntValue(int64(r.Snapshot))},
		canon.Member{Key: "dry_run", Value: canon.BoolValue(r.DryRun)},
		canon.Member{Key: "forced", Value: canon.BoolValue(r.Force)},
		canon.Member{Key: "restored", Value: canon.BoolValue(restored)},
		canon.Member{Key: "conflicts", Value: canon.IntValue(int64(conflicts))},
		canon.Member{Key: "planned", Value: canon.ArrayValue(planned...)},
		canon.Member{Key: "done", Value: canon.ArrayValue(done...)},
		canon.Member{Key: "kept", Value: canon.StringsValue(nonNilStrings(kept))},
		canon.Member{Key: "error", Value: errv},
	)
}

var opNames = map[snapshot.Op]string{
	snapshot.OpDelete: "delete", snapshot.OpUnlink: "unlink", snapshot.OpRmdir: "rmdir",
	snapshot.OpMkdir: "mkdir", snapshot.OpDirMode: "dir_mode", snapshot.OpWrite: "write",
	snapshot.OpLink: "link", snapshot.OpChmod: "mode",
}

// actionValue is one step: what, where, the listing mark, and for writes
// the content and mode, for links the target.
func actionValue(a *snapshot.Action) canon.Value {
	m := []canon.Member{
		{Key: "action", Value: canon.StringValue(opNames[a.Op])},
		{Key: "mark", Value: canon.StringValue(a.Symbol())},
		{Key: "path", Value: canon.StringValue(fstree.EncodePath(a.Path))},
	}
	switch {
	case a.File != nil && a.File.Type == fstree.Symlink:
		m = append(m, fstree.TargetMember(a.File.Target))
	case a.File != nil:
		m = append(m,
			canon.Member{Key: "hash", Value: canon.StringValue(fstree.Hex(a.File.Hash))},
			canon.Member{Key: "permissions", Value: canon.UintValue(uint64(a.File.Mode))})
	case a.Op == snapshot.OpLink:
		m = append(m, fstree.TargetMember(a.Target))
	case a.Op == snapshot.OpMkdir || a.Op == snapshot.OpDirMode:
		m = append(m, canon.Member{Key: "permissions", Value: canon.UintValue(uint64(a.Mode))})
	}
	return canon.ObjectValue(append(m, canon.Member{Key: "changed_since_session", Value: canon.BoolValue(a.Conflict)})...)
}
