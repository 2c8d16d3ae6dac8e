package tests

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nono-audit/nono/lib/dsse"
)

// Script commands of the signing scripts (sign-*.txtar).
func init() {
	commands["signperm"] = cmdSignPerm
	commands["bundleedit"] = cmdBundleEdit
}

// signperm FILE MODE: FILE's permission bits are MODE (octal, e.g. 0600).
func cmdSignPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: signperm FILE MODE")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	st, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := uint64(st.Mode().Perm()); (got == want) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// bundleedit FILE OP [ARGS]: rewrite an attestation bundle.
//
//	payload OLD NEW   replace OLD with NEW in the decoded statement
//	sig               flip the last bit of the first signature
//	payloadtype TYPE  set the envelope's payloadType
//	dupsig            append a copy of the first signature
func cmdBundleEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: bundleedit FILE payload OLD NEW | sig | payloadtype TYPE | dupsig")
	}
	p := ts.MkAbs(args[0])
	data, err := os.ReadFile(p)
	ts.Check(err)
	b, err := dsse.ParseBundle(data)
	ts.Check(err)
	e := b.Envelope
	switch op := args[1]; {
	case op == "payload" && len(args) == 4:
		if !bytes.Contains(e.Payload, []byte(args[2])) {
			ts.Fatalf("statement does not contain %q", args[2])
		}
		e.Payload = bytes.Replace(e.Payload, []byte(args[2]), []byte(args[3]), 1)
	case op == "sig" && len(args) == 2:
		sig := bytes.Clone(e.Signatures[0].Sig)
		sig[len(sig)-1] ^= 1
		e.Signatures[0].Sig = sig
	case op == "payloadtype" && len(args) == 3:
		e.PayloadType = args[2]
	case op == "dupsig" && len(args) == 2:
		e.Signatures = append(e.Signatures, e.Signatures[0])
	default:
		ts.Fatalf("bundleedit: unknown operation %s", strings.Join(args[1:], " "))
	}
	ts.Check(os.WriteFile(p, b.Encode(), 0o600))
}
