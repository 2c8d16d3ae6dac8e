package audit

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// benchSession records a finished session of n events under a fresh
// audit root, with its summary and ledger entry.
func benchSession(b *testing.B, n int) (root string, e *session.Entry) {
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
	writeLog(b, logPath, events...)
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
	e, err = session.Find(root, "", "bench")
	if err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(logPath)
	b.SetBytes(fi.Size())
	return root, e
}

func BenchmarkVerifySession(b *testing.B) {
	root, e := benchSession(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		v, err := VerifySession(e, VerifyOptions{AuditRoot: root})
		if err != nil || !v.OK() {
			b.Fatal(err, v.Problems)
		}
	}
}

func BenchmarkShowJSON(b *testing.B) {
	_, e := benchSession(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		d, err := LoadShow(e)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteShowJSON(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShowText(b *testing.B) {
	_, e := benchSession(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		d, err := LoadShow(e)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteShow(io.Discard, d, time.UTC); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListSessions(b *testing.B) {
	root := b.TempDir()
	for i := range 1000 {
		id := fmt.Sprintf("s%04d", i)
		dir := filepath.Join(root, id)
		os.Mkdir(dir, 0o700)
		ended := "2026-04-21T20:00:04+02:00"
		s := &session.Session{SessionID: id, Started: fmt.Sprintf("2026-04-%02dT20:00:00+02:00", 1+i%28), Ended: &ended,
			Command: []string{"make", "test"}, TrackedPaths: []string{fmt.Sprintf("/home/u/p%d", i%7)}}
		if err := session.Write(dir, s); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for b.Loop() {
		entries, err := session.List(root, "")
		if err != nil {
			b.Fatal(err)
		}
		session.SortNewestFirst(entries)
		if err := WriteList(io.Discard, entries, now, "/home/u", false); err != nil {
			b.Fatal(err)
		}
	}
}
