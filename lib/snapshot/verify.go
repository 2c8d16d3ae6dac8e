package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
)

// VerifyReport is the outcome of Verify: one line per check, in order.
type VerifyReport struct {
	SessionID string
	Lines     []string // "  [000] OK   …", "  objects: …", "  warning: …"
	Snapshots int
	Objects   int // distinct objects re-hashed
	Failures  int
}

// OK reports whether every check passed (warnings do not count).
func (r *VerifyReport) OK() bool { return r.Failures == 0 }

func (r *VerifyReport) fail(format string, args ...any) {
	r.Failures++
	r.Lines = append(r.Lines, fmt.Sprintf(format, args...))
}

func (r *VerifyReport) ok(format string, args ...any) {
	r.Lines = append(r.Lines, fmt.Sprintf(format, args...))
}

// Verify checks a rollback session directory end to end, streaming every
// object: each manifest parses and its merkle_root is the root of its own
// files; the manifests' roots equal session.json's merkle_roots (and the
// audit session's copy, which the ledger covers); every object referenced
// exists and hashes to its name (each distinct object read once);
// changes/NNN.json agree with the manifests they summarise. Objects that
// no manifest references are reported as warnings.
func Verify(dir string, getenv func(string) string) (*VerifyReport, error) {
	s, err := session.Read(dir)
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{SessionID: s.SessionID, Snapshots: countSnapshots(dir)}
	if rep.Snapshots == 0 {
		rep.fail("  FAIL no snapshots in %s", filepath.Join(dir, SnapshotsDir))
		return rep, nil
	}
	recorded := s.MerkleRoots
	var digests map[int]fstree.Hash
	if getenv != nil {
		if root, err := session.AuditRoot(getenv); err == nil {
			auditDir := filepath.Join(root, s.SessionID)
			if a, err := session.Read(auditDir); err == nil && !slices.Equal(a.MerkleRoots, s.MerkleRoots) {
				rep.fail("  FAIL merkle_roots differ between %s and the audit session (%s)", filepath.Join(dir, session.FileName), filepath.Join(auditDir, session.FileName))
			}
			if digests, err = ReadDigests(auditDir); err != nil {
				rep.fail("  FAIL %v", err)
			}
		}
	}
	if int(s.SnapshotCount) != rep.Snapshots {
		rep.fail("  FAIL session.json says %d snapshot(s), %d found", s.SnapshotCount, rep.Snapshots)
	}
	if len(recorded) != rep.Snapshots {
		rep.fail("  FAIL session.json records %d merkle root(s) for %d snapshot(s)", len(recorded), rep.Snapshots)
	}
	manifests := make([]*Manifest, rep.Snapshots)
	refs := map[fstree.Hash]int{}
	for i := range manifests {
		m, err := readManifestChecked(dir, i, digests)
		if err != nil {
			rep.fail("  [%03d] FAIL cannot load: %v", i, err)
			continue
		}
		rebuilt := fstree.Root(m.Files)
		switch {
		case m.Number != uint32(i):
			rep.fail("  [%03d] FAIL manifest says it is snapshot %d", i, m.Number)
		case rebuilt != m.MerkleRoot:
			rep.fail("  [%03d] FAIL merkle root mismatch (stored: %s, rebuilt: %s)", i, short(m.MerkleRoot), short(rebuilt))
		case i < len(recorded) && !strings.EqualFold(recorded[i], fstree.Hex(m.MerkleRoot)):
			rep.fail("  [%03d] FAIL merkle root %s is not the one session.json recorded (%.16s)", i, short(m.MerkleRoot), recorded[i])
		default:
			manifests[i] = m
			how := ""
			if _, ok := digests[i]; ok {
				how = ", manifest digest matches the audit session's"
			}
			rep.ok("  [%03d] OK   merkle root %s matches session.json, %d files%s", i, short(m.MerkleRoot), len(m.Files), how)
		}
		for _, f := range m.Files {
			refs[f.Hash]++
		}
	}
	store, err := OpenStore(dir)
	if err != nil {
		return nil, err
	}
	bad := checkObjects(store, refs)
	rep.Objects = len(refs)
	total := 0
	for _, n := range refs {
		total += n
	}
	if len(bad) == 0 {
		rep.ok("  objects: %d distinct (%d references), all present and intact", len(refs), total)
	} else {
		for _, msg := range bad {
			rep.fail("  FAIL %s", msg)
		}
	}
	for i := 1; i < rep.Snapshots; i++ {
		if manifests[i-1] == nil || manifests[i] == nil {
			continue
		}
		want := Diff(manifests[i-1].Files, manifests[i].Files)
		got, err := ReadChanges(dir, i)
		switch {
		case isNotExist(err) && len(want) == 0:
		case isNotExist(err):
			rep.fail("  FAIL %s is missing (%d changes between snapshots %d and %d)", filepath.Join(ChangesDir, fmt.Sprintf("%03d.json", i)), len(want), i-1, i)
		case err != nil:
			rep.fail("  FAIL %v", err)
		case !sameChanges(got, want):
			rep.fail("  FAIL %s does not match snapshots %03d and %03d", filepath.Join(ChangesDir, fmt.Sprintf("%03d.json", i)), i-1, i)
		default:
			rep.ok("  changes/%03d.json: OK (%d changes)", i, len(got))
		}
	}
	orphans, temps := strayObjects(store, refs)
	if orphans > 0 {
		rep.ok("  warning: %d object(s) referenced by no snapshot", orphans)
	}
	if temps > 0 {
		rep.ok("  warning: %d temporary file(s) left by an interrupted write", temps)
	}
	return rep, nil
}

func short(h fstree.Hash) string { return fstree.Hex(h)[:16] }

// checkObjects re-hashes every referenced object once, in parallel, and
// returns a message per missing or corrupt one (sorted).
func checkObjects(store *Store, refs map[fstree.Hash]int) []string {
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
				if err := store.Check(h, buf); err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	slices.Sort(bad)
	return bad
}

// strayObjects counts objects no manifest references and temporaries.
func strayObjects(store *Store, refs map[fstree.Hash]int) (orphans, temps int) {
	shards, err := os.ReadDir(store.dir)
	if err != nil {
		return 0, 0
	}
	for _, sh := range shards {
		if !sh.IsDir() {
			if session.IsTemp(sh.Name()) {
				temps++
			}
			continue
		}
		ents, err := os.ReadDir(filepath.Join(store.dir, sh.Name()))
		if err != nil {
			continue
		}
		for _, e := range ents {
			h, err := fstree.ParseHash(sh.Name() + e.Name())
			if err != nil {
				orphans++
				continue
			}
			if refs[h] == 0 {
				orphans++
			}
		}
	}
	return orphans, temps
}
