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
			fmt.Fprintf(w, "    %s  %-12s  %-12s  %s%s\n", e.ID, when, cmd, changeSummary(snapshot.SessionChanges(e.Dir)), status)
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

// RollbackShow is what `nono rollback show` presents: the session as the
// audit record has it, and how far the store agrees with that record.
type RollbackShow struct {
	Entry  *session.Entry
	Record *snapshot.RecordCheck
}

// LoadRollbackShow checks the rollback session of e against its audit
// record (getenv finds the audit root).
func LoadRollbackShow(e *session.Entry, getenv func(string) string) (*RollbackShow, error) {
	rec, err := snapshot.CheckRecord(e.Dir, getenv)
	if err != nil {
		return nil, err
	}
	return &RollbackShow{Entry: e, Record: rec}, nil
}

// recordProblems are the record check's findings in words.
func (d *RollbackShow) recordProblems() []string {
	out := slices.Clone(d.Record.Missing)
	if len(d.Record.Differs) > 0 {
		out = append(out, "the store's session.json differs from the audit record in "+strings.Join(d.Record.Differs, ", "))
	}
	return out
}

// changesTrust is how far the store's change list n can be vouched for.
func (d *RollbackShow) changesTrust(n int) (snapshot.Status, string) {
	if d.Record.AuditDir == "" || len(d.Record.Missing) > 0 && d.Record.Changes == nil {
		return snapshot.StatusWarn, "not checked: no audit record to check it against"
	}
	return snapshot.ChangesTrust(d.Record.Changes, d.Entry.Dir, n)
}

// RollbackShowValue is `nono rollback show --json`: upstream's fields
// (snapshots with their changes), then the restores recorded for the
// session, its directory, and what could be verified: record_verified
// and record_problems (the store against the audit record; the session
// fields come from the audit record when there is one), and for each
// snapshot changes_verified and changes_check.
func RollbackShowValue(d *RollbackShow, o RollbackShowOptions) (canon.Value, error) {
	e := d.Entry
	var store *snapshot.Store
	if o.Diff || o.Stat {
		var err error
		if store, err = snapshot.OpenStore(e.Dir); err != nil {
			return canon.Value{}, err
		}
	}
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
		status, detail := snapshot.StatusOK, ""
		if n > 0 {
			cs, _ := snapshot.ReadChanges(e.Dir, n)
			for i := range cs {
				v, err := changeValue(store, &cs[i], o)
				if err != nil {
					return canon.Value{}, err
				}
				changes = append(changes, v)
			}
			status, detail = d.changesTrust(n)
		}
		snaps = append(snaps, canon.ObjectValue(
			canon.Member{Key: "number", Value: canon.UintValue(uint64(m.Number))},
			canon.Member{Key: "timestamp", Value: canon.StringValue(m.Timestamp)},
			canon.Member{Key: "parent", Value: parent},
			canon.Member{Key: "file_count", Value: canon.UintValue(uint64(len(m.Files)))},
			canon.Member{Key: "merkle_root", Value: canon.StringValue(fstree.Hex(m.MerkleRoot))},
			canon.Member{Key: "changes", Value: canon.ArrayValue(changes...)},
			canon.Member{Key: "changes_verified", Value: canon.BoolValue(status == snapshot.StatusOK)},
			canon.Member{Key: "changes_check", Value: optString(nonEmpty(detail))},
		))
	}
	recs, _ := snapshot.ReadRestores(e.Dir)
	var restores []canon.Value
	for i := range recs {
		restores = append(restores, recs[i].Value())
	}
	shown := *e
	shown.Session = d.Record.Session
	return canon.ObjectValue(append(entryMembers(&shown, true),
		canon.Member{Key: "snapshots", Value: canon.ArrayValue(snaps...)},
		canon.Member{Key: "restores", Value: canon.ArrayValue(restores...)},
		canon.Member{Key: "dir", Value: canon.StringValue(e.Dir)},
		canon.Member{Key: "record_verified", Value: canon.BoolValue(d.Record.Verified())},
		canon.Member{Key: "record_problems", Value: canon.StringsValue(nonNilStrings(d.recordProblems()))},
	)...), nil
}

// changeValue is one change in show's JSON: upstream's path, type and
// size_delta, then with Stat its insertions and deletions (null when the
// lines are not counted) and stat_note, with Diff its unified diff (null
// for a change of permissions or of a symbolic link).
func changeValue(store *snapshot.Store, c *snapshot.Change, o RollbackShowOptions) (canon.Value, error) {
	members := []canon.Member{
		{Key: "path", Value: canon.StringValue(fstree.EncodePath(c.Path))},
		{Key: "type", Value: canon.StringValue(c.Type.Symbol())},
		{Key: "size_delta", Value: canon.IntValue(c.SizeDelta)},
	}
	if o.Stat {
		ins, del, note, counted, err := changeStat(store, c)
		if err != nil {
			return canon.Value{}, err
		}
		insv, delv := canon.NullValue(), canon.NullValue()
		if counted {
			insv, delv = canon.IntValue(int64(ins)), canon.IntValue(int64(del))
		}
		members = append(members,
			canon.Member{Key: "insertions", Value: insv},
			canon.Member{Key: "deletions", Value: delv},
			canon.Member{Key: "stat_note", Value: optString(nonEmpty(note))})
	}
	if o.Diff {
		diff := canon.NullValue()
		if hasContentDiff(c) {
			var b strings.Builder
			if err := writeChangeDiff(&b, store, c); err != nil {
				return canon.Value{}, err
			}
			diff = canon.StringValue(b.String())
		}
		members = append(members, canon.Member{Key: "diff", Value: diff})
	}
	return canon.ObjectValue(members...), nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// RollbackShowOptions choose what show adds to the summary.
type RollbackShowOptions struct {
	Diff bool // a unified diff of every changed text file
	Stat bool // a diffstat: lines added and removed per file
}

// WriteRollbackShow writes `nono rollback show`: the session as the audit
// record has it, whether the store agrees with that record, its
// snapshots and restores, its changes (marked when they could not be
// verified), and with Stat a diffstat, with Diff a unified diff of every
// changed text file (from the stored objects).
func WriteRollbackShow(w io.Writer, d *RollbackShow, o RollbackShowOptions) error {
	e := d.Entry
	s := d.Record.Session
	changes := snapshot.SessionChanges(e.Dir)
	fmt.Fprintf(w, "nono Session %s (%s)\n", s.SessionID, human.Sanitize(strings.Join(s.Command, " ")))
	ended := "(did not end)"
	if s.Ended != nil {
		ended = *s.Ended
	}
	fmt.Fprintf(w, "  started  %s\n  ended    %s\n", s.Started, ended)
	if s.ExitCode != nil {
		fmt.Fprintf(w, "  exit     %d\n", *s.ExitCode)
	}
	for _, p := range s.TrackedPaths {
		fmt.Fprintf(w, "  tracked  %s\n", human.Sanitize(p))
	}
	switch {
	case len(d.Record.Missing) > 0:
		for _, p := range d.Record.Missing {
			fmt.Fprintf(w, "  record   UNVERIFIED: %s; what is shown is the store's own account\n", human.Sanitize(p))
		}
	case len(d.Record.Differs) > 0:
		fmt.Fprintf(w, "  record   NOT VERIFIED: the store's session.json differs from the audit record in %s (shown: the audit record's)\n", strings.Join(d.Record.Differs, ", "))
	default:
		fmt.Fprintf(w, "  record   matches the audit record in %s\n", human.Sanitize(d.Record.AuditDir))
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
		fmt.Fprintln(w, changeLine(&changes[i]))
	}
	for n := 1; n < snapshot.SnapshotCount(e.Dir); n++ {
		switch st, detail := d.changesTrust(n); st {
		case snapshot.StatusFail:
			fmt.Fprintf(w, "  [NOT VERIFIED: changes/%03d.json %s]\n", n, human.Sanitize(detail))
		case snapshot.StatusWarn:
			fmt.Fprintf(w, "  [unverified: changes/%03d.json %s]\n", n, human.Sanitize(detail))
		}
	}
	if !o.Diff && !o.Stat {
		return nil
	}
	store, err := snapshot.OpenStore(e.Dir)
	if err != nil {
		return err
	}
	if o.Stat {
		fmt.Fprintln(w)
		if err := writeDiffStat(w, store, changes); err != nil {
			return err
		}
	}
	if !o.Diff {
		return nil
	}
	for i := range changes {
		if !hasContentDiff(&changes[i]) {
			continue
		}
		fmt.Fprintln(w)
		if err := writeChangeDiff(w, store, &changes[i]); err != nil {
			return err
		}
	}
	return nil
}

// hasContentDiff says whether a change is one of content (not of
// permissions only, nor of a symbolic link).
func hasContentDiff(c *snapshot.Change) bool {
	return c.Type != snapshot.PermissionsChanged && c.OldType != "symlink" && c.NewType != "symlink"
}

// writeChangeDiff writes the unified diff of one change, from the objects.
func writeChangeDiff(w io.Writer, store *snapshot.Store, c *snapshot.Change) error {
	oldName, newName := "a"+fstree.Display(c.Path), "b"+fstree.Display(c.Path)
	old, new, err := readPair(store, c)
	if err != nil {
		return err
	}
	if c.OldHash == nil {
		oldName = "/dev/null"
	}
	if c.NewHash == nil {
		newName = "/dev/null"
	}
	return unifiedDiff(w, oldName, newName, old, new)
}

// changeStat is one change's diffstat: lines added and removed, or with
// counted false a note instead ("Bin", "symlink", the modes).
func changeStat(store *snapshot.Store, c *snapshot.Change) (ins, del int, note string, counted bool, err error) {
	switch {
	case c.Type == snapshot.PermissionsChanged:
		note = "permissions"
		if c.OldMode != nil && c.NewMode != nil {
			note = fmt.Sprintf("mode %04o -> %04o", *c.OldMode&0o7777, *c.NewMode&0o7777)
		}
		return 0, 0, note, false, nil
	case c.OldType == "symlink" || c.NewType == "symlink":
		return 0, 0, "symlink", false, nil
	}
	old, new, err := readPair(store, c)
	if err != nil {
		return 0, 0, "", false, err
	}
	if ins, del, ok := diffStat(old, new); ok {
		return ins, del, "", true, nil
	}
	return 0, 0, "Bin", false, nil
}

// readPair reads both sides of a change for a diff.
func readPair(store *snapshot.Store, c *snapshot.Change) (old, new []byte, err error) {
	if old, err = readObject(store, c.OldHash); err != nil {
		return nil, nil, err
	}
	new, err = readObject(store, c.NewHash)
	return old, new, err
}

// writeDiffStat writes git's diffstat of the changes: one line a file
// with the lines added and removed, then the totals. Binary and large
// files, links and permission changes are named without counts.
func writeDiffStat(w io.Writer, store *snapshot.Store, changes []snapshot.Change) error {
	type row struct {
		name       string
		ins, del   int
		note       string
		countLines bool
	}
	var rows []row
	width, most := 0, 0
	totalIns, totalDel := 0, 0
	for i := range changes {
		c := &changes[i]
		r := row{name: human.Sanitize(fstree.Display(c.Path))}
		var err error
		if r.ins, r.del, r.note, r.countLines, err = changeStat(store, c); err != nil {
			return err
		}
		if r.countLines {
			totalIns += r.ins
			totalDel += r.del
			most = max(most, r.ins+r.del)
		}
		width = max(width, len(r.name))
		rows = append(rows, r)
	}
	const bar = 50
	for _, r := range rows {
		if !r.countLines {
			fmt.Fprintf(w, " %-*s | %s\n", width, r.name, r.note)
			continue
		}
		plus, minus := r.ins, r.del
		if most > bar {
			plus = (r.ins*bar + most - 1) / most
			minus = (r.del*bar + most - 1) / most
		}
		fmt.Fprintf(w, " %-*s | %4d %s%s\n", width, r.name, r.ins+r.del, strings.Repeat("+", plus), strings.Repeat("-", minus))
	}
	fmt.Fprintf(w, " %d file(s) changed, %d insertion(s)(+), %d deletion(s)(-)\n", len(rows), totalIns, totalDel)
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
	return io.ReadAll(io.LimitReader(f, maxDiffBytes+1))
}

// diskSize is the bytes a session directory holds, best effort, as a
// listing is.
func diskSize(dir string) uint64 {
	n, _ := session.DiskSize(dir)
	return uint64(n)
}

// changeSummary is "+N file(s), ~N modified, -N deleted" or "(no changes)";
// permission changes count as modified.
func changeSummary(changes []snapshot.Change) string {
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
		fmt.Fprintln(w, changeLine(&changes[i]))
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

// changeLine is one change as a listing line:
// "  ~ /p/a.txt (modified) (+3 bytes)".
func changeLine(c *snapshot.Change) string {
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
