package checkpoint

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tlog "github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

func testKey(t testing.TB, name string) *Key {
	t.Helper()
	skey, vkey, err := GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKey(skey + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if k.VKey != vkey || k.Name() != name {
		t.Fatalf("derived verifier key %q, want %q", k.VKey, vkey)
	}
	return k
}

func testSession(id string) *session.Session {
	ended := "2026-04-21T20:00:01+02:00"
	code := int32(0)
	return &session.Session{
		SessionID: id, Started: "2026-04-21T20:00:00+02:00", Ended: &ended,
		Command: []string{"make", "test"}, TrackedPaths: []string{"/tmp/work"},
		ExitCode: &code, MerkleRoots: []string{},
	}
}

func sessionID(i int) string { return fmt.Sprintf("s%03d", i) }

// appendSessions adds sessions from..to-1 to the ledger of root.
func appendSessions(t testing.TB, root string, from, to int, skip ...int) {
	t.Helper()
next:
	for i := from; i < to; i++ {
		for _, s := range skip {
			if s == i {
				continue next
			}
		}
		if _, err := ledger.Append(root, testSession(sessionID(i)), time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// chainHashes are the leaves of the ledger of root, read independently.
func chainHashes(t testing.TB, root string) []merkle.Hash {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var out []merkle.Hash
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		r, err := ledger.ParseRecord([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r.ChainHash)
	}
	return out
}

func update(t testing.TB, root string, k *Key, opts Options) *Result {
	t.Helper()
	res, err := Update(root, k, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Our checkpoints are C2SP checkpoints: the ecosystem's own parsers read
// them and verify their signature.
func TestNoteFormatWithLibraryVerifiers(t *testing.T) {
	k := testKey(t, "nono-ledger/build-7")
	cp := &Checkpoint{Origin: k.Name(), Size: 42, Root: merkle.Hash{1, 2, 3}}
	msg, err := cp.Sign(k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	want := "nono-ledger/build-7\n42\n" + base64.StdEncoding.EncodeToString(cp.Root[:]) + "\n\n— nono-ledger/build-7 "
	if !strings.HasPrefix(string(msg), want) || !strings.HasSuffix(string(msg), "\n") || strings.Count(string(msg), "\n") != 5 {
		t.Fatalf("note:\n%s", msg)
	}
	v, err := note.NewVerifier(k.VKey)
	if err != nil {
		t.Fatal(err)
	}
	tc, _, _, err := tlog.ParseCheckpoint(msg, "nono-ledger/build-7", v)
	if err != nil {
		t.Fatal(err)
	}
	if tc.Size != 42 || !bytes.Equal(tc.Hash, cp.Root[:]) {
		t.Fatalf("%+v", tc)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Fatal(err)
	}
	got, _, err := Open(msg, v)
	if err != nil || *got != *cp {
		t.Fatalf("%+v %v", got, err)
	}
	// A key named otherwise cannot sign for this origin.
	other := testKey(t, "nono-ledger/elsewhere")
	if _, err := cp.Sign(other.Signer); err == nil {
		t.Fatal("signed a checkpoint of another origin")
	}
	if _, _, err := Open(msg, other.Verifier); !errors.Is(err, ErrInvalid) {
		t.Fatalf("another key: %v", err)
	}
}

func TestOpenRefuses(t *testing.T) {
	k := testKey(t, "nono-ledger/h")
	cp := &Checkpoint{Origin: k.Name(), Size: 7, Root: merkle.Hash{9}}
	msg, _ := cp.Sign(k.Signer)
	sigLine := string(msg[bytes.LastIndex(msg, []byte("\n\n"))+2:])
	b64 := strings.Fields(sigLine)[2]
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	stray := alphabet[strings.IndexByte(alphabet, b64[len(b64)-2])^1] // a padding bit set
	for _, c := range []struct {
		name    string
		msg     string
		invalid bool
	}{
		{"size changed", strings.Replace(string(msg), "\n7\n", "\n8\n", 1), true},
		{"origin changed", strings.Replace(string(msg), "nono-ledger/h\n7", "nono-ledger/g\n7", 1), true},
		{"no signature", "nono-ledger/h\n7\n" + base64.StdEncoding.EncodeToString(cp.Root[:]) + "\n", false},
		{"garbage", "not a note", false},
		{"leading zero", strings.Replace(string(msg), "\n7\n", "\n07\n", 1), true},
		// The same signature bytes, but stray bits in base64's padding.
		{"non-canonical base64", strings.Replace(string(msg), b64, b64[:len(b64)-2]+string(stray)+"=", 1), false},
	} {
		_, _, err := Open([]byte(c.msg), k.Verifier)
		if err == nil || errors.Is(err, ErrInvalid) != c.invalid {
			t.Errorf("%s: %v (invalid %v)", c.name, err, errors.Is(err, ErrInvalid))
		}
	}
}

func TestParseBody(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{"o\n1\n" + root + "\n", true},
		{"o\n1\n" + root + "\next one\next two\n", true},
		{"o\n1\n" + root + "\n\n", false},
		{"o\n1\n" + root, false},
		{"o\n+1\n" + root + "\n", false},
		{"o\n01\n" + root + "\n", false},
		{"o\n1\n" + root[:len(root)-1] + "\n", false},
		{"o\n1\n" + base64.StdEncoding.EncodeToString(make([]byte, 31)) + "\n", false},
		{"\n1\n" + root + "\n", false},
	} {
		if _, err := ParseBody([]byte(c.text)); (err == nil) != c.ok {
			t.Errorf("%q: %v", c.text, err)
		}
	}
}

func TestKeys(t *testing.T) {
	if _, err := ParseKey("PRIVATE+KEY+x"); err == nil {
		t.Fatal("accepted a broken key")
	}
	if _, _, err := GenerateKey("has space"); err == nil {
		t.Fatal("accepted a name with a space")
	}
	for _, n := range []string{"", "a/b", "a b", strings.Repeat("x", 201)} {
		if _, err := LedgerOrigin(n); err == nil {
			t.Errorf("LedgerOrigin(%q) accepted", n)
		}
	}
	if o, err := LedgerOrigin("build-7.example"); err != nil || o != "nono-ledger/build-7.example" {
		t.Fatal(o, err)
	}
	k := testKey(t, "nono-ledger/x")
	dir := t.TempDir()
	path := filepath.Join(dir, "v.pub")
	os.WriteFile(path, []byte(k.VKey+"\n"), 0o600)
	for _, arg := range []string{k.VKey, path} {
		v, err := LoadVerifier(arg)
		if err != nil || v.Name() != "nono-ledger/x" || v.KeyHash() != k.Verifier.KeyHash() {
			t.Fatalf("%s: %v", arg, err)
		}
	}
	if _, err := LoadVerifier(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("loaded a missing file")
	}
	os.Setenv("NONO_TEST_NOTE_KEY", "")
	if _, err := LoadKey("env://NONO_TEST_NOTE_KEY", func(string) string { return "" }); err == nil {
		t.Fatal("loaded an empty variable")
	}
}

func TestConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	c, err := LoadConfig(path, env(nil))
	if err != nil || c.KeyRef != "" {
		t.Fatalf("missing file: %+v %v", c, err)
	}
	os.WriteFile(path, []byte("[redaction]\nrules = \"default\"\n[checkpoint]\nkey = \"file:///k\"\ncolour = 1\n"), 0o600)
	c, err = LoadConfig(path, env(nil))
	if err != nil || c.KeyRef != "file:///k" || c.From != path || len(c.Warnings) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = LoadConfig(path, env(map[string]string{EnvKey: "env://K"}))
	if err != nil || c.KeyRef != "env://K" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"[checkpoint]\nkey = 1\n", "checkpoint = 3\n", "[checkpoint\n"} {
		os.WriteFile(path, []byte(bad), 0o600)
		if _, err := LoadConfig(path, env(nil)); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// Update checkpoints the ledger's tree, reads only what is new when it
// can, and writes nothing when the ledger has not grown.
func TestUpdate(t *testing.T) {
	root := t.TempDir()
	k := testKey(t, "nono-ledger/h")
	if _, err := Update(root, k, Options{}); err == nil {
		t.Fatal("checkpointed a missing ledger")
	}
	appendSessions(t, root, 0, 5)
	res := update(t, root, k, Options{})
	want, _ := merkle.Root(chainHashes(t, root))
	if res.Extended || res.Checkpoint.Size != 5 || res.Checkpoint.Root != want || res.Previous != nil {
		t.Fatalf("%+v", res)
	}
	onDisk, _ := os.ReadFile(filepath.Join(root, FileName))
	if !bytes.Equal(onDisk, res.Note) {
		t.Fatal("the note on disk differs")
	}
	if st, _ := os.Stat(filepath.Join(root, FileName)); st.Mode().Perm() != 0o600 {
		t.Fatal(st.Mode())
	}

	again := update(t, root, k, Options{})
	if !again.Unchanged || !again.Extended || !bytes.Equal(again.Note, res.Note) {
		t.Fatalf("%+v", again)
	}
	appendSessions(t, root, 5, 9)
	next := update(t, root, k, Options{})
	want, _ = merkle.Root(chainHashes(t, root))
	if !next.Extended || next.Checkpoint.Size != 9 || next.Checkpoint.Root != want || *next.Previous != *res.Checkpoint {
		t.Fatalf("%+v", next)
	}
	full := update(t, root, k, Options{Full: true})
	if full.Extended || *full.Checkpoint != *next.Checkpoint {
		t.Fatalf("%+v", full)
	}

	// A state file that no longer fits is ignored, not trusted.
	state := filepath.Join(root, StateName)
	for _, bad := range []string{"", "{}", `{"size":9,"head":"00","offset":1,"line":1,"subtrees":[]}`} {
		os.WriteFile(state, []byte(bad), 0o600)
		appendSessions(t, root, 9+len(bad)%7, 10+len(bad)%7)
		r := update(t, root, k, Options{})
		want, _ = merkle.Root(chainHashes(t, root))
		if r.Extended || r.Checkpoint.Root != want {
			t.Fatalf("state %q: %+v", bad, r)
		}
	}
	// So is one taken from another ledger of the same length.
	other := t.TempDir()
	appendSessions(t, other, 100, 100+int(full.Checkpoint.Size))
	update(t, other, k, Options{})
	data, _ := os.ReadFile(filepath.Join(other, StateName))
	os.WriteFile(state, data, 0o600)
	if r := update(t, root, k, Options{}); r.Extended {
		t.Fatalf("%+v", r)
	}
}

// The previous checkpoint, signed by another key, is replaced with a
// warning; a damaged ledger is reported, not checkpointed.
func TestUpdateReplacesForeignAndRefusesDamage(t *testing.T) {
	root := t.TempDir()
	appendSessions(t, root, 0, 3)
	update(t, root, testKey(t, "nono-ledger/old"), Options{})
	res := update(t, root, testKey(t, "nono-ledger/new"), Options{})
	if res.Previous != nil || len(res.Warnings) != 1 || res.Checkpoint.Origin != "nono-ledger/new" {
		t.Fatalf("%+v", res)
	}
	f, _ := os.OpenFile(filepath.Join(root, ledger.FileName), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{\"sequence\":3}\n")
	f.Close()
	_, err := Update(root, testKey(t, "nono-ledger/new"), Options{})
	if !errors.Is(err, ledger.ErrDamaged) {
		t.Fatalf("%v", err)
	}
}

// rewrite replaces the ledger of root with one that leaves out session
// skip and recomputes the chain: it verifies on its own.
func rewrite(t testing.TB, root string, n, skip int) {
	t.Helper()
	forged := t.TempDir()
	appendSessions(t, forged, 0, n, skip)
	data, err := os.ReadFile(filepath.Join(forged, ledger.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, ledger.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if res, err := ledger.Verify(root, nil); err != nil || !res.OK() {
		t.Fatalf("the forged ledger should verify locally: %+v %v", res, err)
	}
}

// A ledger rewritten without one old session (its chain recomputed)
// verifies on its own, but cannot extend an older checkpoint.
func TestRewriteIsCaught(t *testing.T) {
	root := t.TempDir()
	k := testKey(t, "nono-ledger/h")
	appendSessions(t, root, 0, 7)
	old := update(t, root, k, Options{})
	appendSessions(t, root, 7, 12)
	rewrite(t, root, 12, 3)
	appendSessions(t, root, 12, 14)

	_, err := Update(root, k, Options{})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("%v", err)
	}
	if onDisk, _ := os.ReadFile(filepath.Join(root, FileName)); !bytes.Equal(onDisk, old.Note) {
		t.Fatal("a refused update replaced the checkpoint")
	}
	forced := update(t, root, k, Options{Force: true})
	if len(forced.Warnings) != 1 || forced.Checkpoint.Size != 13 {
		t.Fatalf("%+v", forced)
	}
	p, err := Consistency(root, old.Checkpoint.Size, forced.Checkpoint, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := CheckConsistency(old.Note, forced.Note, p, k.Verifier); !errors.Is(err, ErrInvalid) {
		t.Fatalf("the rewritten ledger passed: %v", err)
	}
	// Nor can a proof made up by hand, whatever its path.
	p.OldRoot = old.Checkpoint.Root
	if _, _, err := CheckConsistency(old.Note, forced.Note, p, k.Verifier); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a forged proof passed: %v", err)
	}
	// The prover itself says the old checkpoint no longer matches.
	if _, err := Prove(root, sessionID(1), old.Note, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("%v", err)
	}
}

// Checkpoints at sizes 1, 2, 7 and 100 verify, and every pair is
// consistent; every session's inclusion proof verifies in every
// checkpoint that holds it.
func TestCheckpointsAndProofs(t *testing.T) {
	root := t.TempDir()
	k := testKey(t, "nono-ledger/h")
	sizes := []int{1, 2, 7, 100}
	var notes [][]byte
	prev := 0
	for _, n := range sizes {
		appendSessions(t, root, prev, n)
		prev = n
		res := update(t, root, k, Options{})
		if res.Checkpoint.Size != uint64(n) {
			t.Fatalf("size %d", res.Checkpoint.Size)
		}
		if _, _, err := Open(res.Note, k.Verifier); err != nil {
			t.Fatal(err)
		}
		notes = append(notes, res.Note)
	}
	for i := range sizes {
		for j := i; j < len(sizes); j++ {
			cp, _ := ParseUnverified(notes[j])
			p, err := Consistency(root, uint64(sizes[i]), cp, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := CheckConsistency(notes[i], notes[j], p, k.Verifier); err != nil {
				t.Fatalf("%d → %d: %v", sizes[i], sizes[j], err)
			}
			if i != j {
				if _, _, err := CheckConsistency(notes[j], notes[i], p, k.Verifier); !errors.Is(err, ErrInvalid) {
					t.Fatalf("%d → %d backwards: %v", sizes[j], sizes[i], err)
				}
			}
		}
	}
	for j, n := range sizes {
		for i := range n {
			p, err := Prove(root, sessionID(i), notes[j], 0)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := ParseProof(append(p.Encode(), '\n'))
			if err != nil {
				t.Fatal(err)
			}
			cp, err := parsed.Verify(k.Verifier)
			if err != nil || cp.Size != uint64(n) || parsed.Record.SessionID != sessionID(i) {
				t.Fatalf("session %d in %d: %v", i, n, err)
			}
		}
		var nf *NotFoundError
		if _, err := Prove(root, sessionID(n), notes[j], 0); n < 100 && !errors.As(err, &nf) {
			t.Fatalf("session %d is not in the checkpoint of %d: %v", n, n, err)
		}
	}
}

// A proof fails when any byte of it changes, to any value.
func TestProofEveryByte(t *testing.T) {
	root := t.TempDir()
	k := testKey(t, "nono-ledger/h")
	appendSessions(t, root, 0, 11)
	res := update(t, root, k, Options{})
	for _, i := range []int{0, 10} {
		p, err := Prove(root, sessionID(i), res.Note, 0)
		if err != nil {
			t.Fatal(err)
		}
		data := append(p.Encode(), '\n')
		for pos := range data {
			for _, delta := range []byte{0x01, 0x20, 0x80, 0xff} {
				mut := bytes.Clone(data)
				mut[pos] ^= delta
				if q, err := ParseProof(mut); err == nil {
					if _, err := q.Verify(k.Verifier); err == nil {
						t.Fatalf("session %d: byte %d ^ %#x still verifies", i, pos, delta)
					}
				}
			}
			for _, c := range []byte("09afAF \"\\") { // every other value of interest
				if c == data[pos] {
					continue
				}
				mut := bytes.Clone(data)
				mut[pos] = c
				if q, err := ParseProof(mut); err == nil {
					if _, err := q.Verify(k.Verifier); err == nil {
						t.Fatalf("session %d: byte %d = %q still verifies", i, pos, c)
					}
				}
			}
		}
	}
}

// A proof scans the ledger rather than verifying it, so what the scan
// skips must still be caught: a record whose fields no longer give its
// chain hash, and a line that does not parse.
func TestProveScanCatchesDamage(t *testing.T) {
	root := t.TempDir()
	k := testKey(t, "nono-ledger/h")
	appendSessions(t, root, 0, 5)
	note := update(t, root, k, Options{}).Note
	path := filepath.Join(root, ledger.FileName)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Another completion time for session 2, chain hash kept: the root is
	// unchanged, the record is not.
	lines := bytes.SplitAfter(orig, []byte("\n"))
	lines[2] = bytes.Replace(lines[2], []byte(`"completed_at":"2`), []byte(`"completed_at":"3`), 1)
	edited := bytes.Join(lines, nil)
	if bytes.Equal(edited, orig) {
		t.Fatal("no edit")
	}
	os.WriteFile(path, edited, 0o600)
	if _, err := Prove(root, sessionID(2), note, 0); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "session s002") {
		t.Fatalf("edited record: %v", err)
	}
	// The other sessions' proofs still hold: their leaves are unchanged.
	if _, err := Prove(root, sessionID(3), note, 0); err != nil {
		t.Fatal(err)
	}
	lines[2] = []byte("{\"sequence\":2,\n")
	os.WriteFile(path, bytes.Join(lines, nil), 0o600)
	if _, err := Prove(root, sessionID(4), note, 0); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("broken line: %v", err)
	}
}
