package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

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
//
// Each change list is marked with what snapshot.CheckChanges found: a
// list edited after the session, or one whose snapshots are gone, is not
// presented as verified.
func loadSnapshots(e *session.Entry) ([]Snapshot, error) {
	for _, dir := range []string{e.RollbackDir, e.AuditDir} {
		if dir == "" {
			continue
		}
		if _, err := os.Lstat(snapshot.ManifestPath(dir, 0)); err != nil {
			continue
		}
		snaps, err := readSnapshots(dir)
		var checks []snapshot.ChangeListCheck
		if e.AuditDir != "" && e.Session != nil {
			checks = snapshot.CheckChanges(e.Session, e.AuditDir, e.RollbackDir)
		}
		for i := range snaps {
			if snaps[i].Number == 0 {
				continue
			}
			snaps[i].ChangesStatus, snaps[i].ChangesDetail = snapshot.ChangesTrust(checks, dir, int(snaps[i].Number))
			if e.AuditDir == "" {
				snaps[i].ChangesDetail = "no audit record to check it against"
			}
		}
		return snaps, err
	}
	return recordedChanges(e)
}

// recordedChanges are the change lists of the audit directory when no
// snapshot is left to show (the rollback store was cleaned up): each
// after the snapshot root session.json holds for it, marked unverified.
func recordedChanges(e *session.Entry) ([]Snapshot, error) {
	if e.AuditDir == "" || e.Session == nil || len(e.Session.MerkleRoots) < 2 {
		return nil, nil
	}
	if _, err := os.Lstat(snapshot.ChangesPath(e.AuditDir, 1)); err != nil {
		return nil, nil // nothing recorded beside the roots
	}
	checks := snapshot.CheckChanges(e.Session, e.AuditDir, e.RollbackDir)
	var out []Snapshot
	var errs []error
	for n, root := range e.Session.MerkleRoots {
		sn := Snapshot{Number: uint32(n), MerkleRoot: root, FileCount: -1}
		if n > 0 {
			changes, err := snapshot.ReadChanges(e.AuditDir, n)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("changes of snapshot %d: %w", n, err))
			}
			sn.Changes = changeItems(changes)
			sn.ChangesStatus, sn.ChangesDetail = snapshot.ChangesTrust(checks, e.AuditDir, n)
		}
		out = append(out, sn)
	}
	return out, errors.Join(errs...)
}

func changeItems(changes []snapshot.Change) []Change {
	var out []Change
	for _, c := range changes {
		out = append(out, Change{
			Path: fstree.EncodePath(c.Path), Type: c.Type, SizeDelta: c.SizeDelta,
			OldHash: hashText(c.OldHash), NewHash: hashText(c.NewHash),
		})
	}
	return out
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
			sn.Changes = changeItems(changes)
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

func parseTime(s string) (time.Time, bool) {
	t, err := event.ParseTime(s)
	return t, err == nil
}
