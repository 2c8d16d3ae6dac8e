package report

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/snapshot"
)

// WriteRollbackList writes `nono rollback list`: a header, then the
// sessions (entries of session.RollbackSide) grouped by their first
// tracked path.
func WriteRollbackList(w io.Writer, entries []*session.Entry, all bool, now time.Time, home string) {
	if len(entries) == 0 {
		if all {
			fmt.Fprintln(w, "nono No rollback entries found.")
		} else {
			fmt.Fprintln(w, "nono No snapshots with file changes. Use --all to see all rollback entries.")
		}
		return
	}
	type group struct {
		key     string
		entries []*session.Entry
		count   int
	}
	var groups []*group
	byKey := map[string]*group{}
	total := 0
	for _, e := range entries {
		key := "(no tracked paths)"
		if len(e.Session.TrackedPaths) > 0 {
			key = human.TildePath(e.Session.TrackedPaths[0], home)
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.entries = append(g.entries, e)
		g.count += int(e.Session.SnapshotCount)
		total += int(e.Session.SnapshotCount)
	}
	slices.SortFunc(groups, func(a, b *group) int { return strings.Compare(a.key, b.key) })
	fmt.Fprintf(w, "nono %d snapshot(s)\n\n", total)
	for _, g := range groups {
		fmt.Fprintf(w, "  %s (%d snapshot%s)\n", g.key, g.count, plural(g.count))
		for _, e := range g.entries {
			when := "?"
			if t, ok := e.Started(); ok {
				when = human.Age(t, now)
			}
			cmd := "?"
			if len(e.Session.Command) > 0 {
				cmd = filepath.Base(e.Session.Command[0])
			}
			status := ""
			switch e.Status {
			case session.Running:
				status = "  [running]"
			case session.Incomplete:
				status = "  [did not end]"
			}
			fmt.Fprintf(w, "    %s  %-12s  %-12s  %s%s\n", e.ID, when, cmd, ChangeSummary(snapshot.SessionChanges(e.Dir)), status)
		}
		fmt.Fprintln(w)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// RollbackListValue is one session of `nono rollback list --json`:
// upstream's fields, then the directory and the number of changes.
func RollbackListValue(e *session.Entry) canon.Value {
	return canon.ObjectValue(append(entryMembers(e, false),
		canon.Member{Key: "dir", Value: canon.StringValue(e.Dir)},
		canon.Member{Key: "changes", Value: canon.IntValue(int64(len(snapshot.SessionChanges(e.Dir))))},
	)...)
}

func entryMembers(e *session.Entry, show bool) []canon.Member {
	s := e.Session
	ended := canon.NullValue()
	if s.Ended != nil {
		ended = canon.StringValue(*s.Ended)
	}
	exit := canon.NullValue()
	if s.ExitCode != nil {
		exit = canon.IntValue(int64(*s.ExitCode))
	}
	m := []canon.Member{
		{Key: "session_id", Value: canon.StringValue(s.SessionID)},
		{Key: "started", Value: canon.StringValue(s.Started)},
		{Key: "ended", Value: ended},
		{Key: "command", Value: canon.StringsValue(s.Command)},
	}
	if show {
		id := canon.NullValue()
		if x := s.ExecutableIdentity; x != nil {
			id = canon.ObjectValue(
				canon.Member{Key: "resolved_path", Value: canon.StringValue(x.ResolvedPath)},
				canon.Member{Key: "sha256", Value: canon.StringValue(x.SHA256)},
			)
		}
		m = append(m, canon.Member{Key: "executable_identity", Value: id})
	}
	m = append(m, canon.Member{Key: "tracked_paths", Value: canon.StringsValue(s.TrackedPaths)})
	if !show {
		m = append(m, canon.Member{Key: "snapshot_count", Value: canon.UintValue(uint64(s.SnapshotCount))})
	}
	return append(m,
		canon.Member{Key: "exit_code", Value: exit},
		canon.Member{Key: "disk_size", Value: canon.UintValue(diskSize(e.Dir))},
		canon.Member{Key: "is_alive", Value: canon.BoolValue(e.Status == session.Running)},
		canon.Member{Key: "is_stale", Value: canon.BoolValue(e.Status == session.Incomplete)},
	)
}

// RollbackShowValue is `nono rollback show --json`: upstream's fields
// (snapshots with their changes), then the restores recorded for the
// session.
func RollbackShowValue(e *session.Entry) canon.Value {
	var snaps []canon.Value
	for n := 0; n < snapshot.SnapshotCount(e.Dir); n++ {
		m, err := snapshot.ReadManifest(e.Dir, n)
		if err != nil {
			continue // upstream skips manifests that fail to load
		}
		parent := canon.NullValue()
		if m.Parent != nil {
			parent = canon.UintValue(uint64(*m.Parent))
		}
		var changes []canon.Value
		if n > 0 {
			cs, _ := snapshot.ReadChanges(e.Dir, n)
			for _, c := range cs {
				changes = append(changes, canon.ObjectValue(
					canon.Member{Key: "path", Value: canon.StringValue(fstree.EncodePath(c.Path))},
					canon.Member{Key: "type", Value: canon.StringValue(c.Type.Symbol())},
					canon.Member{Key: "size_delta", Value: canon.IntValue(c.SizeDelta)},
				))
			}
		}
		snaps = append(snaps, canon.ObjectValue(
			canon.Member{Key: "number", Value: canon.UintValue(uint64(m.Number))},
			canon.Member{Key: "timestamp", Value: canon.StringValue(m.Timestamp)},
			canon.Member{Key: "parent", Value: parent},
			canon.Member{Key: "file_count", Value: canon.UintValue(uint64(len(m.Files)))},
			canon.Member{Key: "merkle_root", Value: canon.StringValue(fstree.Hex(m.MerkleRoot))},
			canon.Member{Key: "changes", Value: canon.ArrayValue(changes...)},
		))
	}
	recs, _ := snapshot.ReadRestores(e.Dir)
	var restores []canon.Value
	for i := range recs {
		restores = append(restores, recs[i].Value())
	}
	return canon.ObjectValue(append(entryMembers(e, true),
		canon.Member{Key: "snapshots", Value: canon.ArrayValue(snaps...)},
		canon.Member{Key: "restores", Value: canon.ArrayValue(restores...)},
		canon.Member{Key: "dir", Value: canon.StringValue(e.Dir)},
	)...)
}

// WriteRollbackShow writes `nono rollback show`: the session, its
// snapshots and restores, its changes, and with diff a unified diff of
// every changed text file (from the stored objects).
func WriteRollbackShow(w io.Writer, e *session.Entry, diff bool) error {
	s := e.Session
	changes := snapshot.SessionChanges(e.Dir)
	fmt.Fprintf(w, "nono Session %s (%s)\n", s.SessionID, strings.Join(s.Command, " "))
	ended := "(did not end)"
	if s.Ended != nil {
		ended = *s.Ended
	}
	fmt.Fprintf(w, "  started  %s\n  ended    %s\n", s.Started, ended)
	if s.ExitCode != nil {
		fmt.Fprintf(w, "  exit     %d\n", *s.ExitCode)
	}
	for _, p := range s.TrackedPaths {
		fmt.Fprintf(w, "  tracked  %s\n", p)
	}
	for n := 0; n < snapshot.SnapshotCount(e.Dir); n++ {
		if m, err := snapshot.ReadManifest(e.Dir, n); err == nil {
			fmt.Fprintf(w, "  snapshot %03d  root %s  %d files\n", n, human.ShortHex(fstree.Hex(m.MerkleRoot)), len(m.Files))
		} else {
			fmt.Fprintf(w, "  snapshot %03d  unreadable: %v\n", n, err)
		}
	}
	recs, err := snapshot.ReadRestores(e.Dir)
	if err != nil {
		fmt.Fprintf(w, "  restores unreadable: %v\n", err)
	}
	for _, r := range recs {
		status := "complete"
		if r.Error != "" {
			status = "stopped: " + r.Error
		}
		fmt.Fprintf(w, "  restored to snapshot %03d at %s (%s, %d of %d steps, %s)\n", r.Snapshot, r.Time.Format(time.RFC3339), r.Source, r.Done, r.Planned, status)
	}
	fmt.Fprintln(w)
	if len(changes) == 0 {
		fmt.Fprintf(w, "nono Session %s has no file changes.\n", s.SessionID)
		return nil
	}
	fmt.Fprintf(w, "nono %s\n", Summary(changes))
	for i := range changes {
		fmt.Fprintln(w, ChangeLine(&changes[i]))
	}
	if !diff {
		return nil
	}
	store, err := snapshot.OpenStore(e.Dir)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if c.Type == snapshot.PermissionsChanged || c.OldType == "symlink" || c.NewType == "symlink" {
			continue
		}
		fmt.Fprintln(w)
		oldName, newName := "a"+fstree.Display(c.Path), "b"+fstree.Display(c.Path)
		old, err := readObject(store, c.OldHash)
		if err != nil {
			return err
		}
		new, err := readObject(store, c.NewHash)
		if err != nil {
			return err
		}
		if c.OldHash == nil {
			oldName = "/dev/null"
		}
		if c.NewHash == nil {
			newName = "/dev/null"
		}
		if err := UnifiedDiff(w, oldName, newName, old, new); err != nil {
			return err
		}
	}
	return nil
}

// readObject reads an object for a diff, at most MaxDiffBytes+1 bytes
// (UnifiedDiff reports larger files without showing them).
func readObject(store *snapshot.Store, h *fstree.Hash) ([]byte, error) {
	if h == nil {
		return nil, nil
	}
	f, err := store.Open(*h)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxDiffBytes+1))
}

// diskSize is the bytes a session directory holds, best effort, as a
// listing is.
func diskSize(dir string) uint64 {
	n, _ := session.DiskSize(dir)
	return uint64(n)
}

// ChangeSummary is "+N file(s), ~N modified, -N deleted" or "(no changes)";
// permission changes count as modified.
func ChangeSummary(changes []snapshot.Change) string {
	c := snapshot.Count(changes)
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

// FinishSummary is what `nono run --rollback` prints when the session
// ends: the summary and, with list (before the restore prompt), every
// change.
func FinishSummary(w io.Writer, changes []snapshot.Change, list bool) {
	fmt.Fprintf(w, "\n  nono %s\n", Summary(changes))
	if !list {
		return
	}
	fmt.Fprintln(w, "nono Changes:")
	for i := range changes {
		fmt.Fprintln(w, ChangeLine(&changes[i]))
	}
}

// Summary is "N files changed (a created, b modified, c deleted)";
// permission changes count in N, and parts that are zero are left out.
func Summary(changes []snapshot.Change) string {
	c := snapshot.Count(changes)
	var parts []string
	if c.Created > 0 {
		parts = append(parts, fmt.Sprintf("%d created", c.Created))
	}
	if c.Modified > 0 {
		parts = append(parts, fmt.Sprintf("%d modified", c.Modified))
	}
	if c.Deleted > 0 {
		parts = append(parts, fmt.Sprintf("%d deleted", c.Deleted))
	}
	if c.Permissions > 0 {
		parts = append(parts, fmt.Sprintf("%d permissions", c.Permissions))
	}
	noun := "files"
	if c.Total() == 1 {
		noun = "file"
	}
	return fmt.Sprintf("%d %s changed (%s)", c.Total(), noun, strings.Join(parts, ", "))
}

// ChangeLine is one change as a listing line:
// "  ~ /p/a.txt (modified) (+3 bytes)".
func ChangeLine(c *snapshot.Change) string {
	s := fmt.Sprintf("  %s %s (%s)", c.Type.Symbol(), fstree.Display(c.Path), c.Type.Word())
	switch {
	case c.Type == snapshot.PermissionsChanged && c.OldMode != nil && c.NewMode != nil:
		s += fmt.Sprintf(" (%04o -> %04o)", *c.OldMode&0o7777, *c.NewMode&0o7777)
	case c.SizeDelta > 0:
		s += fmt.Sprintf(" (+%d bytes)", c.SizeDelta)
	case c.SizeDelta < 0:
		s += fmt.Sprintf(" (%d bytes)", c.SizeDelta)
	}
	return s
}
