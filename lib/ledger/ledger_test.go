package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/session"
)

func testSession(id string) *session.Session {
	ended := "2026-04-21T20:00:01+02:00"
	code := int32(0)
	return &session.Session{
		SessionID:    id,
		Started:      "2026-04-21T20:00:00+02:00",
		Ended:        &ended,
		Command:      []string{"make", "test"},
		TrackedPaths: []string{"/tmp/work"},
		ExitCode:     &code,
		MerkleRoots:  []string{},
	}
}

func appendN(t *testing.T, root string, n int) []*session.Session {
	t.Helper()
	var out []*session.Session
	for i := range n {
		s := testSession(fmt.Sprintf("s%02d", i))
		rec, err := Append(root, s, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Sequence != uint64(i) {
			t.Fatalf("sequence %d, want %d", rec.Sequence, i)
		}
		out = append(out, s)
	}
	return out
}

func mustVerify(t *testing.T, root string, s *session.Session) *Result {
	t.Helper()
	res, err := Verify(root, s)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestAppendAndVerify(t *testing.T) {
	root := filepath.Join(t.TempDir(), "audit")
	ss := appendN(t, root, 3)
	for _, p := range []struct {
		path string
		mode os.FileMode
	}{{root, 0o700 | os.ModeDir}, {filepath.Join(root, FileName), 0o600}, {filepath.Join(root, lockName), 0o600}} {
		st, err := os.Stat(p.path)
		if err != nil || st.Mode() != p.mode {
			t.Fatalf("%s: mode %v, want %v (%v)", p.path, st.Mode(), p.mode, err)
		}
	}
	res := mustVerify(t, root, ss[1])
	if !res.OK() || res.EntryCount != 3 || !res.SessionFound || res.SessionSequence != 1 {
		t.Fatalf("%+v", res)
	}
	data, _ := os.ReadFile(filepath.Join(root, FileName))
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	last, _ := ParseRecord([]byte(lines[2]))
	if *res.LedgerHead != last.ChainHash {
		t.Fatal("ledger_head is not the last chain hash")
	}

	// The session as it is now no longer matches what was committed.
	changed := cloneSession(ss[1])
	changed.AuditEventCount = 99
	res = mustVerify(t, root, changed)
	if res.OK() || !res.SessionFound || res.SessionDigestMatches || !res.LedgerChainVerified {
		t.Fatalf("%+v", res)
	}
	res = mustVerify(t, root, testSession("absent"))
	if res.OK() || res.SessionFound {
		t.Fatalf("%+v", res)
	}
	res = mustVerify(t, root, nil)
	if !res.OK() || res.SessionDigest != nil {
		t.Fatalf("%+v", res)
	}
}

func TestVerifyMissingLedger(t *testing.T) {
	for _, root := range []string{filepath.Join(t.TempDir(), "none"), t.TempDir()} {
		s, _ := goldenSession(t)
		res := mustVerify(t, root, s)
		got := string(canon.Compact(res.Value()))
		want := `{"hash_algorithm":"sha256","entry_count":0,"session_digest":"3a1ed53d426d6ea2544cec6cf6b95ccdc31fda4570d86931239ee0f7d7d39012","session_found":false,"session_digest_matches":false,"ledger_chain_verified":false,"ledger_head":null}`
		if got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}

func TestVerifyFindsEveryKindOfDamage(t *testing.T) {
	root := t.TempDir()
	appendN(t, root, 4)
	path := filepath.Join(root, FileName)
	orig, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(orig), "\n")
	edit := func(f func(ls []string) []string) {
		ls := f(append([]string(nil), lines...))
		if err := os.WriteFile(path, []byte(strings.Join(ls, "")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		edit   func(ls []string) []string
		line   int
		reason string
	}{
		"deleted record":  {func(ls []string) []string { return append(ls[:1], ls[2:]...) }, 2, "sequence mismatch: expected 1, got 2"},
		"swapped records": {func(ls []string) []string { ls[1], ls[2] = ls[2], ls[1]; return ls }, 2, "sequence mismatch"},
		"edited digest": {func(ls []string) []string {
			i := strings.Index(ls[2], `"session_digest":"`) + len(`"session_digest":"`)
			c := "0"
			if ls[2][i] == '0' {
				c = "1"
			}
			ls[2] = ls[2][:i] + c + ls[2][i+1:]
			return ls
		}, 3, "chain hash mismatch"},
		"not json":       {func(ls []string) []string { ls[3] = "{oops\n"; return ls }, 4, "cannot parse"},
		"truncated":      {func(ls []string) []string { ls[3] = ls[3][:40]; return ls }, 4, "truncated"},
		"blank then bad": {func(ls []string) []string { return append(ls[:1], "\n", "  \n", "x\n") }, 4, "cannot parse"},
		"renumbered tail": {func(ls []string) []string {
			ls[3] = strings.Replace(ls[3], `"sequence":3`, `"sequence":4`, 1)
			return ls
		}, 4, "sequence"},
	} {
		edit(tc.edit)
		_, err := Verify(root, nil)
		var de *damagedError
		if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) || de.Line != tc.line || !strings.Contains(de.Reason, tc.reason) {
			t.Errorf("%s: %v, want line %d: %s", name, err, tc.line, tc.reason)
		}
	}
}

func TestDamagedTailThenRepair(t *testing.T) {
	root := t.TempDir()
	ss := appendN(t, root, 5)
	path := filepath.Join(root, FileName)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"sequence":5,"prev_ch`) // a crash mid-line
	f.Close()
	before, _ := os.ReadFile(path)

	s := testSession("after-crash")
	_, err := Append(root, s, time.Second)
	var de *damagedError
	if !errors.As(err, &de) || de.Line != 6 || !strings.Contains(err.Error(), "nono audit ledger repair") {
		t.Fatalf("append to a damaged ledger: %v", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused append changed the ledger")
	}

	plan, err := RepairWith(root, RepairOptions{DryRun: true, Wait: time.Second})
	if err != nil || !plan.Damaged || plan.MovedTo != "" || plan.KeptEntries != 5 {
		t.Fatalf("plan: %+v %v", plan, err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a dry run changed the ledger")
	}

	rep, err := repair(root)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Damaged || rep.Line != 6 || rep.KeptEntries != 5 || rep.MovedLines != 1 || rep.MovedBytes != 22 {
		t.Fatalf("%+v", rep)
	}
	moved, _ := os.ReadFile(rep.MovedTo)
	if string(moved) != `{"sequence":5,"prev_ch` {
		t.Fatalf("moved part %q", moved)
	}
	kept, _ := os.ReadFile(path)
	if !bytes.Equal(kept, before[:len(before)-22]) {
		t.Fatal("the kept prefix differs from the good records")
	}
	for _, old := range ss {
		if res := mustVerify(t, root, old); !res.OK() {
			t.Fatalf("%s lost: %+v", old.SessionID, res)
		}
	}
	rec, err := Append(root, s, time.Second)
	if err != nil || rec.Sequence != 5 {
		t.Fatalf("append after repair: %+v %v", rec, err)
	}
	if rep, err := repair(root); err != nil || rep.Damaged {
		t.Fatalf("second repair: %+v %v", rep, err)
	}
}

func TestRepairMidChainDamage(t *testing.T) {
	root := t.TempDir()
	ss := appendN(t, root, 6)
	path := filepath.Join(root, FileName)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = strings.Replace(lines[2], "2026-04-21", "2026-04-22", 1) // line 3
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600)

	rep, err := repair(root)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Line != 3 || rep.KeptEntries != 2 || rep.MovedLines != 4 || strings.Join(rep.MovedSessions, ",") != "s02,s03,s04,s05" {
		t.Fatalf("%+v", rep)
	}
	if got := string(canon.Compact(rep.Value())); !strings.Contains(got, `"moved_sessions":["s02","s03","s04","s05"]`) {
		t.Fatal(got)
	}
	moved, _ := os.ReadFile(rep.MovedTo)
	if string(moved) != strings.Join(lines[2:], "") {
		t.Fatal("moved part differs")
	}
	// Deliberately re-adding a moved session works; it gets a new sequence.
	rec, err := Append(root, ss[4], time.Second)
	if err != nil || rec.Sequence != 2 {
		t.Fatalf("%+v %v", rec, err)
	}
	if res := mustVerify(t, root, ss[4]); !res.OK() || res.EntryCount != 3 {
		t.Fatalf("%+v", res)
	}
	// A second repair the same second gets its own file.
	os.WriteFile(path, []byte("junk\n"), 0o600)
	rep2, err := repair(root)
	if err != nil || rep2.MovedTo == rep.MovedTo || rep2.KeptEntries != 0 {
		t.Fatalf("%+v %v", rep2, err)
	}
	if st, err := os.Stat(rep2.MovedTo); err != nil || st.Mode() != 0o600 {
		t.Fatalf("%v %v", st, err)
	}
}

func TestDuplicateSession(t *testing.T) {
	root := t.TempDir()
	s := testSession("dup")
	first, err := Append(root, s, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Append(root, s, time.Second)
	if err != nil || *again != *first {
		t.Fatalf("idempotent append: %+v %v", again, err)
	}
	changed := cloneSession(s)
	code := int32(1)
	changed.ExitCode = &code
	_, err = Append(root, changed, time.Second)
	var dup *duplicateError
	if !errors.As(err, &dup) || dup.Sequence != 0 {
		t.Fatalf("changed session: %v", err)
	}
	if res := mustVerify(t, root, s); !res.OK() || res.EntryCount != 1 {
		t.Fatalf("%+v", res)
	}
}

// Upstream writes a record and its newline with two calls; a crash between
// them leaves a whole record without a newline, which both sides accept.
func TestUnterminatedLastRecord(t *testing.T) {
	root := t.TempDir()
	appendN(t, root, 2)
	path := filepath.Join(root, FileName)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.TrimSuffix(data, []byte("\n")), 0o600)
	if res := mustVerify(t, root, nil); !res.OK() || res.EntryCount != 2 {
		t.Fatalf("%+v", res)
	}
	if rec, err := Append(root, testSession("next"), time.Second); err != nil || rec.Sequence != 2 {
		t.Fatalf("%+v %v", rec, err)
	}
	if res := mustVerify(t, root, nil); !res.OK() || res.EntryCount != 3 {
		t.Fatalf("%+v", res)
	}
}

func TestLastRecordLongWindow(t *testing.T) {
	root := t.TempDir()
	appendN(t, root, 1)
	path := filepath.Join(root, FileName)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(strings.Repeat("\n", 10000)) // blank lines are skipped
	f.Close()
	if rec, err := Append(root, testSession("after-blanks"), time.Second); err != nil || rec.Sequence != 1 {
		t.Fatalf("%+v %v", rec, err)
	}
	if res := mustVerify(t, root, nil); !res.OK() || res.EntryCount != 2 {
		t.Fatalf("%+v", res)
	}
}

func TestLockTimeout(t *testing.T) {
	root := t.TempDir()
	lock, err := os.OpenFile(filepath.Join(root, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	_, err = Append(root, testSession("waiting"), 50*time.Millisecond)
	var te *lockTimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), filepath.Join(root, lockName)) || !strings.Contains(err.Error(), "50ms") {
		t.Fatalf("%v", err)
	}
	if _, err := RepairWith(root, RepairOptions{Wait: 10 * time.Millisecond}); !errors.As(err, &te) {
		t.Fatalf("repair: %v", err)
	}
	unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if _, err := Append(root, testSession("waiting"), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
}

func checkSixteen(t *testing.T, root string) {
	t.Helper()
	res := mustVerify(t, root, nil)
	if !res.OK() || res.EntryCount != 16 {
		t.Fatalf("%+v", res)
	}
	for i := range 16 {
		if res := mustVerify(t, root, testSession(fmt.Sprintf("c%02d", i))); !res.OK() {
			t.Fatalf("c%02d: %+v", i, res)
		}
	}
}

func TestConcurrentAppendsGoroutines(t *testing.T) {
	root := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			_, err := Append(root, testSession(fmt.Sprintf("c%02d", i)), 30*time.Second)
			errs <- err
		})
	}
	// A verifier running meanwhile never sees a half-written record.
	wg.Go(func() {
		for range 20 {
			if _, err := Verify(root, nil); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkSixteen(t, root)
}

const helperEnv = "NONO_LEDGER_TEST_APPEND"

func TestConcurrentAppendsProcesses(t *testing.T) {
	if spec := os.Getenv(helperEnv); spec != "" {
		root, id, _ := strings.Cut(spec, "|")
		if _, err := Append(root, testSession(id), 30*time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	root := t.TempDir()
	var cmds []*exec.Cmd
	for i := range 16 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentAppendsProcesses$")
		cmd.Env = append(os.Environ(), helperEnv+"="+root+"|c"+fmt.Sprintf("%02d", i))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v", i, err)
		}
	}
	checkSixteen(t, root)
	data, _ := os.ReadFile(filepath.Join(root, FileName))
	if n := bytes.Count(data, []byte("\n")); n != 16 {
		t.Fatalf("%d lines", n)
	}
}
