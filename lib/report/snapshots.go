package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/tidwall/gjson"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/snapshot"
)

// maxSnapshots bounds the manifests read for one session: upstream writes
// two, a damaged store should not make show spin.
const maxSnapshots = 10000

// loadSnapshots reads the session's filesystem snapshots with their
// changes: from the rollback directory when it has them (--rollback keeps
// them there, where upstream's show never looks), else from the audit
// directory.
func loadSnapshots(e *session.Entry) ([]Snapshot, error) {
	for _, dir := range []string{e.RollbackDir, e.AuditDir} {
		if dir == "" {
			continue
		}
		if _, err := os.Lstat(snapshot.ManifestPath(dir, 0)); err != nil {
			continue
		}
		return readSnapshots(dir)
	}
	return nil, nil
}

// readSnapshots reads snapshots/000.json, 001.json, … of dir and the
// changes of each after the first. Unreadable files are skipped and
// reported together.
func readSnapshots(dir string) ([]Snapshot, error) {
	var out []Snapshot
	var errs []error
	for n := 0; n < maxSnapshots; n++ {
		if _, err := os.Lstat(snapshot.ManifestPath(dir, n)); errors.Is(err, fs.ErrNotExist) {
			break
		}
		m, err := snapshot.ReadManifest(dir, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sn := Snapshot{Number: m.Number, Timestamp: m.Timestamp, FileCount: len(m.Files), MerkleRoot: fstree.Hex(m.MerkleRoot)}
		if n > 0 {
			changes, err := snapshot.ReadChanges(dir, n)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("changes of snapshot %d: %w", n, err))
			}
			for _, c := range changes {
				sn.Changes = append(sn.Changes, Change{
					Path: fstree.EncodePath(c.Path), Type: c.Type, SizeDelta: c.SizeDelta,
					OldHash: hashText(c.OldHash), NewHash: hashText(c.NewHash),
				})
			}
		}
		out = append(out, sn)
	}
	return out, errors.Join(errs...)
}

func hashText(h *fstree.Hash) *string {
	if h == nil {
		return nil
	}
	s := fstree.Hex(*h)
	return &s
}

func gjsonValue(v canon.Value) gjson.Result { return gjson.ParseBytes(canon.Compact(v)) }

func parseTime(s string) (time.Time, bool) {
	t, err := event.ParseTime(s)
	return t, err == nil
}
