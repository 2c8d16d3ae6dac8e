package report

import (
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/snapshot"
)

func TestFinishSummary(t *testing.T) {
	mode := func(m uint32) *uint32 { return &m }
	changes := []snapshot.Change{
		{Path: "/p/a.txt", Type: snapshot.Modified, SizeDelta: 3},
		{Path: "/p/new", Type: snapshot.Created, SizeDelta: 9},
		{Path: "/p/run.sh", Type: snapshot.PermissionsChanged, OldMode: mode(0o644), NewMode: mode(0o755)},
	}
	var b strings.Builder
	FinishSummary(&b, changes[:1], false)
	if got := b.String(); got != "\n  nono 1 file changed (1 modified)\n" {
		t.Fatalf("summary %q", got)
	}
	b.Reset()
	FinishSummary(&b, changes, true)
	want := "\n  nono 3 files changed (1 created, 1 modified, 1 permissions)\nnono Changes:\n" +
		"  ~ /p/a.txt (modified) (+3 bytes)\n  + /p/new (created) (+9 bytes)\n  p /p/run.sh (permissions) (0644 -> 0755)\n"
	if got := b.String(); got != want {
		t.Fatalf("listing:\n%s\nwant:\n%s", got, want)
	}
	if got := changeSummary(changes); got != "+1 file, ~2 modified" {
		t.Fatalf("ChangeSummary = %q", got)
	}
	if got := changeSummary(nil); got != "(no changes)" {
		t.Fatalf("ChangeSummary(nil) = %q", got)
	}
}
