package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
)

// ended runs a session that changes a.txt, and finishes it as `nono run`
// does (the final session.json copied to the store).
func ended(t *testing.T) *env {
	e := newEnv(t)
	e.write("a.txt", "one\n", 0o644)
	_, err := Begin(e.opts())
	must(t, err)
	e.write("a.txt", "two\n", 0o644)
	_, err = End(e.opts())
	must(t, err)
	must(t, Finish(FinishOptions{SessionDir: e.auditDir, StoreDir: e.store, NoPrompt: true}))
	return e
}

func failedChecks(rep *VerifyReport) string {
	var out []string
	for _, c := range rep.Checks {
		if c.Status == StatusFail {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return strings.Join(out, "\n")
}

func TestRestoreRefusesWithoutTheAuditRecord(t *testing.T) {
	for _, tc := range []struct {
		name, remove, want string
	}{
		{"audit directory", "", "the audit session directory"},
		{"audit copy", session.FileName, "the audit copy"},
		{"digests", digestsFileName, "manifest digests"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ended(t)
			must(t, os.RemoveAll(filepath.Join(e.auditDir, tc.remove)))
			_, _, err := Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
			var te *TrustError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), tc.want) || !IsVerdict(err) {
				t.Fatalf("want a refusal naming %q, got %v", tc.want, err)
			}
			if data, _ := os.ReadFile(filepath.Join(e.root, "a.txt")); string(data) != "two\n" {
				t.Fatal("a refused restore wrote")
			}
			rep, err := Verify(e.store, VerifyOptions{Getenv: e.getenv})
			must(t, err)
			if rep.OK() || !strings.Contains(failedChecks(rep), tc.want) {
				t.Fatalf("verify does not report %q:\n%s", tc.want, strings.Join(rep.Lines(), "\n"))
			}
			var warned []string
			_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Force: true, Warn: func(m string) { warned = append(warned, m) }})
			must(t, err)
			if data, _ := os.ReadFile(filepath.Join(e.root, "a.txt")); string(data) != "one\n" {
				t.Fatalf("forced restore did not restore: %q", data)
			}
			if !strings.Contains(strings.Join(warned, "\n"), tc.want) {
				t.Fatalf("forced restore gave no warning naming %q: %q", tc.want, warned)
			}
		})
	}
}

func TestStoreSessionCopyMustMatchTheAuditCopy(t *testing.T) {
	e := ended(t)
	p := filepath.Join(e.store, session.FileName)
	data, err := os.ReadFile(p)
	must(t, err)
	forged := strings.Replace(string(data), `"agent"`, `"innocent"`, 1)
	must(t, os.WriteFile(p, []byte(forged), 0o600))
	rep, err := Verify(e.store, VerifyOptions{Getenv: e.getenv})
	must(t, err)
	if rep.OK() || !strings.Contains(failedChecks(rep), "in command") {
		t.Fatalf("verify does not name the edited command:\n%s", strings.Join(rep.Lines(), "\n"))
	}
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	if !IsVerdict(err) || !strings.Contains(err.Error(), "command") {
		t.Fatalf("want a refusal naming command, got %v", err)
	}
}

func TestUnfinishedStoreCopyIsANote(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "one\n", 0o644)
	_, err := Begin(e.opts())
	must(t, err)
	// The recording moves on in the audit copy; the supervisor dies before
	// anything copies it to the store again.
	must(t, session.Update(e.auditDir, func(s *session.Session) error {
		s.AuditEventCount = 7
		code := int32(0)
		s.ExitCode = &code
		return nil
	}))
	ev, err := gatherEvidence(e.store, e.getenv)
	must(t, err)
	if len(ev.Problems()) > 0 || len(ev.Notes) != 1 || !strings.Contains(ev.Notes[0], "exit_code, audit_event_count") {
		t.Fatalf("problems %q, notes %q", ev.Problems(), ev.Notes)
	}
	// An edit of a field begin wrote is not explained by a crash.
	must(t, session.Update(e.auditDir, func(s *session.Session) error {
		s.TrackedPaths = []string{"/elsewhere"}
		return nil
	}))
	ev, err = gatherEvidence(e.store, e.getenv)
	must(t, err)
	if len(ev.Differs) != 1 || ev.Differs[0] != "tracked_paths" {
		t.Fatalf("differs %q", ev.Differs)
	}
}

func TestRestoreChecksManifestRootsAgainstTheRecord(t *testing.T) {
	e := ended(t)
	// A consistent forgery: the baseline says a.txt held other content,
	// with a merkle_root recomputed to match, and the digest updated too.
	m, err := ReadManifest(e.store, 0)
	must(t, err)
	h, err := mustStore(t, e.store).Bytes([]byte("forged\n"))
	must(t, err)
	m.Files[0].Hash = h
	m.MerkleRoot = rootOf(m)
	must(t, WriteManifest(e.store, m))
	data, err := os.ReadFile(ManifestPath(e.store, 0))
	must(t, err)
	must(t, recordDigest(e.auditDir, 0, data))
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Force: true})
	if !IsVerdict(err) || !strings.Contains(err.Error(), "not the one the session recorded") {
		t.Fatalf("want a root mismatch, got %v", err)
	}
}

func TestRestoreNeverChmodsThroughAHardLink(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "same\n", 0o644)
	e.write("b.txt", "b\n", 0o644)
	_, err := Begin(e.opts())
	must(t, err)
	// The session replaces tracked files by hard links to files outside
	// the roots: one with the same content and another mode, one with
	// other content.
	outside := filepath.Join(e.base, "outside")
	must(t, os.Mkdir(outside, 0o755))
	for name, content := range map[string]string{"x": "same\n", "y": "other\n"} {
		must(t, os.WriteFile(filepath.Join(outside, name), []byte(content), 0o600))
	}
	must(t, os.Remove(filepath.Join(e.root, "a.txt")))
	must(t, os.Link(filepath.Join(outside, "x"), filepath.Join(e.root, "a.txt")))
	must(t, os.Remove(filepath.Join(e.root, "b.txt")))
	must(t, os.Link(filepath.Join(outside, "y"), filepath.Join(e.root, "b.txt")))
	_, err = End(e.opts())
	must(t, err)
	plan, _, err := Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	must(t, err)
	if len(plan.Actions) != 2 {
		t.Fatalf("plan %q", plan.Lines())
	}
	for name, content := range map[string]string{"x": "same\n", "y": "other\n"} {
		var st unix.Stat_t
		must(t, unix.Stat(filepath.Join(outside, name), &st))
		data, _ := os.ReadFile(filepath.Join(outside, name))
		if st.Mode&0o7777 != 0o600 || string(data) != content || st.Nlink != 1 {
			t.Errorf("outside/%s: mode %o, %d links, content %q", name, st.Mode&0o7777, st.Nlink, data)
		}
	}
	for name, content := range map[string]string{"a.txt": "same\n", "b.txt": "b\n"} {
		fi, err := os.Stat(filepath.Join(e.root, name))
		must(t, err)
		data, _ := os.ReadFile(filepath.Join(e.root, name))
		if fi.Mode().Perm() != 0o644 || string(data) != content {
			t.Errorf("%s: mode %o content %q", name, fi.Mode().Perm(), data)
		}
	}
}

func TestRestoreHistoryIsChained(t *testing.T) {
	e := ended(t)
	for range 3 {
		_, _, err := Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Force: true})
		must(t, err)
		_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Snapshot: 1, Force: true})
		must(t, err)
	}
	rep, err := Verify(e.store, VerifyOptions{Getenv: e.getenv})
	must(t, err)
	if !rep.OK() {
		t.Fatalf("verify:\n%s", strings.Join(rep.Lines(), "\n"))
	}
	good, err := os.ReadFile(filepath.Join(e.store, restoresFileName))
	must(t, err)
	lines := strings.SplitAfter(string(good), "\n")
	if len(lines) != 7 || lines[6] != "" {
		t.Fatalf("want 6 lines, got %q", good)
	}
	tamper := map[string]string{
		"middle line removed": lines[0] + lines[1] + lines[3] + lines[4] + lines[5],
		"first line removed":  strings.Join(lines[1:], ""),
		"line edited":         strings.Replace(string(good), `"forced":true`, `"forced":false`, 1),
		"lines swapped":       lines[1] + lines[0] + strings.Join(lines[2:], ""),
	}
	for name, content := range tamper {
		for _, dir := range []string{e.store, e.auditDir} {
			must(t, os.WriteFile(filepath.Join(dir, restoresFileName), []byte(content), 0o600))
		}
		rep, err := Verify(e.store, VerifyOptions{Getenv: e.getenv})
		must(t, err)
		if rep.OK() || !strings.Contains(failedChecks(rep), "restores") {
			t.Errorf("%s: verify passes:\n%s", name, strings.Join(rep.Lines(), "\n"))
		}
	}
	// One copy removed, or cut short, while the other stays.
	for _, dir := range []string{e.store, e.auditDir} {
		must(t, os.WriteFile(filepath.Join(e.store, restoresFileName), good, 0o600))
		must(t, os.WriteFile(filepath.Join(e.auditDir, restoresFileName), good, 0o600))
		must(t, os.Remove(filepath.Join(dir, restoresFileName)))
		rep, err := Verify(e.store, VerifyOptions{Getenv: e.getenv})
		must(t, err)
		if rep.OK() || !strings.Contains(failedChecks(rep), "is missing") {
			t.Errorf("%s removed: verify passes:\n%s", dir, strings.Join(rep.Lines(), "\n"))
		}
	}
	must(t, os.WriteFile(filepath.Join(e.store, restoresFileName), good, 0o600))
	must(t, os.WriteFile(filepath.Join(e.auditDir, restoresFileName), []byte(strings.Join(lines[:5], "")), 0o600))
	rep, err = Verify(e.store, VerifyOptions{Getenv: e.getenv})
	must(t, err)
	if rep.OK() || !strings.Contains(failedChecks(rep), "differs from the audit copy") {
		t.Errorf("cut short: verify passes:\n%s", strings.Join(rep.Lines(), "\n"))
	}
	// A history copied from another session does not start its chain.
	recs, err := ReadRestores(e.store)
	must(t, err)
	if len(recs) != 6 || recs[0].Prev == nil || *recs[0].Prev != chainStart(testID) {
		t.Fatalf("records %+v", recs)
	}
	if chainStart("another") == chainStart(testID) {
		t.Fatal("chain start does not depend on the session")
	}
}

func mustStore(t *testing.T, dir string) *Store {
	s, err := OpenStore(dir)
	must(t, err)
	return s
}

func rootOf(m *Manifest) fstree.Hash { return fstree.Root(m.Files) }

func TestRestoreLeavesLinksAnUpstreamManifestRecords(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "a\n", 0o644)
	must(t, os.Symlink("a.txt", filepath.Join(e.root, "l")))
	_, err := Begin(e.opts())
	must(t, err)
	e.write("n.txt", "new\n", 0o644)
	must(t, os.Symlink("a.txt", filepath.Join(e.root, "m")))
	_, err = End(e.opts())
	must(t, err)
	must(t, Finish(FinishOptions{SessionDir: e.auditDir, StoreDir: e.store, NoPrompt: true}))

	// The baseline as upstream writes it: regular files only, the link by
	// path in "symlinks", no exclusions, directories or link targets.
	ours, err := ReadManifest(e.store, 0)
	must(t, err)
	up := &Manifest{Timestamp: ours.Timestamp, Symlinks: []string{filepath.Join(e.root, "l")}}
	for _, f := range ours.Files {
		if f.Type == fstree.Regular {
			up.Files = append(up.Files, f)
		}
	}
	up.MerkleRoot = fstree.Root(up.Files)
	must(t, WriteManifest(e.store, up))
	data, err := os.ReadFile(ManifestPath(e.store, 0))
	must(t, err)
	must(t, recordDigest(e.auditDir, 0, data))
	must(t, session.Update(e.auditDir, func(s *session.Session) error {
		s.MerkleRoots[0] = fstree.Hex(up.MerkleRoot)
		return nil
	}))
	must(t, copySession(e.auditDir, e.store))

	plan, _, err := Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	must(t, err)
	want := []string{filepath.Join(e.root, "m"), filepath.Join(e.root, "n.txt")}
	if len(plan.Actions) != 0 || !reflect.DeepEqual(plan.Kept, want) {
		t.Fatalf("actions %q, kept %q; want none and %q", plan.Lines(), plan.Kept, want)
	}
	if target, err := os.Readlink(filepath.Join(e.root, "l")); err != nil || target != "a.txt" {
		t.Fatalf("recorded link: %q %v", target, err)
	}
}

func TestCheckChangesAgainstTheCommittedRoots(t *testing.T) {
	e := ended(t)
	s, err := session.Read(e.auditDir)
	must(t, err)
	for _, c := range CheckChanges(s, e.auditDir, e.store) {
		if c.Status != StatusOK {
			t.Fatalf("%s: %s %s", c.Path, c.Status, c.Detail)
		}
	}
	// An edited path in the audit directory's list.
	p := ChangesPath(e.auditDir, 1)
	data, err := os.ReadFile(p)
	must(t, err)
	must(t, os.WriteFile(p, []byte(strings.Replace(string(data), "/a.txt", "/b.txt", 1)), 0o600))
	err = ChangesError(CheckChanges(s, e.auditDir, e.store))
	if err == nil || !strings.Contains(err.Error(), "lists "+filepath.Join(e.root, "b.txt")) {
		t.Fatalf("want the edit named, got %v", err)
	}
	// The store cleaned up: not checkable, not a failure.
	must(t, os.RemoveAll(e.store))
	checks := CheckChanges(s, e.auditDir, "")
	if ChangesError(checks) != nil || len(checks) != 1 || checks[0].Status != StatusWarn {
		t.Fatalf("after cleanup: %+v", checks)
	}
}
