// Package sessiontest writes sessions for tests: an audit root with
// finished, unfinished and damaged sessions, and hash-chained event logs.
package sessiontest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// Root is an audit root in a test's temporary directory.
type Root struct {
	T   testing.TB
	Dir string
}

// New makes an empty audit root.
func New(t testing.TB) *Root { return &Root{T: t, Dir: t.TempDir()} }

// Add writes session id and its event log (session_started, then
// session_ended with exit code 0 when ended: a whole recording) and
// returns its directory.
func (r *Root) Add(id, started string, ended bool, tracked []string, argv ...string) string {
	r.T.Helper()
	dir := filepath.Join(r.Dir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		r.T.Fatal(err)
	}
	s := &session.Session{SessionID: id, Started: started, Command: argv, TrackedPaths: tracked}
	if ended {
		e := started
		s.Ended = &e
		code := int32(0)
		s.ExitCode = &code
	}
	if err := session.Write(dir, s); err != nil {
		r.T.Fatal(err)
	}
	WriteLog(r.T, filepath.Join(dir, session.EventsFileName), Events(s)...)
	return dir
}

// Events are the canonical events of a recording of s: session_started
// and, when s ended, session_ended.
func Events(s *session.Session) []string {
	argv := canon.Compact(canon.StringsValue(s.Command))
	events := []string{`{"type":"session_started","started":` + string(canon.AppendString(nil, s.Started)) + `,"command":` + string(argv) + `}`}
	if s.Ended != nil {
		code := int32(0)
		if s.ExitCode != nil {
			code = *s.ExitCode
		}
		events = append(events, fmt.Sprintf(`{"type":"session_ended","ended":%s,"exit_code":%d}`, canon.AppendString(nil, *s.Ended), code))
	}
	return events
}

// Damage writes session id with a session.json that does not parse.
func (r *Root) Damage(id string) {
	r.T.Helper()
	if err := os.MkdirAll(filepath.Join(r.Dir, id), 0o700); err != nil {
		r.T.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, id, session.FileName), []byte("{"), 0o600); err != nil {
		r.T.Fatal(err)
	}
}

// Store is the store of this audit root alone.
func (r *Root) Store() *session.Store { return &session.Store{AuditRoot: r.Dir} }

// List lists the audit side of the store, newest first.
func (r *Root) List() []*session.Entry {
	r.T.Helper()
	entries, err := r.Store().List(session.AuditSide)
	if err != nil {
		r.T.Fatal(err)
	}
	return entries
}

// WriteLog writes canonical events as hash-chained records to path.
func WriteLog(t testing.TB, path string, events ...string) {
	t.Helper()
	var b bytes.Buffer
	rec := chain.NewRecorder(&b)
	for _, ev := range events {
		if err := rec.Append([]byte(ev)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Finished records session "bench", finished, of n events (started,
// n-2 network events, ended) under a fresh audit root, with its
// integrity summary and ledger entry. A benchmark's bytes are the log's.
func Finished(b testing.TB, n int) (root string, e *session.Entry) {
	b.Helper()
	root = b.TempDir()
	dir := filepath.Join(root, "bench")
	os.Mkdir(dir, 0o700)
	events := make([]string, 0, n)
	events = append(events, `{"type":"session_started","started":"2026-04-21T20:00:00+02:00","command":["make","test"]}`)
	for i := 1; i < n-1; i++ {
		events = append(events, fmt.Sprintf(`{"type":"network","event":{"timestamp_unix_ms":%d,"mode":"connect","decision":"allow","target":"host%d.example.com","port":443,"method":"GET","path":"/v1/items/%d","status":200,"reason":null}}`, 1776794402000+i, i%50, i))
	}
	events = append(events, `{"type":"session_ended","ended":"2026-04-21T20:00:04+02:00","exit_code":0}`)
	logPath := filepath.Join(dir, session.EventsFileName)
	WriteLog(b, logPath, events...)
	f, _ := os.Open(logPath)
	res, err := chain.Verify(f, chain.Options{})
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	ended, code := "2026-04-21T20:00:04+02:00", int32(0)
	s := &session.Session{SessionID: "bench", Started: "2026-04-21T20:00:00+02:00", Ended: &ended,
		Command: []string{"make", "test"}, TrackedPaths: []string{"/w"}, ExitCode: &code, AuditEventCount: res.EventCount,
		AuditIntegrity: &session.Integrity{HashAlgorithm: "sha256", EventCount: res.EventCount,
			ChainHead: merkle.Hex(*res.ChainHead), MerkleRoot: merkle.Hex(*res.MerkleRoot)}}
	if err := session.Write(dir, s); err != nil {
		b.Fatal(err)
	}
	if _, err := ledger.Append(root, s, time.Second); err != nil {
		b.Fatal(err)
	}
	e, err = (&session.Store{AuditRoot: root}).Find(session.AuditSide, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if bb, ok := b.(*testing.B); ok {
		fi, _ := os.Stat(logPath)
		bb.SetBytes(fi.Size())
	}
	return root, e
}
