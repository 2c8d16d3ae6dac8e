package snapshot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/session"
)

// next starts another session tracking the same root in the same
// rollback root.
func (e *env) next(id string) *env {
	n := *e
	n.auditDir = filepath.Join(filepath.Dir(e.auditDir), id)
	n.store = filepath.Join(filepath.Dir(e.store), id)
	must(e.t, os.MkdirAll(n.auditDir, 0o700))
	must(e.t, session.Write(n.auditDir, &session.Session{
		SessionID: id, Started: event.FormatTime(time.Now()), Command: []string{"agent"},
		TrackedPaths: []string{e.root}, MerkleRoots: []string{},
	}))
	return &n
}

func countObjects(t *testing.T, e *env) int {
	t.Helper()
	store, err := OpenStore(e.store)
	must(t, err)
	n := 0
	must(t, store.each(func(_ string, _ [32]byte, valid bool, _ os.FileInfo) {
		if valid {
			n++
		}
	}))
	return n
}

func TestSessionsShareTheObjectStore(t *testing.T) {
	e := newEnv(t)
	for i := range 20 {
		e.write(filepath.Join("d", string(rune('a'+i))+".txt"), strings.Repeat("x", i+1), 0o644)
	}
	later := func() time.Time { return time.Now().Add(2 * time.Second) } // past the racy window
	o := e.opts()
	o.Now = later
	res, err := Begin(o)
	must(t, err)
	if res.Tree.Hashed != 20 {
		t.Fatalf("first baseline read %d files", res.Tree.Hashed)
	}
	e.write("d/a.txt", "changed", 0o644)
	_, err = End(o)
	must(t, err)
	if n := countObjects(t, e); n != 21 {
		t.Fatalf("%d objects after one session", n)
	}
	if _, err := os.Lstat(filepath.Join(e.store, objectsDir)); !os.IsNotExist(err) {
		t.Fatal("the session has an object store of its own")
	}

	// The next session on the same tree reads and stores only what
	// changed since the last one.
	e2 := e.next("0123456789abcde2")
	e.write("d/b.txt", "changed too", 0o644)
	o2 := e2.opts()
	o2.Now = later
	res, err = Begin(o2)
	must(t, err)
	if res.Tree.Hashed != 1 {
		t.Fatalf("second baseline read %d files, want 1", res.Tree.Hashed)
	}
	if n := countObjects(t, e); n != 22 {
		t.Fatalf("%d objects after the second baseline, want 22", n)
	}
	_, err = End(o2)
	must(t, err)
	for _, x := range []*env{e, e2} {
		rep, err := Verify(x.store, VerifyOptions{Getenv: x.getenv})
		must(t, err)
		if !rep.OK() {
			t.Fatalf("verify:\n%s", strings.Join(rep.Lines(), "\n"))
		}
	}

	// Removing the first session frees the objects only it used: the
	// first contents of d/a.txt and d/b.txt, and nothing the second names.
	must(t, os.RemoveAll(e.store))
	swept, err := sweepObjects(filepath.Dir(e.store), nil, false)
	must(t, err)
	if swept.Objects != 2 || swept.Bytes != 3 {
		t.Fatalf("swept %+v, want 2 objects of 3 bytes", swept)
	}
	_, _, err = Restore(RestoreOptions{Dir: e2.store, Getenv: e2.getenv})
	must(t, err)
	if data, _ := os.ReadFile(filepath.Join(e.root, "d/b.txt")); string(data) != "changed too" {
		t.Fatalf("restore after sweep: %q", data)
	}
}

func TestSweepKeepsEverythingWhenAManifestIsUnreadable(t *testing.T) {
	e := ended(t)
	e2 := e.next("0123456789abcde2")
	_, err := Begin(e2.opts())
	must(t, err)
	must(t, os.WriteFile(ManifestPath(e2.store, 0), []byte("{"), 0o600))
	must(t, os.RemoveAll(e.store))
	before := countObjects(t, e2)
	if _, err := sweepObjects(filepath.Dir(e.store), nil, false); err == nil || !strings.Contains(err.Error(), "no object was removed") {
		t.Fatalf("want a refusal, got %v", err)
	}
	if countObjects(t, e2) != before {
		t.Fatal("objects were removed")
	}
}

func TestSweepWaitsForASessionAddingObjects(t *testing.T) {
	e := ended(t)
	store, err := OpenStore(e.store)
	must(t, err)
	unlock, err := store.lock(false)
	must(t, err)
	done := make(chan error)
	go func() {
		_, err := sweepObjects(filepath.Dir(e.store), nil, false)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("sweep ran while a session held the store: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	must(t, <-done)
}

func TestSessionWithItsOwnObjectsStillWorks(t *testing.T) {
	// A store written before the shared one (or by upstream): objects/ in
	// the session directory.
	e := ended(t)
	shared := filepath.Join(filepath.Dir(e.store), sharedObjectsDir)
	must(t, os.Remove(filepath.Join(shared, lockFileName)))
	must(t, os.Rename(shared, filepath.Join(e.store, objectsDir)))
	rep, err := Verify(e.store, VerifyOptions{Getenv: e.getenv})
	must(t, err)
	if !rep.OK() {
		t.Fatalf("verify:\n%s", strings.Join(rep.Lines(), "\n"))
	}
	_, _, err = Restore(RestoreOptions{Dir: e.store, Getenv: e.getenv})
	must(t, err)
	if data, _ := os.ReadFile(filepath.Join(e.root, "a.txt")); string(data) != "one\n" {
		t.Fatalf("got %q", data)
	}
	if _, err := os.Lstat(shared); !os.IsNotExist(err) {
		t.Fatal("reading a session with its own objects made a shared store")
	}
}
