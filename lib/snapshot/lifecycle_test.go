package snapshot

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
)

const testID = "0123456789abcdef"

type env struct {
	t        testing.TB
	base     string
	root     string // the tracked root
	auditDir string
	store    string
	getenv   func(string) string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, base: base, root: filepath.Join(base, "work")}
	vars := map[string]string{
		"NONO_AUDIT_DIR":    filepath.Join(base, "audit"),
		"NONO_ROLLBACK_DIR": filepath.Join(base, "rollbacks"),
	}
	e.getenv = func(k string) string { return vars[k] }
	e.auditDir = filepath.Join(vars["NONO_AUDIT_DIR"], testID)
	e.store = filepath.Join(vars["NONO_ROLLBACK_DIR"], testID)
	must(t, os.MkdirAll(e.auditDir, 0o700))
	must(t, os.MkdirAll(e.root, 0o755))
	s := &session.Session{
		SessionID:    testID,
		Started:      event.FormatTime(time.Now()),
		Command:      []string{"sh", "-c", "agent"},
		TrackedPaths: []string{e.root},
		MerkleRoots:  []string{},
	}
	must(t, session.Write(e.auditDir, s))
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) write(rel, content string, mode os.FileMode) {
	p := filepath.Join(e.root, rel)
	must(e.t, os.MkdirAll(filepath.Dir(p), 0o755))
	must(e.t, os.WriteFile(p, []byte(content), mode))
	must(e.t, os.Chmod(p, mode))
}

func (e *env) opts() Options {
	return Options{SessionDir: e.auditDir, StoreDir: e.store, Getenv: e.getenv, Stderr: os.Stderr}
}

// state lists every entry under dir: type, permissions and content or
// link target, so two states compare byte for byte.
func state(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			lines = append(lines, fmt.Sprintf("L %s -> %s", rel, target))
		case fi.IsDir():
			lines = append(lines, fmt.Sprintf("D %s %o", rel, fi.Mode().Perm()))
		default:
			data, _ := os.ReadFile(p)
			lines = append(lines, fmt.Sprintf("F %s %o %x", rel, fi.Mode()&(os.ModePerm|os.ModeSetuid|os.ModeSetgid|os.ModeSticky), sha256.Sum256(data)))
		}
		return nil
	})
	must(t, err)
	return strings.Join(lines, "\n")
}

func TestBeginEndRestoreRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.write("file.txt", "original content\n", 0o644)
	e.write("script.sh", "#!/bin/sh\n", 0o755)
	e.write("gone.txt", "will be deleted\n", 0o600)
	e.write("dir/nested.txt", "nested\n", 0o644)
	e.write("old-name.txt", "renamed\n", 0o644)
	e.write(".gitignore", ".env\n", 0o644)
	e.write(".env", "SECRET=1\n", 0o600)
	e.write("swap.txt", "to be swapped for a symlink\n", 0o644)
	must(t, os.Symlink("file.txt", filepath.Join(e.root, "link")))
	outside := filepath.Join(e.base, "outside")
	must(t, os.MkdirAll(outside, 0o755))
	must(t, os.WriteFile(filepath.Join(outside, "victim"), []byte("outside\n"), 0o644))
	before := state(t, e.root)

	res, err := Begin(e.opts())
	must(t, err)
	if res.Manifest == nil || len(res.Manifest.Files) != 8 {
		t.Fatalf("baseline: %+v", res.Manifest)
	}
	s, err := session.Read(e.auditDir)
	must(t, err)
	if len(s.MerkleRoots) != 1 || s.SnapshotCount != 1 {
		t.Fatalf("after begin: roots %q count %d", s.MerkleRoots, s.SnapshotCount)
	}
	if _, err := os.Stat(filepath.Join(e.store, session.FileName)); err != nil {
		t.Fatal("begin did not write the store's session.json")
	}

	// The agent.
	e.write("file.txt", "modified content\n", 0o644)
	e.write("new.txt", "new file\n", 0o644)
	must(t, os.Remove(filepath.Join(e.root, "gone.txt")))
	must(t, os.Chmod(filepath.Join(e.root, "script.sh"), 0o700))
	must(t, os.Rename(filepath.Join(e.root, "old-name.txt"), filepath.Join(e.root, "dir", "new-name.txt")))
	must(t, os.Remove(filepath.Join(e.root, "swap.txt")))
	must(t, os.Symlink(filepath.Join(outside, "victim"), filepath.Join(e.root, "swap.txt")))
	must(t, os.Symlink(outside, filepath.Join(e.root, "escape")))
	must(t, os.MkdirAll(filepath.Join(e.root, "made/by/agent"), 0o755))
	e.write(".env", "SECRET=changed-by-agent\n", 0o600)

	res, err = End(e.opts())
	must(t, err)
	var got []string
	for _, c := range res.Changes {
		got = append(got, c.Type.Symbol()+" "+strings.TrimPrefix(c.Path, e.root+"/"))
	}
	want := []string{"+ dir/new-name.txt", "~ file.txt", "- gone.txt", "~ link", "+ new.txt", "- old-name.txt", "p script.sh", "~ swap.txt"}
	if !slices.Equal(got, want) {
		t.Fatalf("changes %q, want %q", got, want)
	}
	for _, dir := range []string{e.auditDir, e.store} {
		cs, err := ReadChanges(dir, 1)
		must(t, err)
		if len(cs) != len(want) {
			t.Fatalf("%s: %d changes", dir, len(cs))
		}
	}
	s, err = session.Read(e.store)
	must(t, err)
	if len(s.MerkleRoots) != 2 || s.SnapshotCount != 2 {
		t.Fatalf("after end: %q %d", s.MerkleRoots, s.SnapshotCount)
	}

	// A dry run plans and changes nothing.
	afterAgent := state(t, e.root)
	plan, _, err := Restore(RestoreOptions{Dir: e.store, DryRun: true, Getenv: e.getenv})
	must(t, err)
	if state(t, e.root) != afterAgent {
		t.Fatal("dry run changed the tree")
	}
	var lines []string
	for _, l := range plan.Lines() {
		lines = append(lines, strings.Replace(l, e.root+"/", "", 1))
	}
	wantPlan := []string{
		"  - dir/new-name.txt", "  - escape", "  ~ file.txt", "  + gone.txt", "  - made/", "  - made/by/", "  - made/by/agent/",
		"  - new.txt", "  + old-name.txt", "  p script.sh (permissions 0755)", "  ~ swap.txt",
	}
	if !slices.Equal(lines, wantPlan) {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(wantPlan, "\n"))
	}

	_, applied, err := Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	must(t, err)
	if len(applied.Done) != len(wantPlan) {
		t.Fatalf("applied %d of %d", len(applied.Done), len(wantPlan))
	}
	after := state(t, e.root)
	// .env was excluded: the agent's edit stays, and it was not deleted.
	before = strings.Replace(before, sha(("SECRET=1\n")), sha("SECRET=changed-by-agent\n"), 1)
	if after != before {
		t.Fatalf("restored tree differs:\n%s\n--- want ---\n%s", after, before)
	}
	if data, _ := os.ReadFile(filepath.Join(outside, "victim")); string(data) != "outside\n" {
		t.Fatal("the file outside the root was touched")
	}
	recs, err := ReadRestores(e.store)
	must(t, err)
	if len(recs) != 1 || recs[0].Source != "cli" || recs[0].Done != len(wantPlan) {
		t.Fatalf("restore records %+v", recs)
	}
	if recs, _ := ReadRestores(e.auditDir); len(recs) != 1 {
		t.Fatal("restore not recorded in the audit session")
	}

	// Restoring again has nothing to do.
	plan, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Force: true})
	must(t, err)
	if len(plan.Actions) != 0 {
		t.Fatalf("second restore plans %q", plan.Lines())
	}
}

func sha(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }

func TestRestoreRefusesFilesChangedAfterTheSession(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "one\n", 0o644)
	_, err := Begin(e.opts())
	must(t, err)
	e.write("a.txt", "two\n", 0o644)
	_, err = End(e.opts())
	must(t, err)
	e.write("a.txt", "three: the user's own edit after the session\n", 0o644)
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Paths) != 1 {
		t.Fatalf("want a conflict, got %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(e.root, "a.txt")); !strings.HasPrefix(string(data), "three") {
		t.Fatal("refused restore still wrote")
	}
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Force: true})
	must(t, err)
	if data, _ := os.ReadFile(filepath.Join(e.root, "a.txt")); string(data) != "one\n" {
		t.Fatalf("forced restore: %q", data)
	}
}

func TestCrashedSessionCanBeRestoredWithForce(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "one\n", 0o644)
	_, err := Begin(e.opts())
	must(t, err)
	e.write("a.txt", "two\n", 0o644) // and then the supervisor dies: no End
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	var ce *ConflictError
	if !errors.As(err, &ce) || !ce.NeverEnded {
		t.Fatalf("want a never-ended refusal, got %v", err)
	}
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Force: true})
	must(t, err)
	if data, _ := os.ReadFile(filepath.Join(e.root, "a.txt")); string(data) != "one\n" {
		t.Fatalf("got %q", data)
	}
}

func TestCorruptObjectIsNeverWritten(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "original\n", 0o644)
	res, err := Begin(e.opts())
	must(t, err)
	e.write("a.txt", "changed\n", 0o644)
	_, err = End(e.opts())
	must(t, err)
	store, _ := OpenStore(e.store)
	obj := store.ObjectPath(res.Manifest.Files[0].Hash)
	must(t, os.WriteFile(obj, []byte("Original\n"), 0o600))
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("want a corrupt-object error, got %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(e.root, "a.txt")); string(data) != "changed\n" {
		t.Fatalf("file was replaced: %q", data)
	}
}

func TestRestoreNeverFollowsASymlinkedDirectory(t *testing.T) {
	e := newEnv(t)
	e.write("sub/a.txt", "a\n", 0o644)
	_, err := Begin(e.opts())
	must(t, err)
	outside := filepath.Join(e.base, "outside")
	must(t, os.MkdirAll(outside, 0o755))
	must(t, os.RemoveAll(filepath.Join(e.root, "sub")))
	must(t, os.Symlink(outside, filepath.Join(e.root, "sub")))
	_, err = End(e.opts())
	must(t, err)
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	must(t, err)
	if fi, err := os.Lstat(filepath.Join(e.root, "sub")); err != nil || !fi.IsDir() {
		t.Fatal("sub is not a directory again")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("restore wrote through the symlink: %v", ents)
	}
}

func TestEndBudgetStillLeavesSessionJSON(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "a", 0o644)
	_, err := Begin(e.opts())
	must(t, err)
	for i := range 5 {
		e.write(fmt.Sprintf("n%d", i), "x", 0o644)
	}
	o := e.opts()
	o.Budget = fstree.Budget{MaxEntries: 3}
	_, err = End(o)
	var be *BudgetError
	if !errors.As(err, &be) {
		t.Fatalf("want a budget error, got %v", err)
	}
	s, err := session.Read(e.store)
	must(t, err)
	if len(s.MerkleRoots) != 1 || s.SnapshotCount != 1 {
		t.Fatalf("store session.json: %q %d", s.MerkleRoots, s.SnapshotCount)
	}
}

func TestIntegrityOnlyWritesNoObjects(t *testing.T) {
	e := newEnv(t)
	e.write("a.txt", "a", 0o644)
	o := e.opts()
	o.StoreDir = ""
	_, err := Begin(o)
	must(t, err)
	e.write("b.txt", "b", 0o644)
	res, err := End(o)
	must(t, err)
	if len(res.Changes) != 1 || res.Changes[0].Type != Created {
		t.Fatalf("changes %+v", res.Changes)
	}
	s, err := session.Read(e.auditDir)
	must(t, err)
	if len(s.MerkleRoots) != 2 || s.SnapshotCount != 0 || s.MerkleRoots[0] == s.MerkleRoots[1] {
		t.Fatalf("session %q %d", s.MerkleRoots, s.SnapshotCount)
	}
	if _, err := os.Stat(filepath.Join(e.auditDir, objectsDir)); !os.IsNotExist(err) {
		t.Fatal("integrity-only session stored objects")
	}
	if _, err := os.Stat(e.store); !os.IsNotExist(err) {
		t.Fatal("integrity-only session made a rollback directory")
	}
}

func TestSpacePreflight(t *testing.T) {
	e := newEnv(t)
	e.write("big", strings.Repeat("x", 1<<20), 0o644)
	o := e.opts()
	o.FreeSpace = func(string) (uint64, error) { return 2 << 20, nil }
	_, err := Begin(o)
	var se *SpaceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "not enough free space") {
		t.Fatalf("want a space error, got %v", err)
	}
}

func TestFileRootRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.write("only.txt", "before\n", 0o640)
	f := filepath.Join(e.root, "only.txt")
	s, err := session.Read(e.auditDir)
	must(t, err)
	s.TrackedPaths = []string{f}
	must(t, session.Write(e.auditDir, s))
	_, err = Begin(e.opts())
	must(t, err)
	must(t, os.WriteFile(f, []byte("after\n"), 0o600))
	must(t, os.Chmod(f, 0o600))
	e.write("sibling.txt", "not tracked\n", 0o644)
	_, err = End(e.opts())
	must(t, err)
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	must(t, err)
	data, _ := os.ReadFile(f)
	fi, _ := os.Stat(f)
	if string(data) != "before\n" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("got %q %v", data, fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(e.root, "sibling.txt")); err != nil {
		t.Fatal("a file beside the tracked file was touched")
	}
}

func TestRestoreTypeSwapsAndAMissingRoot(t *testing.T) {
	e := newEnv(t)
	e.write("was-file", "file\n", 0o644)
	e.write("was-dir/inner", "inner\n", 0o644)
	before := state(t, e.root)
	_, err := Begin(e.opts())
	must(t, err)
	must(t, os.Remove(filepath.Join(e.root, "was-file")))
	e.write("was-file/child", "now a directory\n", 0o644)
	must(t, os.RemoveAll(filepath.Join(e.root, "was-dir")))
	e.write("was-dir", "now a file\n", 0o644)
	_, err = End(e.opts())
	must(t, err)
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	must(t, err)
	if got := state(t, e.root); got != before {
		t.Fatalf("after type swaps:\n%s\nwant\n%s", got, before)
	}

	// The whole root removed by the session comes back.
	must(t, os.RemoveAll(e.root))
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Force: true})
	must(t, err)
	if got := state(t, e.root); got != before {
		t.Fatalf("after a removed root:\n%s\nwant\n%s", got, before)
	}
}

func TestFinishPromptRestores(t *testing.T) {
	for _, answer := range []string{"n\n", "YES\n"} {
		e := newEnv(t)
		e.write("a.txt", "one\n", 0o644)
		_, err := Begin(e.opts())
		must(t, err)
		e.write("a.txt", "two\n", 0o644)
		_, err = End(e.opts())
		must(t, err)
		var out strings.Builder
		err = Finish(FinishOptions{SessionDir: e.auditDir, StoreDir: e.store, Interactive: true,
			Stdin: strings.NewReader(answer), Stderr: &out, Getenv: e.getenv,
			Summarize: func(w io.Writer, cs []Change, list bool) { fmt.Fprintf(w, "summary of %d, list %v\n", len(cs), list) }})
		must(t, err)
		data, _ := os.ReadFile(filepath.Join(e.root, "a.txt"))
		recs, _ := ReadRestores(e.store)
		if answer == "n\n" {
			if string(data) != "two\n" || len(recs) != 0 || !strings.Contains(out.String(), "Exiting without restoring") {
				t.Fatalf("declined prompt: %q %d\n%s", data, len(recs), out.String())
			}
			continue
		}
		if string(data) != "one\n" || len(recs) != 1 || recs[0].Source != "prompt" {
			t.Fatalf("accepted prompt: %q %+v\n%s", data, recs, out.String())
		}
		for _, want := range []string{"summary of 1, list true", "Restore to initial state? [y/N]: ", "Restored 1 change(s)"} {
			if !strings.Contains(out.String(), want) {
				t.Fatalf("prompt output lacks %q:\n%s", want, out.String())
			}
		}
	}
}

func TestTamperedManifestIsRefused(t *testing.T) {
	e := newEnv(t)
	e.write(".gitignore", ".env\n", 0o644)
	e.write(".env", "SECRET=1\n", 0o600)
	e.write("a.txt", "a\n", 0o644)
	_, err := Begin(e.opts())
	must(t, err)
	e.write("a.txt", "b\n", 0o644)
	_, err = End(e.opts())
	must(t, err)
	// An agent able to write the store un-ignores .env in the baseline,
	// so that a restore would delete it. The merkle root is unchanged.
	p := ManifestPath(e.store, 0)
	data, err := os.ReadFile(p)
	must(t, err)
	tampered := strings.Replace(string(data), `"content": ".env\n"`, `"content": ""`, 1)
	if tampered == string(data) {
		t.Fatal("test did not tamper")
	}
	must(t, os.WriteFile(p, []byte(tampered), 0o600))
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv, Force: true})
	if err == nil || !strings.Contains(err.Error(), "modified after it was recorded") {
		t.Fatalf("want a refusal, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.root, ".env")); err != nil {
		t.Fatal(".env is gone")
	}
	rep, err := Verify(e.store, VerifyOptions{Getenv: e.getenv})
	must(t, err)
	if rep.OK() {
		t.Fatalf("verify passed a tampered manifest:\n%s", strings.Join(rep.Lines(), "\n"))
	}
}
