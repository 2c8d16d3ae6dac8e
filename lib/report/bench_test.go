package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/session/sessiontest"
)

func BenchmarkShowJSON(b *testing.B) {
	_, e := sessiontest.Finished(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		d, err := LoadAuditShow(e)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteAuditShowJSON(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShowText(b *testing.B) {
	_, e := sessiontest.Finished(b, 20000)
	b.ResetTimer()
	for b.Loop() {
		d, err := LoadAuditShow(e)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteAuditShow(io.Discard, d, time.UTC); err != nil {
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
		entries, err := (&session.Store{AuditRoot: root}).List(session.AuditSide)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteAuditList(io.Discard, entries, now, "/home/u", false); err != nil {
			b.Fatal(err)
		}
	}
}
