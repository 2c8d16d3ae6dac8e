package snapshot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
)

// Status is the outcome of one check.
type Status string

const (
	StatusOK   Status = "ok"
	StatusFail Status = "fail"
	StatusWarn Status = "warning"
)

// Check is one line of a verification: what was checked and how it went.
type Check struct {
	Name   string // "audit record", "snapshot 000", "objects", "changes 001", "restores"
	Status Status
	Detail string
}

// VerifyReport is the outcome of Verify: every check, in order.
type VerifyReport struct {
	SessionID string
	Checks    []Check
	Snapshots int
	Objects   int // distinct objects re-hashed

	objectBytes int64 // their size, as the manifests record it
}

// OK reports whether every check passed (warnings do not count).
func (r *VerifyReport) OK() bool { return r.Failures() == 0 }

// Failures counts the failed checks.
func (r *VerifyReport) Failures() int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			n++
		}
	}
	return n
}

// Lines are the checks as text: "  snapshot 000  OK    merkle root …".
func (r *VerifyReport) Lines() []string {
	out := make([]string, len(r.Checks))
	for i, c := range r.Checks {
		out[i] = fmt.Sprintf("  %-13s %-5s %s", c.Name, strings.ToUpper(map[Status]string{StatusOK: "ok", StatusFail: "fail", StatusWarn: "warn"}[c.Status]), c.Detail)
	}
	return out
}

// Value is the report as JSON: the session, the verdict, the counts and
// every check.
func (r *VerifyReport) Value() canon.Value {
	checks := make([]canon.Value, len(r.Checks))
	for i, c := range r.Checks {
		checks[i] = canon.ObjectValue(
			canon.Member{Key: "check", Value: canon.StringValue(c.Name)},
			canon.Member{Key: "status", Value: canon.StringValue(string(c.Status))},
			canon.Member{Key: "detail", Value: canon.StringValue(c.Detail)},
		)
	}
	return canon.ObjectValue(
		canon.Member{Key: "session_id", Value: canon.StringValue(r.SessionID)},
		canon.Member{Key: "verified", Value: canon.BoolValue(r.OK())},
		canon.Member{Key: "snapshots", Value: canon.IntValue(int64(r.Snapshots))},
		canon.Member{Key: "objects", Value: canon.IntValue(int64(r.Objects))},
		canon.Member{Key: "checks", Value: canon.ArrayValue(checks...)},
	)
}

func (r *VerifyReport) add(name string, st Status, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Status: st, Detail: fmt.Sprintf(format, args...)})
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	Getenv   func(string) string // finds the audit root; nil: os.Getenv
	Progress ProgressFunc        // a progress line while objects are hashed
}

// Verify checks a rollback session directory end to end, streaming every
// object:
//
//   - the audit record: the audit session directory, its copy of
//     session.json (the one the ledger covers) and the manifest digests
//     exist, and the store's session.json agrees with the audit copy;
//   - each manifest: its bytes match the recorded digest, its merkle_root
//     is the root of its own files and the one the session recorded;
//   - every object referenced exists and hashes to its name (each
//     distinct object read once);
//   - changes/NNN.json agree with the manifests they summarise;
//   - the restore history's chain holds and both copies agree.
//
// Objects no session references and leftover temporary files are
// warnings.
func Verify(dir string, o VerifyOptions) (*VerifyReport, error) {
	ev, err := gatherEvidence(dir, o.Getenv)
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{SessionID: ev.ID}
	rep.checkEvidence(ev)
	s := ev.Trusted()
	rep.Snapshots = countSnapshots(dir)
	if rep.Snapshots == 0 {
		rep.add("snapshots", StatusFail, "no snapshots in %s", filepath.Join(dir, snapshotsDir))
		return rep, nil
	}
	if int(s.SnapshotCount) != rep.Snapshots || len(s.MerkleRoots) != rep.Snapshots {
		rep.add("snapshots", StatusFail, "the session record has %d snapshot(s) and %d merkle root(s); %d manifest(s) found",
			s.SnapshotCount, len(s.MerkleRoots), rep.Snapshots)
	}
	manifests := make([]*Manifest, rep.Snapshots)
	refs := map[fstree.Hash]int{}
	for i := range manifests {
		name := fmt.Sprintf("snapshot %03d", i)
		m, err := readManifestChecked(dir, i, ev.Digests)
		if err == nil {
			err = checkManifest(m, i, s.MerkleRoots)
		}
		if m != nil {
			for _, f := range m.Files {
				if refs[f.Hash] == 0 {
					rep.objectBytes += f.Size
				}
				refs[f.Hash]++
			}
		}
		if err != nil {
			rep.add(name, StatusFail, "%v", err)
			continue
		}
		manifests[i] = m
		how := ""
		if ev.Digests != nil {
			how = ", digest matches the audit record"
		}
		rep.add(name, StatusOK, "merkle root %s matches the session record, %d files%s", short(m.MerkleRoot), len(m.Files), how)
	}
	store, err := OpenStore(dir)
	if err != nil {
		return nil, err
	}
	rep.checkObjects(store, refs, o.Progress)
	rep.checkChanges(dir, manifests)
	rep.checkRestores(ev, dir)
	return rep, nil
}

// checkEvidence reports what the audit side holds.
func (r *VerifyReport) checkEvidence(ev *evidence) {
	for _, m := range ev.Missing {
		r.add("audit record", StatusFail, "%s", m)
	}
	if len(ev.Differs) > 0 {
		r.add("audit record", StatusFail, "session.json differs from the audit copy %s in %s",
			filepath.Join(ev.AuditDir, session.FileName), strings.Join(ev.Differs, ", "))
	}
	if len(ev.Missing) == 0 && len(ev.Differs) == 0 {
		r.add("audit record", StatusOK, "session.json matches the audit copy in %s; manifest digests recorded", ev.AuditDir)
	}
	for _, n := range ev.Notes {
		r.add("audit record", StatusWarn, "%s", n)
	}
}

// checkObjects re-hashes every referenced object once, in parallel.
func (r *VerifyReport) checkObjects(store *Store, refs map[fstree.Hash]int, prog ProgressFunc) {
	p := prog.start("verify", len(refs), r.objectBytes)
	bad := hashObjects(store, refs, p.Add)
	p.Done()
	r.Objects = len(refs)
	total := 0
	for _, n := range refs {
		total += n
	}
	if len(bad) == 0 {
		r.add("objects", StatusOK, "%d distinct (%d references), all present and intact", len(refs), total)
	}
	for _, msg := range bad {
		r.add("objects", StatusFail, "%s", msg)
	}
	r.checkStray(store, refs)
}

// checkStray reports files of the store that no snapshot needs: objects
// no manifest names (of this session, or for the shared store of any
// session of the rollback root) and temporary files.
func (r *VerifyReport) checkStray(store *Store, refs map[fstree.Hash]int) {
	named := func(h fstree.Hash) bool { return refs[h] > 0 }
	where := "no snapshot of the session"
	if store.shared {
		all, err := references(filepath.Dir(store.dir), nil)
		if err != nil {
			r.add("objects", StatusWarn, "objects no session uses cannot be counted: %v", err)
			return
		}
		named = func(h fstree.Hash) bool { return all[h] }
		where = "no session of " + filepath.Dir(store.dir) + " (cleanup removes them)"
	}
	orphans, temps := 0, 0
	store.each(func(_ string, h fstree.Hash, valid bool, fi os.FileInfo) {
		switch {
		case valid && !named(h):
			orphans++
		case !valid && session.IsTemp(fi.Name()):
			temps++
		case !valid:
			orphans++
		}
	})
	if orphans > 0 {
		r.add("objects", StatusWarn, "%d file(s) in %s are objects referenced by %s", orphans, store.dir, where)
	}
	if temps > 0 {
		r.add("objects", StatusWarn, "%d temporary file(s) left by an interrupted write", temps)
	}
}

// checkChanges compares each changes/NNN.json with the change list its
// two manifests give.
func (r *VerifyReport) checkChanges(dir string, manifests []*Manifest) {
	for i := 1; i < len(manifests); i++ {
		if manifests[i-1] == nil || manifests[i] == nil {
			continue
		}
		name := fmt.Sprintf("changes %03d", i)
		file := filepath.Join(changesDir, fmt.Sprintf("%03d.json", i))
		want := Diff(manifests[i-1].Files, manifests[i].Files)
		got, err := ReadChanges(dir, i)
		switch {
		case isNotExist(err) && len(want) == 0:
		case isNotExist(err):
			r.add(name, StatusFail, "%s is missing (%d changes between snapshots %d and %d)", file, len(want), i-1, i)
		case err != nil:
			r.add(name, StatusFail, "%v", err)
		default:
			st, detail := compareChanges(got, want)
			r.add(name, st, "%s %s", file, detail)
		}
	}
}

// checkRestores checks the restore history: its chain, and that the
// store's copy and the audit copy are the same.
func (r *VerifyReport) checkRestores(ev *evidence, dir string) {
	const name = "restores"
	store, serr := readRestoreHistory(dir)
	var audit *restoreHistory
	var aerr error
	if ev.Audit != nil {
		audit, aerr = readRestoreHistory(ev.AuditDir)
	}
	for _, err := range []error{serr, aerr} {
		if err != nil {
			r.add(name, StatusFail, "%v", err)
		}
	}
	if serr != nil || aerr != nil {
		return
	}
	fails := 0
	fail := func(format string, args ...any) {
		fails++
		r.add(name, StatusFail, format, args...)
	}
	if ev.Audit != nil {
		switch {
		case store == nil && audit != nil:
			fail("%s is missing, but the audit record holds %d restore(s): the history was removed", filepath.Join(dir, restoresFileName), len(audit.Records))
		case store != nil && audit == nil:
			fail("%s is missing, but the store holds %d restore(s)", filepath.Join(ev.AuditDir, restoresFileName), len(store.Records))
		case store != nil && !bytes.Equal(store.Raw, audit.Raw):
			fail("the store's restore history (%d line(s)) differs from the audit copy (%d line(s)): one was edited", len(store.Records), len(audit.Records))
		}
	}
	for _, h := range []*restoreHistory{store, audit} {
		if h == nil {
			continue
		}
		if msg := h.checkChain(ev.ID); msg != "" {
			where := dir
			if h == audit {
				where = ev.AuditDir
			}
			fail("%s: %s", filepath.Join(where, restoresFileName), msg)
		}
	}
	h := store
	if h == nil {
		h = audit
	}
	switch {
	case fails > 0:
	case h == nil:
		r.add(name, StatusOK, "none recorded")
	case h.Unchained > 0:
		r.add(name, StatusWarn, "%d restore(s) recorded by an older version, without a chain: they cannot be checked", len(h.Records))
	default:
		copies := "the store's copy"
		if audit != nil {
			copies = "both copies agree"
		}
		r.add(name, StatusOK, "%d restore(s), chain intact, %s", len(h.Records), copies)
	}
}

func short(h fstree.Hash) string { return fstree.Hex(h)[:16] }

// hashObjects re-hashes every referenced object once, in parallel, and
// returns a message per missing or corrupt one (sorted).
func hashObjects(store *Store, refs map[fstree.Hash]int, add func(files int, bytes int64)) []string {
	hashes := make([]fstree.Hash, 0, len(refs))
	for h := range refs {
		hashes = append(hashes, h)
	}
	var (
		mu   sync.Mutex
		bad  []string
		next int
		wg   sync.WaitGroup
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for {
				mu.Lock()
				if next >= len(hashes) {
					mu.Unlock()
					return
				}
				h := hashes[next]
				next++
				mu.Unlock()
				_, err := store.check(h, buf, func(n int64) { add(0, n) })
				if err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
				}
				add(1, 0)
			}
		}()
	}
	wg.Wait()
	slices.Sort(bad)
	return bad
}
