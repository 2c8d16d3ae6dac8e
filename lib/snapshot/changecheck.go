package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
)

// ChangeListCheck is what CheckChanges found for one change list.
type ChangeListCheck struct {
	Path   string // the changes/NNN.json checked (or that should be there)
	Number int
	// StatusOK: it is the list the committed snapshots give. StatusFail:
	// it is not (Detail says where they part). StatusWarn: it could not be
	// checked (Detail says why; the snapshots were cleaned up, say).
	Status Status
	Detail string
}

// CheckChanges checks the change lists of a session (changes/NNN.json,
// in its audit directory and its rollback store) against the snapshots
// that session.json commits to. session.json is upstream's shape and
// holds no digest of the change lists, but merkle_roots commits to each
// snapshot's files (every path and content hash): the snapshots are read
// (from the rollback store, or from the audit directory for an
// --audit-integrity session), each must rebuild to its recorded root (and,
// when the audit directory records them, match its manifest digest), and
// the change list recomputed from them must equal the recorded one. s is
// the audit copy of session.json; rollbackDir may be "".
func CheckChanges(s *session.Session, auditDir, rollbackDir string) []ChangeListCheck {
	var out []ChangeListCheck
	for n := 1; n < len(s.MerkleRoots); n++ {
		prev, cur, why := committedPair(s, auditDir, rollbackDir, n)
		for _, dir := range []string{auditDir, rollbackDir} {
			if dir == "" {
				continue
			}
			c := ChangeListCheck{Path: ChangesPath(dir, n), Number: n}
			recorded, err := ReadChanges(dir, n)
			switch {
			case isNotExist(err) && dir == rollbackDir && !hasSnapshots(dir):
				continue // not a store of this session's snapshots
			case isNotExist(err) && why != "":
				continue // nothing recorded, nothing to compare with
			case isNotExist(err):
				if want := Diff(prev.Files, cur.Files); len(want) > 0 {
					c.Status, c.Detail = StatusFail, fmt.Sprintf("is missing, and the committed snapshots give %d change(s)", len(want))
				} else {
					continue
				}
			case err != nil:
				c.Status, c.Detail = StatusFail, err.Error()
			case why != "":
				c.Status, c.Detail = StatusWarn, why
			default:
				c.Status, c.Detail = compareChanges(recorded, Diff(prev.Files, cur.Files))
			}
			out = append(out, c)
		}
	}
	return out
}

// ChangesError is the failures of CheckChanges as one error, one finding
// each (nil when none failed).
func ChangesError(checks []ChangeListCheck) error {
	var errs []error
	for _, c := range checks {
		if c.Status == StatusFail {
			errs = append(errs, fmt.Errorf("%s %s", c.Path, c.Detail))
		}
	}
	return errors.Join(errs...)
}

// committedPair reads snapshots n-1 and n and checks them against the
// record; why says what prevents that ("" when both check out).
func committedPair(s *session.Session, auditDir, rollbackDir string, n int) (prev, cur *Manifest, why string) {
	dir := auditDir
	if rollbackDir != "" && hasSnapshots(rollbackDir) {
		dir = rollbackDir
	}
	if !hasSnapshots(dir) {
		return nil, nil, "not checked: the snapshots it summarises are gone (the rollback store was cleaned up)"
	}
	digests, err := readDigests(auditDir)
	if err != nil {
		return nil, nil, "not checked: " + err.Error()
	}
	ms := make([]*Manifest, 2)
	for i, k := range []int{n - 1, n} {
		m, err := readManifestChecked(dir, k, digests)
		if err == nil {
			err = checkManifest(m, k, s.MerkleRoots)
		}
		if isNotExist(err) {
			return nil, nil, fmt.Sprintf("not checked: %s is gone", ManifestPath(dir, k))
		}
		if err != nil {
			return nil, nil, "not checked: " + err.Error()
		}
		ms[i] = m
	}
	return ms[0], ms[1], ""
}

func hasSnapshots(dir string) bool {
	_, err := os.Lstat(ManifestPath(dir, 0))
	return err == nil
}

// compareChanges says whether a recorded change list is the one the
// snapshots give, and if not, where they first part.
func compareChanges(recorded, want []Change) (Status, string) {
	if sameChanges(recorded, want) {
		return StatusOK, fmt.Sprintf("matches the committed snapshots (%d change(s))", len(want))
	}
	for i := 0; i < max(len(recorded), len(want)); i++ {
		switch {
		case i >= len(recorded):
			return StatusFail, fmt.Sprintf("leaves out %s, which the committed snapshots show %s", fstree.Display(want[i].Path), want[i].Type.Word())
		case i >= len(want):
			return StatusFail, fmt.Sprintf("lists %s (%s), which the committed snapshots do not show changed", fstree.Display(recorded[i].Path), recorded[i].Type.Word())
		case !sameChanges(recorded[i:i+1], want[i:i+1]):
			return StatusFail, fmt.Sprintf("lists %s (%s) where the committed snapshots give %s (%s)",
				fstree.Display(recorded[i].Path), recorded[i].Type.Word(), fstree.Display(want[i].Path), want[i].Type.Word())
		}
	}
	return StatusFail, "differs from the committed snapshots"
}

// ChangesTrust says how far `show` can vouch for the change list
// dir/changes/NNN.json, from the checks CheckChanges made (Status and
// Detail as in ChangeListCheck; not checked when none covers it).
func ChangesTrust(checks []ChangeListCheck, dir string, n int) (Status, string) {
	p := filepath.Clean(ChangesPath(dir, n))
	for _, c := range checks {
		if filepath.Clean(c.Path) == p {
			return c.Status, c.Detail
		}
	}
	return StatusWarn, "not checked: session.json commits to no root for its snapshots"
}
