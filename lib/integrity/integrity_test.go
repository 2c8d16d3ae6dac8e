package integrity

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// newSession makes a session directory holding session.json and a log of
// the given events.
func newSession(t *testing.T, events ...string) (dir string, log []byte) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "20260421-000000-1")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ended, code := "2026-04-21T00:00:01Z", int32(0)
	s := &session.Session{SessionID: filepath.Base(dir), Started: "2026-04-21T00:00:00Z", Ended: &ended, Command: []string{"pwd"}, ExitCode: &code}
	if err := session.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	rec := chain.NewRecorder(&buf)
	for _, e := range events {
		if err := rec.Append([]byte(e)); err != nil {
			t.Fatal(err)
		}
	}
	log = buf.Bytes()
	if err := os.WriteFile(filepath.Join(dir, session.EventsFileName), log, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, log
}

var events = []string{
	`{"type":"session_started","started":"2026-04-21T00:00:00Z","command":["pwd"]}`,
	`{"type":"session_ended","ended":"2026-04-21T00:00:01Z","exit_code":0}`,
}

func TestSummarizeSetsTheSummary(t *testing.T) {
	dir, log := newSession(t, events...)
	for _, stream := range []bool{false, true} {
		opts := Options{}
		if stream {
			opts.Stream = bytes.NewReader(log)
		}
		sum, err := Summarize(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		s, err := session.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		res := sum.Result
		if s.AuditEventCount != 2 || s.AuditIntegrity == nil || s.AuditIntegrity.ChainHead != merkle.Hex(*res.ChainHead) || s.AuditIntegrity.MerkleRoot != merkle.Hex(*res.MerkleRoot) {
			t.Errorf("stream=%v: session.json has %d events, %+v; the log gives %+v", stream, s.AuditEventCount, s.AuditIntegrity, res)
		}
	}
	if _, err := Summarize(dir, Options{NoIntegrity: true}); err != nil {
		t.Fatal(err)
	}
	if s, _ := session.Read(dir); s.AuditIntegrity != nil || s.AuditEventCount != 2 {
		t.Errorf("NoIntegrity: %d events, %+v; want 2 and no summary", s.AuditEventCount, s.AuditIntegrity)
	}
}

func TestSummarizeChangesNothingOnABadLog(t *testing.T) {
	dir, log := newSession(t, events...)
	before, _ := os.ReadFile(filepath.Join(dir, session.FileName))
	bad := bytes.Replace(log, []byte(`\"pwd\"`), []byte(`\"pwe\"`), 1)
	os.WriteFile(filepath.Join(dir, session.EventsFileName), bad, 0o600)
	var re *chain.RecordError
	if _, err := Summarize(dir, Options{}); !errors.As(err, &re) {
		t.Errorf("tampered log: %v, want a *chain.RecordError", err)
	}
	// A stream that is not what the file holds (its first record only).
	first := log[:bytes.IndexByte(log, '\n')+1]
	if _, err := Summarize(dir, Options{Stream: bytes.NewReader(first)}); !errors.Is(err, chain.ErrStreamMismatch) {
		t.Errorf("stream differing from the file: %v, want chain.ErrStreamMismatch", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, session.FileName))
	if !bytes.Equal(before, after) {
		t.Error("session.json changed although the log does not verify")
	}
}

func TestSummarizeWarnsAndRefusesRunning(t *testing.T) {
	dir, _ := newSession(t)
	sum, err := Summarize(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "has no records") {
		t.Errorf("empty log: warnings %q", sum.Warnings)
	}
	release, err := session.HoldRunning(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var re *RunningError
	if _, err := Summarize(dir, Options{}); !errors.As(err, &re) {
		t.Errorf("running session: %v, want a *RunningError", err)
	}
}

// nono run's last stage takes ended and exit_code from session_ended;
// other callers leave them alone, and a log without one changes nothing.
func TestSummarizeEndFromLog(t *testing.T) {
	ended := `{"type":"session_ended","ended":"2026-04-21T00:00:09.5+00:00","exit_code":42}`
	// A string that merely mentions the type is no session_ended event.
	decoy := `{"type":"session_started","started":"2026-04-21T00:00:00Z","command":["echo","\"type\":\"session_ended\""]}`
	for _, c := range []struct {
		name       string
		events     []string
		endFromLog bool
		wantEnded  string // "" for null
		wantCode   int32
	}{
		{"from the log", []string{decoy, ended}, true, "2026-04-21T00:00:09.5+00:00", 42},
		{"not asked", []string{decoy, ended}, false, "", 0},
		{"no session_ended", []string{decoy}, true, "", 0},
	} {
		dir, log := newSession(t, c.events...)
		if err := session.Update(dir, func(s *session.Session) error { s.Ended, s.ExitCode = nil, nil; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := Summarize(dir, Options{Stream: bytes.NewReader(log), EndFromLog: c.endFromLog}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		s, err := session.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.wantEnded == "" && (s.Ended != nil || s.ExitCode != nil):
			t.Errorf("%s: ended %v, exit_code %v; want both null", c.name, s.Ended, s.ExitCode)
		case c.wantEnded != "" && (s.Ended == nil || *s.Ended != c.wantEnded || s.ExitCode == nil || *s.ExitCode != c.wantCode):
			t.Errorf("%s: ended %v, exit_code %v; want %s and %d", c.name, s.Ended, s.ExitCode, c.wantEnded, c.wantCode)
		}
	}
}
