package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/session/sessiontest"
	"github.com/nono-audit/nono/lib/snapshot"
)

var showEvents = []string{
	`{"type":"session_started","started":"2026-04-21T20:00:00+02:00","command":["sh","-c","echo \u001b[31mhi"]}`,
	`{"type":"sandbox_runtime","event":{"timestamp":"2026-04-21T18:00:00.5+00:00","platform":"linux","landlock_abi":"v5","tool_sandbox_active":true}}`,
	`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1776794401,"nanos_since_epoch":250000000},"request":{"capability_type":"capability","request_id":"req-1","path":"/tmp/example","access":"ReadWrite","reason":"need scratch space","child_pid":42,"session_id":"sess-1"},"decision":{"Denied":{"reason":"outside policy"}},"backend":"terminal","duration_ms":12}}`,
	`{"type":"url_open","request":{"request_id":"open-1","url":"https://example.com/callback","child_pid":42,"session_id":"sess-1"},"success":false,"error":"blocked"}`,
	`{"type":"network","event":{"timestamp_unix_ms":1776794402000,"mode":"connect","decision":"allow","target":"api.example.com","port":443,"method":"GET","path":"/v1","status":200,"reason":null}}`,
	`{"type":"command_policy","event":{"timestamp":"2026-04-21T18:00:03+00:00","command":"git","caller":"agent","decision":"denied","reason":"push not allowed","stdio_mode":"pty","argv_hash":"aa","env_name_hash":"bb","cwd_hash":"cc","argv_display":["git","push"],"env_names_display":[],"cwd_display":"/w","exit_code":null}}`,
	`{"type":"my_own","note":"free form","n":3}`,
	`{"type":"session_ended","ended":"2026-04-21T20:00:04+02:00","exit_code":1}`,
}

func showFixture(t *testing.T) (*session.Entry, string) {
	t.Helper()
	st := sessiontest.New(t)
	dir := filepath.Join(st.Dir, "s1")
	os.Mkdir(dir, 0o700)
	ended, code := "2026-04-21T20:00:04+02:00", int32(1)
	s := &session.Session{
		SessionID: "s1", Started: "2026-04-21T20:00:00+02:00", Ended: &ended,
		Command:            []string{"sh", "-c", "echo \x1b[31mhi"},
		ExecutableIdentity: &session.ExecutableIdentity{ResolvedPath: "/usr/bin/dash", SHA256: strings.Repeat("ab", 32)},
		TrackedPaths:       []string{"/home/u/w", "/tmp"},
		ExitCode:           &code,
		MerkleRoots:        []string{strings.Repeat("11", 32), strings.Repeat("22", 32)},
		NetworkEvents: session.NetworkEventsOf(mustParse(t,
			`{"timestamp_unix_ms":1776794402000,"mode":"connect","decision":"deny","target":"evil.example","port":null,"method":null,"path":null,"status":null,"reason":"host_denied"}`)),
		AuditEventCount: uint64(len(showEvents)),
		AuditIntegrity:  &session.Integrity{HashAlgorithm: "sha256", EventCount: 8, ChainHead: strings.Repeat("cd", 32), MerkleRoot: strings.Repeat("ef", 32)},
		AuditAttestation: &session.Attestation{
			PredicateType: "https://nono.sh/attestation/audit-session/alpha", KeyID: strings.Repeat("0f", 32),
			PublicKey: "AAAA", BundleFilename: session.BundleFileName,
		},
	}
	if err := session.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	sessiontest.WriteLog(t, filepath.Join(dir, session.EventsFileName), showEvents...)
	e, err := st.Store().Find(session.AuditSide, "s1")
	if err != nil {
		t.Fatal(err)
	}
	return e, dir
}

func mustParse(t *testing.T, s string) canon.Value {
	t.Helper()
	v, err := canon.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWriteShow(t *testing.T) {
	e, _ := showFixture(t)
	d, err := LoadAuditShow(e)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteAuditShow(&b, d, time.UTC); err != nil {
		t.Fatal(err)
	}
	want := `nono Audit trail for session: s1 completed
  Command:  sh -c 'echo hi'
  Started:  2026-04-21 18:00:00.000 +00:00
  Ended:    2026-04-21 18:00:04.000 +00:00
  Duration: 4.0s
  Exit:     1
  Paths:    /home/u/w, /tmp
  Exec:     /usr/bin/dash (sha256 abababababababab)
  Audit:    integrity enabled (8 events)
  Chain:    cdcdcdcdcdcdcdcd
  Root:     efefefefefefefef
  Signed:   0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f (bundle audit-attestation.bundle missing)
  Files:    1111111111111111 -> 2222222222222222 (filesystem roots, before -> after)

  Network Events: 1
    2026-04-21 18:00:02.000  deny connect evil.example (reason=host_denied)

  Command Policy Events: 1
    denied git caller=agent reason=push not allowed

  Events: 8
       0  2026-04-21 18:00:00.000  session_started      sh -c 'echo hi'
       1  2026-04-21 18:00:00.500  sandbox_runtime      linux landlock_abi=v5 tool_sandbox_active=true
       2  2026-04-21 18:00:01.250  capability_decision  Denied (outside policy) ReadWrite /tmp/example reason=need scratch space pid=42 backend=terminal duration_ms=12
       3  -                        url_open             blocked https://example.com/callback error=blocked pid=42
       4  2026-04-21 18:00:02.000  network              allow connect api.example.com:443 (method=GET, path=/v1, status=200)
       5  2026-04-21 18:00:03.000  command_policy       denied git caller=agent reason=push not allowed
       6  -                        my_own               note="free form" n=3
       7  2026-04-21 18:00:04.000  session_ended        exit_code=1
`
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteShowDamagedLog(t *testing.T) {
	e, dir := showFixture(t)
	log := filepath.Join(dir, session.EventsFileName)
	data, _ := os.ReadFile(log)
	lines := strings.SplitAfter(string(data), "\n")
	// Line 2 is not JSON, line 3 has a duplicate key (which readers could
	// take either way); the last record lost its newline.
	lines[1] = "garbage\x1b[2J\n"
	lines[2] = `{"sequence":2,"event":{"type":"url_open","type":"session_ended"}}` + "\n"
	out := strings.Join(lines, "")
	os.WriteFile(log, []byte(out[:len(out)-1]), 0o600)
	d, _ := LoadAuditShow(e)
	var b strings.Builder
	if err := WriteAuditShow(&b, d, time.UTC); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    line 2: unreadable record: not valid JSON: unexpected character 'g' at byte 0\n",
		"    line 3: unreadable record: not valid JSON: duplicate key",
		"    line 8: unreadable record: truncated final record",
		"  Events: 8\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Error("escape sequence reached the output")
	}

	os.Remove(log)
	b.Reset()
	WriteAuditShow(&b, d, time.UTC)
	if !strings.Contains(b.String(), "  Events:   none (audit-events.ndjson is missing)\n") {
		t.Errorf("missing log not reported:\n%s", b.String())
	}
}

func TestWriteShowJSON(t *testing.T) {
	e, dir := showFixture(t)
	os.WriteFile(filepath.Join(dir, session.BundleFileName), []byte("{}"), 0o600)
	d, _ := LoadAuditShow(e)
	var b bytes.Buffer
	if err := WriteAuditShowJSON(&b, d); err != nil {
		t.Fatal(err)
	}
	v, err := canon.Parse(b.Bytes())
	if err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b.String())
	}
	// Streamed piece by piece, it is still exactly canon's pretty form.
	if got := string(canon.Pretty(v)) + "\n"; got != b.String() {
		t.Fatalf("not the canonical pretty form:\n%s", b.String())
	}
	var keys []string
	for _, m := range v.Members {
		keys = append(keys, m.Key)
	}
	wantKeys := "session_id started ended command executable_identity tracked_paths exit_code merkle_roots network_events command_policy_events audit_event_count audit_integrity snapshots audit_attestation snapshot_count status sandbox_policy outcome started_utc ended_utc duration_ms error events event_log_error"
	if strings.Join(keys, " ") != wantKeys {
		t.Fatalf("keys:\n%s\nwant\n%s", strings.Join(keys, " "), wantKeys)
	}
	get := func(path ...string) canon.Value {
		cur := v
		for _, k := range path {
			cur, _ = cur.Get(k)
		}
		return cur
	}
	events := get("events")
	if len(events.Elems) != 8 {
		t.Fatalf("%d events", len(events.Elems))
	}
	// Events keep their recorded form, escapes and all.
	if got := string(canon.Compact(events.Elems[0])); !strings.Contains(got, `"sequence":0,"leaf_hash":"`) ||
		!strings.HasSuffix(got, `"event":`+showEvents[0]+`}`) {
		t.Errorf("event 0: %s", got)
	}
	cp := get("command_policy_events")
	if len(cp.Elems) != 1 {
		t.Fatalf("command_policy_events: %s", canon.Compact(cp))
	}
	got := string(canon.Compact(cp.Elems[0]))
	if !strings.HasPrefix(got, `{"sequence":5,"leaf_hash":"`) || !strings.HasSuffix(got, `"exit_code":null,"event_type":"command_policy"}`) {
		t.Errorf("command policy item: %s", got)
	}
	if s := get("status"); s.Str != "completed" {
		t.Errorf("status %s", canon.Compact(s))
	}
	for k, want := range map[string]string{"outcome": `"exit 1"`, "started_utc": `"2026-04-21T18:00:00.000Z"`,
		"ended_utc": `"2026-04-21T18:00:04.000Z"`, "duration_ms": "4000", "error": "null"} {
		if got := string(canon.Compact(get(k))); got != want {
			t.Errorf("%s: %s, want %s", k, got, want)
		}
	}
	if a := get("audit_attestation", "key_id"); a.Str != strings.Repeat("0f", 32) {
		t.Errorf("attestation: %s", canon.Compact(get("audit_attestation")))
	}
	if n := get("event_log_error"); n.Kind != canon.Null {
		t.Errorf("event_log_error: %s", canon.Compact(n))
	}
}

func TestShowDamagedSession(t *testing.T) {
	st := sessiontest.New(t)
	st.Damage("bad")
	e, err := st.Store().Find(session.AuditSide, "bad")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAuditShow(e); err == nil || !strings.Contains(err.Error(), "session bad is damaged") {
		t.Fatalf("LoadAuditShow = %v", err)
	}
}

func TestShowSnapshotsFromRollbackStore(t *testing.T) {
	auditRoot, rollbackRoot := t.TempDir(), t.TempDir()
	ended := "2026-04-21T20:00:04+02:00"
	s := &session.Session{SessionID: "rb", Started: "2026-04-21T20:00:00+02:00", Ended: &ended,
		Command: []string{"touch", "new.txt"}, TrackedPaths: []string{"/w"}, SnapshotCount: 2}
	for _, root := range []string{auditRoot, rollbackRoot} {
		os.MkdirAll(filepath.Join(root, "rb"), 0o700)
		if err := session.Write(filepath.Join(root, "rb"), s); err != nil {
			t.Fatal(err)
		}
	}
	store := filepath.Join(rollbackRoot, "rb")
	a := fstree.File{Path: "/w/a.txt", Hash: fstree.Hash{1}, Size: 6, Mode: 0o100644}
	b := fstree.File{Path: "/w/new.txt", Hash: fstree.Hash{2}, Size: 3, Mode: 0o100644}
	parent := uint32(0)
	for _, m := range []*snapshot.Manifest{
		{Number: 0, Timestamp: "1776794400", Files: []fstree.File{a}, MerkleRoot: fstree.Hash{0xaa}},
		{Number: 1, Timestamp: "1776794404", Parent: &parent, Files: []fstree.File{a, b}, MerkleRoot: fstree.Hash{0xbb}},
	} {
		if err := snapshot.WriteManifest(store, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := snapshot.WriteChanges(store, 1, snapshot.Diff([]fstree.File{a}, []fstree.File{a, b})); err != nil {
		t.Fatal(err)
	}
	e, err := (&session.Store{AuditRoot: auditRoot, RollbackRoots: []string{rollbackRoot}}).Find(session.AuditSide, "rb")
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadAuditShow(e)
	if err != nil || d.SnapshotsErr != nil {
		t.Fatal(err, d.SnapshotsErr)
	}
	var b1 strings.Builder
	WriteAuditShow(&b1, d, time.UTC)
	for _, want := range []string{
		"  Rollback: " + store + " (2 snapshots)\n",
		"\n  [000] Baseline at 2026-04-21 18:00:00  (1 files, root: aa00000000000000)\n",
		"  [001] Snapshot at 2026-04-21 18:00:04  (2 files, root: bb00000000000000)\n        + /w/new.txt\n" +
			"        [unverified: not checked: session.json commits to no root for its snapshots]\n",
	} {
		if !strings.Contains(b1.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b1.String())
		}
	}
	var b2 bytes.Buffer
	WriteAuditShowJSON(&b2, d)
	v, err := canon.Parse(b2.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	snaps, _ := v.Get("snapshots")
	// The record commits to no roots: the change list is shown, marked
	// as not checked.
	want := `[{"number":0,"timestamp":"1776794400","file_count":1,"merkle_root":"aa` + strings.Repeat("0", 62) + `","changes":[],"changes_verified":true,"changes_check":null},` +
		`{"number":1,"timestamp":"1776794404","file_count":2,"merkle_root":"bb` + strings.Repeat("0", 62) + `","changes":[` +
		`{"path":"/w/new.txt","type":"+","size_delta":3,"old_hash":null,"new_hash":"02` + strings.Repeat("0", 62) + `"}],` +
		`"changes_verified":false,"changes_check":"not checked: session.json commits to no root for its snapshots"}]`
	if got := string(canon.Compact(snaps)); got != want {
		t.Errorf("snapshots:\n got %s\nwant %s", got, want)
	}

	// A damaged manifest is reported, the rest still shown.
	os.WriteFile(snapshot.ManifestPath(store, 1), []byte("{"), 0o600)
	d, _ = LoadAuditShow(e)
	if d.SnapshotsErr == nil || len(d.Snapshots) != 1 {
		t.Fatalf("damaged manifest: %v, %d snapshots", d.SnapshotsErr, len(d.Snapshots))
	}
	var b3 strings.Builder
	WriteAuditShow(&b3, d, time.UTC)
	if !strings.Contains(b3.String(), "  Snapshots: ") {
		t.Errorf("error not shown:\n%s", b3.String())
	}
}

// Whatever a log line holds, rendering it neither panics nor lets a
// control character through to the terminal.
func FuzzRenderRecord(f *testing.F) {
	for _, ev := range showEvents {
		f.Add(`{"sequence":1,"event":` + ev + `}`)
	}
	f.Add(`{"event_json":"{\"type\":\"x\u001b[2J\"}"}`)
	f.Add(`{"event":{"type":"network","event":{"port":"\u009b1m"}}}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, line string) {
		r := parseRecord(1, []byte(line))
		out := renderRecord(r, time.UTC)
		// Sanitize changes any control, bidi control or invalid byte.
		if human.Sanitize(out) != out {
			t.Fatalf("unsafe text in %q", out)
		}
		v := recordValue(r)
		if r.err == nil && r.typ() == "command_policy" {
			v = commandPolicyValue(r)
		}
		if _, err := canon.Parse(canon.Compact(v)); err != nil {
			t.Fatalf("record value is not JSON: %v", err)
		}
	})
}

func TestWriteShowSandbox(t *testing.T) {
	e, dir := showFixture(t)
	policy := `{
  "sandbox": "landlock",
  "landlock_abi": 7,
  "rules": [
    {"path": "/home/u/w", "access": "read+write", "kind": "directory", "source": "--allow"},
    {"path": "/dev/null", "access": "read+write", "kind": "file", "source": "system_write_linux"}
  ],
  "network": {"tcp": "open", "connect_tcp": [], "bind_tcp": [], "sockets": "any"},
  "executable": {"exec_path": "./x", "kind": "script", "hashed": "before exec: the script as its path named it then",
    "interpreter": {"path": "/usr/bin/dash", "sha256": "` + strings.Repeat("12", 32) + `", "hashed": "at exec: the file the kernel mapped"}}
}`
	os.WriteFile(filepath.Join(dir, "policy.json"), []byte(policy), 0o600)
	d, err := LoadAuditShow(e)
	if err != nil || d.PolicyErr != nil {
		t.Fatal(err, d.PolicyErr)
	}
	var b strings.Builder
	if err := WriteAuditShow(&b, d, time.UTC); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  Hashed:   script before exec: the script as its path named it then\n",
		"  Interp:   /usr/bin/dash (sha256 1212121212121212, at exec: the file the kernel mapped)\n",
		"  Sandbox:  landlock V7, 2 rules, network open (policy.json, outside the signed record)\n",
		"\n  Sandbox Rules: 2\n    /home/u/w  read+write  --allow\n    /dev/null  read+write  system_write_linux, file\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("show lacks %q:\n%s", want, b.String())
		}
	}
	var j bytes.Buffer
	if err := WriteAuditShowJSON(&j, d); err != nil {
		t.Fatal(err)
	}
	v, err := canon.Parse(j.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.Get("sandbox_policy"); member(got, "sandbox") != "landlock" {
		t.Errorf("sandbox_policy: %s", canon.Compact(got))
	}

	// A damaged policy.json is said, and the rest is shown.
	os.WriteFile(filepath.Join(dir, "policy.json"), []byte(`{"sandbox":"landlock","sandbox":"none"}`), 0o600)
	if d, _ = LoadAuditShow(e); d.PolicyErr == nil || !strings.Contains(d.PolicyErr.Error(), "duplicate") {
		t.Errorf("duplicate keys in policy.json: %v", d.PolicyErr)
	}
}
