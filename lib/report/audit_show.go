package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/snapshot"
)

// Snapshot is one filesystem snapshot of a session, with the changes
// from the one before it.
type Snapshot struct {
	Number     uint32
	Timestamp  string // as recorded: epoch seconds in upstream's manifests
	FileCount  int    // -1: the manifest is gone; only the record's root is known
	MerkleRoot string
	Changes    []Change
	// ChangesStatus says whether Changes were checked against the
	// snapshots session.json commits to (snapshot.CheckChanges): ok, fail
	// (they differ: an edited change list), or warning (not checked;
	// ChangesDetail says why). Empty for the baseline.
	ChangesStatus snapshot.Status
	ChangesDetail string
}

// Change is one file that differs from the previous snapshot.
type Change struct {
	Path      string // fstree.EncodePath form: valid UTF-8 always
	Type      snapshot.ChangeType
	SizeDelta int64
	OldHash   *string
	NewHash   *string
}

// AuditShow is what show presents about one session.
type AuditShow struct {
	Entry        *session.Entry
	Snapshots    []Snapshot
	SnapshotsErr error        // the snapshots could not all be read
	LogPath      string       // "" when the session has no audit directory
	Policy       *canon.Value // policy.json: the sandbox enforced; nil when absent
	PolicyErr    error        // policy.json is there but unreadable
	Now          time.Time    // measures a running session
}

// LoadAuditShow gathers a session's metadata and filesystem snapshots (the
// event log is streamed later, while writing).
func LoadAuditShow(e *session.Entry) (*AuditShow, error) {
	if e.Session == nil {
		return nil, fmt.Errorf("session %s is damaged: %w", e.ID, e.Err)
	}
	d := &AuditShow{Entry: e, Now: time.Now()}
	if e.AuditDir != "" {
		d.LogPath = filepath.Join(e.AuditDir, session.EventsFileName)
		d.Policy, d.PolicyErr = loadPolicy(e.AuditDir)
	}
	d.Snapshots, d.SnapshotsErr = loadSnapshots(e)
	return d, nil
}

// WriteAuditShow prints the human form: upstream's layout, then every event.
func WriteAuditShow(w io.Writer, d *AuditShow, loc *time.Location) error {
	bw := bufio.NewWriter(w)
	s := d.Entry.Session
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("nono Audit trail for session: %s %s\n", d.Entry.ID, d.Entry.Status)
	if s.SessionID != d.Entry.ID {
		p("  Warning:  session.json names session %s\n", human.Sanitize(s.SessionID))
	}
	if e := d.Entry; e.Err != nil {
		p("  Problem:  %s\n", human.Sanitize(e.Err.Error()))
	}
	p("  Command:  %s\n", human.QuoteCommand(s.Command))
	t := timesOf(d.Entry)
	p("  Started:  %s\n", showTime(s.Started, t.started, t.startedOK, loc))
	if s.Ended != nil {
		p("  Ended:    %s\n", showTime(*s.Ended, t.ended, t.endedOK, loc))
	}
	if dur, ok := t.duration(d.Entry, d.Now); ok {
		soFar := ""
		if d.Entry.Status == session.Running {
			soFar = " so far"
		}
		p("  Duration: %s%s\n", human.Duration(dur), soFar)
	}
	if s.ExitCode != nil {
		p("  Exit:     %s\n", exitText(*s.ExitCode))
	}
	if len(s.TrackedPaths) > 0 {
		paths := make([]string, len(s.TrackedPaths))
		for i, tp := range s.TrackedPaths {
			paths[i] = human.Sanitize(tp)
		}
		p("  Paths:    %s\n", strings.Join(paths, ", "))
	}
	if x := s.ExecutableIdentity; x != nil {
		p("  Exec:     %s (sha256 %s)\n", human.Sanitize(x.ResolvedPath), human.ShortHex(x.SHA256))
	}
	writeSandboxSummary(bw, d)
	switch {
	case s.AuditIntegrity != nil:
		p("  Audit:    integrity enabled (%d events)\n", s.AuditIntegrity.EventCount)
		p("  Chain:    %s\n", human.ShortHex(s.AuditIntegrity.ChainHead))
		p("  Root:     %s\n", human.ShortHex(s.AuditIntegrity.MerkleRoot))
	case s.AuditEventCount > 0:
		p("  Audit:    %d events (no integrity summary)\n", s.AuditEventCount)
	}
	if a := s.AuditAttestation; a != nil {
		p("  Signed:   %s (%s)\n", human.Sanitize(a.KeyID), bundleState(d.Entry, a.BundleFilename))
	}
	if len(s.MerkleRoots) > 0 {
		roots := make([]string, len(s.MerkleRoots))
		for i, r := range s.MerkleRoots {
			roots[i] = human.ShortHex(r)
		}
		p("  Files:    %s (filesystem roots, before -> after)\n", strings.Join(roots, " -> "))
	}
	if d.Entry.RollbackDir != "" {
		p("  Rollback: %s (%d snapshots)\n", human.Sanitize(d.Entry.RollbackDir), s.SnapshotCount)
	}

	if len(d.Snapshots) > 0 || d.SnapshotsErr != nil {
		p("\n")
	}
	for _, sn := range d.Snapshots {
		label := "Snapshot"
		if sn.Number == 0 {
			label = "Baseline"
		}
		if sn.FileCount < 0 {
			p("  [%03d] %s  (root: %s; its manifest is gone with the rollback store)\n", sn.Number, label, human.ShortHex(sn.MerkleRoot))
		} else {
			p("  [%03d] %s at %s  (%d files, root: %s)\n", sn.Number, label, snapshotTime(sn.Timestamp, loc), sn.FileCount, human.ShortHex(sn.MerkleRoot))
		}
		for _, c := range sn.Changes {
			p("        %s %s\n", c.Type.Symbol(), human.Sanitize(c.Path))
		}
		switch sn.ChangesStatus {
		case snapshot.StatusFail:
			p("        [NOT VERIFIED: the change list %s]\n", human.Sanitize(sn.ChangesDetail))
		case snapshot.StatusWarn:
			p("        [unverified: %s]\n", human.Sanitize(sn.ChangesDetail))
		}
	}
	if d.SnapshotsErr != nil {
		p("  Snapshots: %s\n", human.Sanitize(d.SnapshotsErr.Error()))
	}
	writeSandboxRules(bw, d)

	if n := s.NetworkEvents.Len(); n > 0 {
		p("\n  Network Events: %d\n", n)
		err := s.NetworkEvents.Each(func(raw []byte) error {
			v, err := canon.Parse(raw)
			if err != nil {
				p("    unreadable network event: %s\n", human.Sanitize(err.Error()))
				return nil
			}
			ev := fieldOf(v)
			ms, ok := ev.Get("timestamp_unix_ms").v.Int()
			p("    %s  %s\n", formatEventTime(time.UnixMilli(ms), ok, loc), networkLine(ev))
			return nil
		})
		if err != nil {
			p("    %s\n", human.Sanitize(err.Error()))
		}
	}
	if err := writeEvents(bw, d, loc); err != nil {
		return err
	}
	return bw.Flush()
}

// writeEvents prints the command policy events (upstream's section) and
// then every event of the log, streaming the log twice rather than
// holding it.
func writeEvents(w *bufio.Writer, d *AuditShow, loc *time.Location) error {
	if d.LogPath == "" {
		fmt.Fprintf(w, "\n  Events:   none (no audit directory)\n")
		return nil
	}
	var total, policies int
	err := eachRecord(d.LogPath, func(r *record) error {
		total++
		if r.err == nil && r.typ() == "command_policy" {
			policies++
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(w, "\n  Events:   none (%s is missing)\n", session.EventsFileName)
		return nil
	}
	if err != nil {
		return err
	}
	if policies > 0 {
		fmt.Fprintf(w, "\n  Command Policy Events: %d\n", policies)
		err := eachRecord(d.LogPath, func(r *record) error {
			if r.err == nil && r.typ() == "command_policy" {
				fmt.Fprintf(w, "    %s\n", commandPolicyLine(r.event.Get("event")))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n  Events: %d\n", total)
	return eachRecord(d.LogPath, func(r *record) error {
		_, err := fmt.Fprintln(w, renderRecord(r, loc))
		return err
	})
}

// bundleState says whether the attestation bundle is where the summary
// says (a name with a path separator is not looked up).
func bundleState(e *session.Entry, name string) string {
	shown := human.Sanitize(name)
	if e.AuditDir == "" || name == "" || strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return "bundle " + shown + " not found"
	}
	if _, err := os.Lstat(filepath.Join(e.AuditDir, name)); err != nil {
		return "bundle " + shown + " missing"
	}
	return "bundle " + shown
}

// showTime is a session time to the millisecond in loc, with its offset,
// or the recorded text when it cannot be read.
func showTime(recorded string, t time.Time, ok bool, loc *time.Location) string {
	if !ok {
		return human.Sanitize(recorded)
	}
	return t.In(loc).Format("2006-01-02 15:04:05.000 -07:00")
}

// snapshotTime renders a manifest timestamp (epoch seconds, or RFC 3339)
// in loc, or as recorded when it cannot be read.
func snapshotTime(ts string, loc *time.Location) string {
	t, ok := parseTime(ts)
	if !ok {
		return human.Sanitize(ts)
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}

// WriteAuditShowJSON streams show --json: upstream's object (session_id, started,
// ended, command, executable_identity, tracked_paths, exit_code,
// merkle_roots, network_events, command_policy_events, audit_event_count,
// audit_integrity, snapshots), then audit_attestation, snapshot_count,
// status, events (each record as recorded) and event_log_error.
func WriteAuditShowJSON(w io.Writer, d *AuditShow) error {
	bw := bufio.NewWriter(w)
	s := d.Entry.Session
	full := s.Value()
	jw := &jsonObjectWriter{w: bw}
	for _, k := range []string{"session_id", "started", "ended", "command", "executable_identity", "tracked_paths", "exit_code", "merkle_roots"} {
		v, _ := full.Get(k)
		jw.member(k, v)
	}
	jw.key("network_events")
	events := &jsonArrayWriter{w: bw, depth: 1}
	err := s.NetworkEvents.Each(func(raw []byte) error {
		v, err := canon.Parse(raw)
		if err == nil {
			events.item(v)
		}
		return err
	})
	events.end()
	if err != nil {
		return err
	}
	logErr := canon.NullValue()
	streamLog := func(key string, keep func(*record) bool, value func(*record) canon.Value) error {
		jw.key(key)
		arr := &jsonArrayWriter{w: bw, depth: 1}
		if d.LogPath == "" {
			arr.end()
			return nil
		}
		err := eachRecord(d.LogPath, func(r *record) error {
			if keep(r) {
				arr.item(value(r))
			}
			return nil
		})
		arr.end()
		if err != nil {
			logErr = canon.StringValue(err.Error())
		}
		return nil
	}
	streamLog("command_policy_events",
		func(r *record) bool { return r.err == nil && r.typ() == "command_policy" },
		commandPolicyValue)
	for _, k := range []string{"audit_event_count", "audit_integrity"} {
		v, _ := full.Get(k)
		jw.member(k, v)
	}
	jw.member("snapshots", snapshotsValue(d.Snapshots))
	for _, k := range []string{"audit_attestation", "snapshot_count"} {
		v, _ := full.Get(k)
		jw.member(k, v)
	}
	jw.member("status", canon.StringValue(string(d.Entry.Status)))
	jw.member("sandbox_policy", policyValue(d))
	t := timesOf(d.Entry)
	dur, durOK := t.duration(d.Entry, d.Now)
	jw.member("outcome", canon.StringValue(outcome(d.Entry)))
	jw.member("started_utc", utcValue(t.started, t.startedOK))
	jw.member("ended_utc", utcValue(t.ended, t.endedOK))
	jw.member("duration_ms", durationValue(dur, durOK))
	jw.member("error", errorValue(d.Entry.Err))
	streamLog("events", func(*record) bool { return true }, recordValue)
	if d.LogPath == "" {
		logErr = canon.StringValue("no audit directory")
	}
	jw.member("event_log_error", logErr)
	jw.end()
	return bw.Flush()
}

func snapshotsValue(snaps []Snapshot) canon.Value {
	items := make([]canon.Value, 0, len(snaps))
	for _, sn := range snaps {
		changes := make([]canon.Value, 0, len(sn.Changes))
		for _, c := range sn.Changes {
			changes = append(changes, canon.ObjectValue(
				canon.Member{Key: "path", Value: canon.StringValue(c.Path)},
				canon.Member{Key: "type", Value: canon.StringValue(c.Type.Symbol())},
				canon.Member{Key: "size_delta", Value: canon.IntValue(c.SizeDelta)},
				canon.Member{Key: "old_hash", Value: optString(c.OldHash)},
				canon.Member{Key: "new_hash", Value: optString(c.NewHash)},
			))
		}
		fileCount := canon.NullValue() // the manifest is gone
		if sn.FileCount >= 0 {
			fileCount = canon.IntValue(int64(sn.FileCount))
		}
		items = append(items, canon.ObjectValue(
			canon.Member{Key: "number", Value: canon.UintValue(uint64(sn.Number))},
			canon.Member{Key: "timestamp", Value: optString(nonEmpty(sn.Timestamp))},
			canon.Member{Key: "file_count", Value: fileCount},
			canon.Member{Key: "merkle_root", Value: canon.StringValue(sn.MerkleRoot)},
			canon.Member{Key: "changes", Value: canon.ArrayValue(changes...)},
			canon.Member{Key: "changes_verified", Value: canon.BoolValue(sn.Number == 0 || sn.ChangesStatus == snapshot.StatusOK)},
			canon.Member{Key: "changes_check", Value: optString(nonEmpty(sn.ChangesDetail))},
		))
	}
	return canon.ArrayValue(items...)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optString(p *string) canon.Value {
	if p == nil {
		return canon.NullValue()
	}
	return canon.StringValue(*p)
}

// jsonObjectWriter writes a top-level object member by member in the
// pretty form of canon.Pretty, so large parts can be streamed.
type jsonObjectWriter struct {
	w      *bufio.Writer
	opened bool
}

func (j *jsonObjectWriter) key(k string) {
	if j.opened {
		j.w.WriteString(",\n  ")
	} else {
		j.w.WriteString("{\n  ")
		j.opened = true
	}
	j.w.Write(canon.AppendString(nil, k))
	j.w.WriteString(": ")
}

func (j *jsonObjectWriter) member(k string, v canon.Value) {
	j.key(k)
	j.w.Write(indent(canon.Pretty(v), 1))
}

func (j *jsonObjectWriter) end() {
	if !j.opened {
		j.w.WriteString("{}\n")
		return
	}
	j.w.WriteString("\n}\n")
}

// jsonArrayWriter streams an array value nested depth levels deep.
type jsonArrayWriter struct {
	w     *bufio.Writer
	depth int
	n     int
}

func (a *jsonArrayWriter) item(v canon.Value) {
	if a.n == 0 {
		a.w.WriteString("[")
	} else {
		a.w.WriteString(",")
	}
	a.n++
	a.w.WriteString("\n" + strings.Repeat("  ", a.depth+1))
	a.w.Write(indent(canon.Pretty(v), a.depth+1))
}

func (a *jsonArrayWriter) end() {
	if a.n == 0 {
		a.w.WriteString("[]")
		return
	}
	a.w.WriteString("\n" + strings.Repeat("  ", a.depth) + "]")
}

// indent re-indents a pretty document to sit depth levels deep. Pretty
// JSON has no raw newline inside strings, so every newline starts a line.
func indent(doc []byte, depth int) []byte {
	return bytes.ReplaceAll(doc, []byte("\n"), []byte("\n"+strings.Repeat("  ", depth)))
}
