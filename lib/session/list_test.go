package session

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeSession(t *testing.T, root, id, started string, ended *string) string {
	t.Helper()
	dir := filepath.Join(root, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := &Session{SessionID: id, Started: started, Ended: ended, Command: []string{"true"}}
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	// Only the log's last record matters to the status.
	log := `{"event":{"type":"session_started"}}` + "\n"
	if ended != nil {
		log += `{"event":{"type":"session_ended"}}` + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, EventsFileName), []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ptr(s string) *string { return &s }

func byID(entries []*Entry) map[string]*Entry {
	m := map[string]*Entry{}
	for _, e := range entries {
		m[e.ID] = e
	}
	return m
}

func TestListStatuses(t *testing.T) {
	audit, rollback := t.TempDir(), t.TempDir()
	writeSession(t, audit, "done", "2026-01-02T10:00:00+01:00", ptr("2026-01-02T10:00:01+01:00"))
	writeSession(t, audit, "crashed", "2026-01-02T11:00:00+01:00", nil)
	live := writeSession(t, audit, "live", "2026-01-02T12:00:00+01:00", nil)
	release, err := HoldRunning(live)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// Damaged: unparseable record, missing record, a symlink in place of a
	// session directory.
	bad := filepath.Join(audit, "bad")
	os.Mkdir(bad, 0o700)
	os.WriteFile(filepath.Join(bad, FileName), []byte(`{"session_id":`), 0o600)
	os.Mkdir(filepath.Join(audit, "empty"), 0o700)
	os.Symlink(filepath.Join(audit, "done"), filepath.Join(audit, "link"))
	// Ignored: names that are not IDs, plain files.
	os.Mkdir(filepath.Join(audit, ".tmp-x"), 0o700)
	os.WriteFile(filepath.Join(audit, "ledger.ndjson"), nil, 0o600)
	os.WriteFile(filepath.Join(audit, "plainfile"), nil, 0o600)
	// Rollback root: a copy of "done" (already seen), a session only
	// there, and a directory without a record (the store's own).
	writeSession(t, rollback, "done", "2026-01-02T10:00:00+01:00", ptr("x"))
	writeSession(t, rollback, "rbonly", "2026-01-01T00:00:00Z", ptr("2026-01-01T00:00:01Z"))
	os.Mkdir(filepath.Join(rollback, "norecord"), 0o700)

	entries, err := (&Store{AuditRoot: audit, RollbackRoots: []string{rollback}}).List(AuditSide)
	if err != nil {
		t.Fatal(err)
	}
	got := byID(entries)
	want := map[string]Status{
		"done": Completed, "crashed": Incomplete, "live": Running,
		"bad": Damaged, "empty": Damaged, "link": Damaged, "rbonly": Completed,
	}
	if len(got) != len(want) || len(entries) != len(want) {
		t.Fatalf("got %d entries %v, want %v", len(entries), got, want)
	}
	for id, st := range want {
		e := got[id]
		if e == nil || e.Status != st {
			t.Errorf("%s: got %+v, want status %s", id, e, st)
		}
	}
	if e := got["done"]; e.RollbackDir != filepath.Join(rollback, "done") || e.AuditDir != filepath.Join(audit, "done") || e.Dir != e.AuditDir {
		t.Errorf("done dirs: %+v", e)
	}
	if e := got["rbonly"]; e.AuditDir != "" || e.Dir != filepath.Join(rollback, "rbonly") {
		t.Errorf("rbonly dirs: %+v", e)
	}
	if e := got["bad"]; e.Session != nil || e.Err == nil || !strings.Contains(e.Err.Error(), "parse") {
		t.Errorf("bad: %+v", e)
	}
	if e := got["link"]; !strings.Contains(e.Err.Error(), "symbolic link") {
		t.Errorf("link: %v", e.Err)
	}
}

func TestListMissingRoots(t *testing.T) {
	entries, err := (&Store{AuditRoot: filepath.Join(t.TempDir(), "nope")}).List(AuditSide)
	if err != nil || len(entries) != 0 {
		t.Fatalf("List of missing root = %v, %v", entries, err)
	}
}

func TestFind(t *testing.T) {
	audit, rollback := t.TempDir(), t.TempDir()
	writeSession(t, audit, "a1", "2026-01-02T10:00:00Z", nil)
	writeSession(t, rollback, "r1", "2026-01-02T10:00:00Z", nil)
	st := &Store{AuditRoot: audit, RollbackRoots: []string{rollback}}
	if e, err := st.Find(AuditSide, "a1"); err != nil || e.Session.SessionID != "a1" {
		t.Fatalf("Find a1 = %+v, %v", e, err)
	}
	if e, err := st.Find(AuditSide, "r1"); err != nil || e.Dir != filepath.Join(rollback, "r1") {
		t.Fatalf("Find r1 = %+v, %v", e, err)
	}
	if _, err := st.Find(AuditSide, "zz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Find zz = %v", err)
	}
	for _, id := range []string{"", "../a1", "a/b", "a\x00", "..", strings.Repeat("a", 65)} {
		if _, err := st.Find(AuditSide, id); err == nil || !strings.Contains(err.Error(), "invalid session ID") {
			t.Errorf("Find(%q) = %v, want invalid session ID", id, err)
		}
	}
}

func TestRecordSymlinkNotFollowed(t *testing.T) {
	audit := t.TempDir()
	real := writeSession(t, t.TempDir(), "elsewhere", "1", nil)
	dir := filepath.Join(audit, "s1")
	os.Mkdir(dir, 0o700)
	os.Symlink(filepath.Join(real, FileName), filepath.Join(dir, FileName))
	e, err := (&Store{AuditRoot: audit}).Find(AuditSide, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if e.Status != Damaged || !strings.Contains(e.Err.Error(), "symbolic link") {
		t.Fatalf("got %+v", e)
	}
}

func TestLoad(t *testing.T) {
	dir := writeSession(t, t.TempDir(), "copied", "2026-01-02T10:00:00Z", ptr("2026-01-02T10:00:01Z"))
	e, err := Load(dir + "/")
	if err != nil || e.ID != "copied" || e.Status != Completed {
		t.Fatalf("Load = %+v, %v", e, err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "a.b")); err == nil || !strings.Contains(err.Error(), "not a session ID") {
		t.Fatalf("Load(a.b) = %v", err)
	}
}

func TestSortNewestFirstParsesTimes(t *testing.T) {
	audit := t.TempDir()
	// As strings these sort c, b, a, d, e; as instants the order is
	// b (09:30Z), a (09:00Z), d (epoch 08:00Z), c (07:00Z), then the
	// unparseable ones by ID.
	writeSession(t, audit, "a", "2026-03-01T10:00:00+01:00", nil)
	writeSession(t, audit, "b", "2026-03-01T09:30:00Z", nil)
	writeSession(t, audit, "c", "2026-03-01T12:00:00+05:00", nil)
	writeSession(t, audit, "d", "1772352000", nil) // 2026-03-01T08:00:00Z
	writeSession(t, audit, "f", "yesterday", nil)
	writeSession(t, audit, "e", "", nil)
	os.Mkdir(filepath.Join(audit, "broken"), 0o700)
	entries, err := (&Store{AuditRoot: audit}).List(AuditSide)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.ID)
	}
	if got, want := strings.Join(ids, " "), "b a d c broken e f"; got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
	if _, ok := entries[0].Started(); !ok {
		t.Fatal("b has no parsed time")
	}
	if _, ok := entries[len(entries)-1].Started(); ok {
		t.Fatal("f has a parsed time")
	}
}

func TestListRollbackSide(t *testing.T) {
	audit, rollback, dest := t.TempDir(), t.TempDir(), t.TempDir()
	writeSession(t, audit, "both", "2026-01-02T10:00:00Z", ptr("2026-01-02T10:00:01Z"))
	writeSession(t, rollback, "both", "2026-01-02T10:00:00Z", nil) // the copy is read, not the audit record
	writeSession(t, audit, "auditonly", "2026-01-03T10:00:00Z", nil)
	writeSession(t, dest, "far", "2026-01-01T10:00:00Z", ptr("x"))
	writeSession(t, dest, "both", "2020-01-01T10:00:00Z", nil) // shadowed by the rollback root's
	os.Mkdir(filepath.Join(rollback, "objects"), 0o700)        // the store's own directory
	bad := filepath.Join(rollback, "bad")
	os.Mkdir(bad, 0o700)
	os.WriteFile(filepath.Join(bad, FileName), []byte("{"), 0o600)
	os.WriteFile(filepath.Join(rollback, DestsFileName), []byte(dest+"\n"+"relative\n"+dest+"\n"), 0o600)

	env := map[string]string{"NONO_AUDIT_DIR": audit, "NONO_ROLLBACK_DIR": rollback}
	st, err := Open(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if len(st.RollbackRoots) != 2 || st.RollbackRoots[1] != dest {
		t.Fatalf("rollback roots %q", st.RollbackRoots)
	}
	entries, err := st.List(RollbackSide)
	if err != nil {
		t.Fatal(err)
	}
	got := byID(entries)
	if len(entries) != 3 || got["auditonly"] != nil {
		t.Fatalf("entries %v", got)
	}
	if e := got["both"]; e.Dir != filepath.Join(rollback, "both") || e.AuditDir != filepath.Join(audit, "both") || e.Status != Incomplete || e.Side != RollbackSide {
		t.Errorf("both: %+v", e)
	}
	if e := got["far"]; e.Dir != filepath.Join(dest, "far") || e.AuditDir != "" || e.Status != Completed {
		t.Errorf("far: %+v", e)
	}
	if e := got["bad"]; e.Status != Damaged {
		t.Errorf("bad: %+v", e)
	}
	if e, err := st.Find(RollbackSide, "far"); err != nil || e.RollbackDir != filepath.Join(dest, "far") {
		t.Errorf("Find far = %+v, %v", e, err)
	}
	if _, err := st.Find(RollbackSide, "auditonly"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find auditonly on the rollback side = %v", err)
	}
	if _, err := st.Find(RollbackSide, "objects"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find objects = %v", err)
	}
	// The audit side lists the rollback-only session too, from its copy.
	entries, _ = st.List(AuditSide)
	if e := byID(entries)["far"]; e == nil || e.AuditDir != "" || e.Dir != filepath.Join(dest, "far") {
		t.Errorf("audit side far: %+v", e)
	}
	if _, err := Open(func(k string) string { return env[k] }, "rel/dir"); err == nil {
		t.Error("a relative rollback directory was accepted")
	}
}

// A session.json that says the session ended is not enough: the log must
// end with session_ended, or the recording failed.
func TestListRecordingStatus(t *testing.T) {
	audit := t.TempDir()
	end := ptr("2026-01-02T10:00:01Z")
	write := func(id, log string) {
		dir := writeSession(t, audit, id, "2026-01-02T10:00:00Z", end)
		if log == "-" {
			os.Remove(filepath.Join(dir, EventsFileName))
			return
		}
		os.WriteFile(filepath.Join(dir, EventsFileName), []byte(log), 0o600)
	}
	write("whole", `{"event":{"type":"session_started"}}`+"\n"+`{"event_json":"{\"type\":\"session_ended\"}"}`+"\n\n")
	write("cut", `{"event":{"type":"session_started"}}`+"\n"+`{"event":{"type":"network"}}`+"\n")
	write("torn", `{"event":{"type":"session_started"}}`+"\n"+`{"event":{"type":"sess`)
	write("empty", "")
	write("nolog", "-")
	entries, err := (&Store{AuditRoot: audit}).List(AuditSide)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		status Status
		why    string
	}{
		"whole": {Completed, ""},
		"cut":   {Incomplete, `ends with "network", not session_ended`},
		"torn":  {Incomplete, "not a whole record"},
		"empty": {Incomplete, "holds no records"},
		"nolog": {Damaged, "audit-events.ndjson is missing"},
	}
	for id, e := range byID(entries) {
		w := want[id]
		why := ""
		if e.Err != nil {
			why = e.Err.Error()
		}
		if e.Status != w.status || !strings.Contains(why, w.why) || (w.why == "") != (e.Err == nil) || e.Session == nil {
			t.Errorf("%s: %s (%v), want %s (%s)", id, e.Status, e.Err, w.status, w.why)
		}
	}
}
