package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/session/sessiontest"
)

const goldenID = "20260421-200000-11111"

// copyTree copies the golden fixture into a fresh audit root.
func goldenRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	err := filepath.WalkDir("testdata/golden", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/golden", p)
		dst := filepath.Join(root, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func verify(t *testing.T, root, id, pub string) *Verification {
	t.Helper()
	e, err := (&session.Store{AuditRoot: root}).Find(session.AuditSide, id)
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifySession(e, VerifyOptions{AuditRoot: root, PublicKeyFile: pub})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// field reads a path of keys from the --json document.
func field(t *testing.T, v *Verification, path ...string) string {
	t.Helper()
	cur := v.Value()
	for _, k := range path {
		next, ok := cur.Get(k)
		if !ok {
			t.Fatalf("no %s in %s", strings.Join(path, "."), canon.Compact(v.Value()))
		}
		cur = next
	}
	return string(canon.Compact(cur))
}

// The upstream golden vectors (session digest, first ledger record) and
// the log of that session verify as they are.
func TestVerifyGoldenVectors(t *testing.T) {
	root := goldenRoot(t)
	v := verify(t, root, goldenID, "")
	if !v.OK() {
		t.Fatalf("problems: %q", v.Problems)
	}
	want := `{"hash_algorithm":"sha256","merkle_scheme":"alpha","event_count":2,` +
		`"computed_chain_head":"0481e99f47f7052cf2f41cb0d7ee3401b1f1f734321b841000d05e62c62826f2",` +
		`"computed_merkle_root":"cb35c68bb12ddb7009673c33d9f0e059657b9901b51b8ab83c7a87c6c37d1a25",` +
		`"stored_event_count":null,"stored_chain_head":null,"stored_merkle_root":null,` +
		`"event_count_matches":true,"records_verified":true,"audit_event_count":2,"audit_event_count_matches":true,` +
		`"chain_head_matches":true,"merkle_root_matches":true,"session_id_matches":true,"status":"completed","verification_error":null}`
	if got := field(t, v, "session"); got != want {
		t.Errorf("session:\n got %s\nwant %s", got, want)
	}
	want = `{"hash_algorithm":"sha256","entry_count":1,"session_digest":"3a1ed53d426d6ea2544cec6cf6b95ccdc31fda4570d86931239ee0f7d7d39012",` +
		`"session_found":true,"session_digest_matches":true,"ledger_chain_verified":true,` +
		`"ledger_head":"8b6dbc155d44df05e6b5e9948fb8fff142222b4b41fb37284fb0d1217000e9bb","verification_error":null}`
	if got := field(t, v, "ledger"); got != want {
		t.Errorf("ledger:\n got %s\nwant %s", got, want)
	}
	if got := field(t, v, "attestation", "present"); got != "false" {
		t.Errorf("attestation.present %s", got)
	}
	if got := field(t, v, "verified"); got != "true" {
		t.Errorf("verified %s", got)
	}
	var keys []string
	for _, m := range v.Value().Members {
		keys = append(keys, m.Key)
	}
	if strings.Join(keys, " ") != "session ledger attestation verified problems failed_checks" {
		t.Errorf("top-level keys %q", keys)
	}
	var b strings.Builder
	v.WriteText(&b, false, nil)
	wantText := `nono Audit integrity for session 20260421-200000-11111 VERIFIED
  Events:   2
  Chain:    0481e99f47f7052cf2f41cb0d7ee3401b1f1f734321b841000d05e62c62826f2
  Root:     cb35c68bb12ddb7009673c33d9f0e059657b9901b51b8ab83c7a87c6c37d1a25
  Scheme:   alpha
  Ledger:   verified (entries=1, head=8b6dbc155d44df05e6b5e9948fb8fff142222b4b41fb37284fb0d1217000e9bb)
`
	if b.String() != wantText {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), wantText)
	}
}

// Each way of tampering with the golden session is caught, with a
// message that says what.
func TestVerifyTamperedGolden(t *testing.T) {
	dir := func(root string) string { return filepath.Join(root, goldenID) }
	logPath := func(root string) string { return filepath.Join(dir(root), session.EventsFileName) }
	edit := func(p, old, new string) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(old)) {
			t.Fatalf("%s lacks %q", p, old)
		}
		os.WriteFile(p, bytes.Replace(data, []byte(old), []byte(new), 1), 0o600)
	}
	cases := []struct {
		name    string
		tamper  func(root string)
		problem string
		fields  map[string]string
	}{
		{"event edited", func(r string) { edit(logPath(r), `"command":["/bin/pwd"]}}`, `"command":["/bin/pwD"]}}`) },
			"event log: ", map[string]string{"session.records_verified": "false", "session.event_count": "null"}},
		{"last record deleted", func(r string) {
			data, _ := os.ReadFile(logPath(r))
			os.WriteFile(logPath(r), data[:bytes.IndexByte(data, '\n')+1], 0o600)
		}, "session.json audit_event_count is 2 but the log holds 1 records",
			map[string]string{"session.records_verified": "true", "session.audit_event_count_matches": "false", "session.event_count": "1"}},
		{"truncated mid-record", func(r string) {
			data, _ := os.ReadFile(logPath(r))
			os.WriteFile(logPath(r), data[:len(data)-10], 0o600)
		}, "truncated", map[string]string{"session.records_verified": "false"}},
		{"log missing", func(r string) { os.Remove(logPath(r)) },
			"no such file", map[string]string{"session.records_verified": "false"}},
		{"session.json edited", func(r string) { edit(filepath.Join(dir(r), session.FileName), "/bin/pwd", "/bin/pwD") },
			"ledger: session.json does not match its ledger entry", map[string]string{"ledger.session_digest_matches": "false", "ledger.session_found": "true"}},
		{"ledger edited", func(r string) {
			edit(filepath.Join(r, ledger.FileName), `"completed_at":"2026-04-21T20:00:01Z"`, `"completed_at":"2026-04-21T20:00:02Z"`)
		},
			"ledger: ", map[string]string{"ledger.ledger_chain_verified": "false", "ledger.entry_count": "null"}},
		{"ledger missing", func(r string) { os.Remove(filepath.Join(r, ledger.FileName)) },
			"ledger: no ledger at", map[string]string{"ledger.ledger_chain_verified": "false"}},
		{"session never ended", func(r string) {
			edit(filepath.Join(dir(r), session.FileName), `"ended": "2026-04-21T20:00:01Z"`, `"ended": null`)
		},
			"the session never ended", map[string]string{"session.status": `"incomplete"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := goldenRoot(t)
			c.tamper(root)
			v := verify(t, root, goldenID, "")
			if v.OK() {
				t.Fatal("verified")
			}
			if !strings.Contains(strings.Join(v.Problems, "\n"), c.problem) {
				t.Errorf("problems %q lack %q", v.Problems, c.problem)
			}
			for path, want := range c.fields {
				if got := field(t, v, strings.Split(path, ".")...); got != want {
					t.Errorf("%s = %s, want %s", path, got, want)
				}
			}
			if field(t, v, "verified") != "false" {
				t.Error("verified is not false")
			}
			var b strings.Builder
			v.WriteText(&b, false, nil)
			headline := " MISMATCH\n"
			if c.name == "session never ended" {
				headline = " INCOMPLETE\n"
			}
			if !strings.Contains(b.String(), headline) || !strings.Contains(b.String(), "  Problem:  ") {
				t.Errorf("text:\n%s", b.String())
			}
		})
	}
}

func TestVerifyDirectoryNameMismatch(t *testing.T) {
	root := goldenRoot(t)
	os.Rename(filepath.Join(root, goldenID), filepath.Join(root, "renamed"))
	v := verify(t, root, "renamed", "")
	if v.OK() || field(t, v, "session", "session_id_matches") != "false" {
		t.Fatalf("rename not caught: %q", v.Problems)
	}
	if !strings.Contains(v.Problems[0], `session.json names session "20260421-200000-11111" but its directory is "renamed"`) {
		t.Errorf("problems %q", v.Problems)
	}
}

// recordSession writes a finished session the way the pipeline does:
// log, totals, signature (when key is set), ledger entry.
func recordSession(t *testing.T, root, id string, integrity bool, key string) string {
	t.Helper()
	return recordEvents(t, root, id, integrity, key,
		`{"type":"session_started","started":"2026-04-21T20:00:00+02:00","command":["make","test"]}`,
		`{"type":"url_open","request":{"request_id":"open-1","url":"https://example.com/","child_pid":42,"session_id":"`+id+`"},"success":true,"error":null}`,
		`{"type":"session_ended","ended":"2026-04-21T20:00:04+02:00","exit_code":0}`,
	)
}

func recordEvents(t *testing.T, root, id string, integrity bool, key string, events ...string) string {
	t.Helper()
	dir := filepath.Join(root, id)
	os.MkdirAll(dir, 0o700)
	logPath := filepath.Join(dir, session.EventsFileName)
	sessiontest.WriteLog(t, logPath, events...)
	f, _ := os.Open(logPath)
	res, err := chain.Verify(f, chain.Options{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ended, code := "2026-04-21T20:00:04+02:00", int32(0)
	s := &session.Session{SessionID: id, Started: "2026-04-21T20:00:00+02:00", Ended: &ended,
		Command: []string{"make", "test"}, TrackedPaths: []string{"/w"}, ExitCode: &code,
		AuditEventCount: res.EventCount}
	if integrity && res.EventCount > 0 {
		s.AuditIntegrity = &session.Integrity{HashAlgorithm: "sha256", EventCount: res.EventCount,
			ChainHead: merkle.Hex(*res.ChainHead), MerkleRoot: merkle.Hex(*res.MerkleRoot)}
	}
	if err := session.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	if key != "" {
		priv, err := dsse.LoadSigningKey("file://"+key, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := attest.SignSession(dir, priv, false); err != nil {
			t.Fatal(err)
		}
		if s, err = session.Read(dir); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ledger.Append(root, s, time.Second); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newKey(t *testing.T) (keyFile, pubFile string) {
	t.Helper()
	keyFile = filepath.Join(t.TempDir(), "signing.key")
	priv, err := dsse.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := dsse.WriteKeyPair(keyFile, priv, false); err != nil {
		t.Fatal(err)
	}
	return keyFile, dsse.PublicKeyPath(keyFile)
}

func TestVerifyIntegrityAndSignature(t *testing.T) {
	root := t.TempDir()
	key, pub := newKey(t)
	dir := recordSession(t, root, "signed", true, key)
	recordSession(t, root, "plain", true, "")

	v := verify(t, root, "signed", pub)
	if !v.OK() {
		t.Fatalf("problems %q", v.Problems)
	}
	for path, want := range map[string]string{
		"session.stored_event_count": "3", "session.chain_head_matches": "true",
		"attestation.present": "true", "attestation.signature_verified": "true",
		"attestation.expected_public_key_matches": "true", "ledger.entry_count": "2",
	} {
		if got := field(t, v, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	var b strings.Builder
	v.WriteText(&b, true, nil)
	for _, line := range []string{"  Stored:   events=3, chain=", "  Signed:   verified (key=", "  Pubkey:   matched\n"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("text lacks %q:\n%s", line, b.String())
		}
	}
	b.Reset()
	verify(t, root, "signed", "").WriteText(&b, false, nil)
	if !strings.Contains(b.String(), "  Signed:   self-attested (key=") || !strings.Contains(b.String(), "  Trust:    rely on ledger chain") {
		t.Errorf("unpinned text:\n%s", b.String())
	}

	// Someone else's key pinned: mismatch.
	_, otherPub := newKey(t)
	v = verify(t, root, "signed", otherPub)
	if v.OK() || field(t, v, "attestation", "expected_public_key_matches") != "false" {
		t.Errorf("other key accepted: %q", v.Problems)
	}
	// A pinned key for an unsigned session: mismatch.
	v = verify(t, root, "plain", pub)
	if v.OK() || !strings.Contains(strings.Join(v.Problems, "\n"), "session has no audit attestation") {
		t.Errorf("unsigned session with pinned key: %q", v.Problems)
	}
	// An unreadable pinned key file is a hard error, not a report.
	e, _ := (&session.Store{AuditRoot: root}).Find(session.AuditSide, "signed")
	if _, err := VerifySession(e, VerifyOptions{AuditRoot: root, PublicKeyFile: filepath.Join(root, "nope.pub")}); err == nil {
		t.Error("missing key file accepted")
	}
	// The bundle removed: mismatch.
	os.Remove(filepath.Join(dir, session.BundleFileName))
	v = verify(t, root, "signed", "")
	if v.OK() || field(t, v, "attestation", "signature_verified") != "false" {
		t.Errorf("missing bundle accepted: %q", v.Problems)
	}
}

func TestVerifySummaryMismatch(t *testing.T) {
	root := t.TempDir()
	dir := recordSession(t, root, "s1", true, "")
	// Drop the last record: the chain head, root and both counts disagree.
	p := filepath.Join(dir, session.EventsFileName)
	data, _ := os.ReadFile(p)
	lines := bytes.SplitAfter(data, []byte("\n"))
	os.WriteFile(p, bytes.Join(lines[:2], nil), 0o600)
	v := verify(t, root, "s1", "")
	got := strings.Join(v.Problems, "\n")
	for _, want := range []string{
		"session.json audit_event_count is 3 but the log holds 2 records",
		"audit_integrity.event_count is 3 but the log holds 2 records",
		"chain head mismatch: session.json has ",
		"Merkle root mismatch: session.json has ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	for path, want := range map[string]string{
		"session.records_verified": "true", "session.event_count_matches": "false",
		"session.chain_head_matches": "false", "session.merkle_root_matches": "false",
		"ledger.session_digest_matches": "true",
	} {
		if got := field(t, v, strings.Split(path, ".")...); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
}

// A session still being recorded is RUNNING, not a mismatch: its log is
// verified as far as it goes, the checks of a finished session wait.
func TestVerifyRunningSession(t *testing.T) {
	root := t.TempDir()
	dir := recordEvents(t, root, "live", false, "",
		`{"type":"session_started","started":"2026-04-21T20:00:00+02:00","command":["make","test"]}`)
	release, err := session.HoldRunning(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// A record being written when the log is read.
	f, _ := os.OpenFile(filepath.Join(dir, session.EventsFileName), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"sequence":1,"prev_ch`)
	f.Close()
	v := verify(t, root, "live", "")
	if len(v.Problems) != 0 || v.OK() || v.Headline() != "RUNNING" {
		t.Fatalf("running session: problems %q, OK %v, %s", v.Problems, v.OK(), v.Headline())
	}
	if got := field(t, v, "session", "status"); got != `"running"` {
		t.Errorf("status %s", got)
	}
	// What is already written must still verify.
	data, _ := os.ReadFile(filepath.Join(dir, session.EventsFileName))
	os.WriteFile(filepath.Join(dir, session.EventsFileName), bytes.Replace(data, []byte(`"make"`), []byte(`"mako"`), 1), 0o600)
	if v := verify(t, root, "live", ""); v.Headline() != "MISMATCH" {
		t.Errorf("tampered running session: %s, %q", v.Headline(), v.Problems)
	}
}

// What session.json says of the run must be what the log says: a
// session.json edited after the run disagrees with the chained log even
// when its ledger entry was made again over the edit; and the log must
// be one recording.
func TestVerifyRecordBackedByLog(t *testing.T) {
	started := `{"type":"session_started","started":"2026-04-21T20:00:00+02:00","command":["make","test"]}`
	ended := `{"type":"session_ended","ended":"2026-04-21T20:00:04+02:00","exit_code":0}`
	cases := []struct {
		name   string
		events []string
		edit   func(s *session.Session)
		want   []string
	}{
		{"command edited", []string{started, ended}, func(s *session.Session) { s.Command = []string{"make", "docs"} },
			[]string{"session.json command differs from the log's session_started"}},
		{"times and status edited", []string{started, ended}, func(s *session.Session) {
			s.Started = "2026-04-21T19:00:00+02:00"
			e, c := "2026-04-21T20:00:05+02:00", int32(1)
			s.Ended, s.ExitCode = &e, &c
		}, []string{"session.json started differs", "session.json ended differs", "session.json exit_code differs"}},
		{"second session_started", []string{started, started, ended}, nil,
			[]string{"the event log holds session_started at record 1 too: a second recording was spliced in"}},
		{"session_ended early", []string{started, ended, `{"type":"url_open","request":{"request_id":"o","url":"https://example.com/","child_pid":1,"session_id":"x"},"success":true,"error":null}`}, nil,
			[]string{"the event log holds session_ended at record 1, before its end"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := recordEvents(t, root, "s", false, "", c.events...)
			if c.edit != nil {
				s, err := session.Read(dir)
				if err != nil {
					t.Fatal(err)
				}
				c.edit(s)
				session.Write(dir, s)
				os.Remove(filepath.Join(root, ledger.FileName))
				if _, err := ledger.Append(root, s, time.Second); err != nil {
					t.Fatal(err)
				}
			}
			v := verify(t, root, "s", "")
			got := strings.Join(v.Problems, "\n")
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems lack %q:\n%s", w, got)
				}
			}
			if v.OK() || v.Headline() != "MISMATCH" || !slices.Contains(v.Failed, map[bool]string{true: "record", false: "session_events"}[c.edit != nil]) {
				t.Errorf("%s, failed %q", v.Headline(), v.Failed)
			}
		})
	}
}

func TestVerifyDamagedSession(t *testing.T) {
	st := sessiontest.New(t)
	st.Damage("bad")
	e, _ := (&session.Store{AuditRoot: st.Dir}).Find(session.AuditSide, "bad")
	if _, err := VerifySession(e, VerifyOptions{AuditRoot: st.Dir}); err == nil || !strings.Contains(err.Error(), "session bad") {
		t.Fatalf("VerifySession of a damaged session: %v", err)
	}
}

// A recording that stopped early but was sealed as it was (counts,
// summary and ledger all agree) is still caught.
func TestVerifyIncompleteRecording(t *testing.T) {
	root := t.TempDir()
	recordEvents(t, root, "cut", true, "",
		`{"type":"session_started","started":"2026-04-21T20:00:00+02:00","command":["make","test"]}`,
		`{"type":"url_open","request":{"request_id":"open-1","url":"https://example.com/","child_pid":42,"session_id":"cut"},"success":true,"error":null}`)
	recordEvents(t, root, "headless", false, "",
		`{"type":"session_ended","ended":"2026-04-21T20:00:04+02:00","exit_code":0}`)
	recordEvents(t, root, "empty", false, "")
	cases := map[string]string{
		"cut":      "no session_ended: the recording was interrupted (a recorder stage stopped early); after checking it, `nono audit ledger append cut` adds it to the ledger as it is",
		"headless": "the event log does not start with session_started",
		"empty":    "the event log holds no records",
	}
	for id, want := range cases {
		v := verify(t, root, id, "")
		if len(v.Problems) != 1 || v.Problems[0] != want {
			t.Errorf("%s: problems %q, want just %q", id, v.Problems, want)
		}
		if got := field(t, v, "session", "verification_error"); got != `"`+strings.ReplaceAll(want, `"`, `\"`)+`"` {
			t.Errorf("%s: verification_error %s", id, got)
		}
		// A recording that only stopped early is INCOMPLETE; one that
		// is not a recording's start is a MISMATCH.
		if want := map[bool]string{true: "MISMATCH", false: "INCOMPLETE"}[id == "headless"]; v.Headline() != want {
			t.Errorf("%s: headline %s, want %s", id, v.Headline(), want)
		}
	}
}
