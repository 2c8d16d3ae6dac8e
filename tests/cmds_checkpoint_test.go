package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	tlog "github.com/transparency-dev/formats/log"
	notes "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
)

func init() {
	commands["tlogcheck"] = cmdTlogCheck
	commands["flipeach"] = cmdFlipEach
	commands["waitgrep"] = cmdWaitGrep
	commands["mkledger"] = cmdMkLedger
	commands["forgeledger"] = cmdForgeLedger
}

// mkledger N: record N more finished sessions (session.json only, IDs
// fill-0001, …) in the audit root and commit each to its ledger, in
// process: a long ledger without N runs of nono.
func cmdMkLedger(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkledger N")
	}
	root, err := stores.AuditRoot(ts.Getenv)
	ts.Check(err)
	names, _ := filepath.Glob(filepath.Join(root, "fill-*"))
	for i := range atoi(ts, args[0]) {
		id := fmt.Sprintf("fill-%04d", len(names)+i+1)
		dir := filepath.Join(root, id)
		ts.Check(os.MkdirAll(dir, 0o700))
		ended := event.FormatTime(time.Now())
		code := int32(0)
		s := &session.Session{SessionID: id, Started: ended, Ended: &ended, ExitCode: &code,
			Command: []string{"make", "test"}, TrackedPaths: []string{}, MerkleRoots: []string{}}
		ts.Check(session.Write(dir, s))
		_, err := ledger.Append(root, s, 10*time.Second)
		ts.Check(err)
	}
}

// forgeledger N: what a host that rewrites its history does: remove the
// Nth record (1-based) from the ledger, and that session's directory, and
// recompute every later record's sequence and chain, so that the ledger
// verifies on its own.
func cmdForgeLedger(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: forgeledger N")
	}
	root, err := stores.AuditRoot(ts.Getenv)
	ts.Check(err)
	path := filepath.Join(root, ledger.FileName)
	data, err := os.ReadFile(path)
	ts.Check(err)
	drop := atoi(ts, args[0])
	var out []byte
	var prev *ledger.Record
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		r, err := ledger.ParseRecord([]byte(line))
		ts.Check(err)
		if i+1 == drop {
			ts.Check(session.ValidateID(r.SessionID))
			ts.Check(os.RemoveAll(filepath.Join(root, r.SessionID)))
			continue
		}
		r.Sequence, r.PrevChain = 0, nil
		if prev != nil {
			h := prev.ChainHash
			r.Sequence, r.PrevChain = prev.Sequence+1, &h
		}
		r.ChainHash = r.Link()
		out = append(append(out, r.Encode()...), '\n')
		prev = r
	}
	ts.Check(os.WriteFile(path, out, 0o600))
}

// tlogcheck CHECKPOINT VKEYFILE [WITNESS-VKEYFILE]: the checkpoint opens
// with the transparency-dev parser and x/mod's note verifier, as any tlog
// tool would read it; its origin is the key's name. With a witness's key,
// it must also carry that witness's cosignature, verified by the
// transparency-dev cosignature/v1 verifier.
func cmdTlogCheck(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: tlogcheck CHECKPOINT VKEYFILE [WITNESS-VKEYFILE]")
	}
	readKey := func(name string) string {
		vkey, err := os.ReadFile(ts.MkAbs(name))
		ts.Check(err)
		return strings.TrimSpace(string(vkey))
	}
	v, err := note.NewVerifier(readKey(args[1]))
	ts.Check(err)
	var others []note.Verifier
	if len(args) == 3 {
		wv, err := notes.NewVerifierForCosignatureV1(readKey(args[2]))
		ts.Check(err)
		others = append(others, wv)
	}
	cp, _, n, err := tlog.ParseCheckpoint([]byte(ts.ReadFile(args[0])), v.Name(), v, others...)
	if err == nil && len(others) == 1 && !slices.ContainsFunc(n.Sigs, func(s note.Signature) bool {
		return s.Name == others[0].Name() && s.Hash == others[0].KeyHash()
	}) {
		err = fmt.Errorf("%s carries no verified cosignature of %s", args[0], others[0].Name())
	}
	if neg {
		if err == nil {
			ts.Fatalf("%s parses and verifies", args[0])
		}
		return
	}
	ts.Check(err)
	ts.Logf("origin %s, size %d", cp.Origin, cp.Size)
}

// flipeach FILE STRIDE CMD ARGS...: for every STRIDE-th byte of FILE, run
// CMD with that byte XORed with 0x01 (FILE is restored afterwards); each
// run must fail.
func cmdFlipEach(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: flipeach FILE STRIDE CMD ARGS...")
	}
	path := ts.MkAbs(args[0])
	orig, err := os.ReadFile(path)
	ts.Check(err)
	defer os.WriteFile(path, orig, 0o600)
	stride := atoi(ts, args[1])
	runs := 0
	for off := 0; off < len(orig); off += stride {
		mut := bytes.Clone(orig)
		mut[off] ^= 0x01
		ts.Check(os.WriteFile(path, mut, 0o600))
		cmd := exec.Command(args[2], args[3:]...)
		cmd.Dir = ts.Getenv("WORK")
		cmd.Env = envOf(ts)
		if out, err := cmd.CombinedOutput(); err == nil {
			ts.Fatalf("byte %d flipped: %s still succeeds:\n%s", off, args[2], out)
		}
		runs++
	}
	ts.Logf("%d mutations, all refused", runs)
}

func envOf(ts *testscript.TestScript) []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "NONO_AUDIT_DIR", "WORK"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return env
}

// waitgrep FILE REGEXP: wait (up to 20 s) until FILE holds a match.
func cmdWaitGrep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitgrep FILE REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if data, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && re.Match(data) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s never matched %s", args[0], args[1])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
