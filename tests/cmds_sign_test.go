package tests

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

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

// TestInteropModuleInSync guards the separate tests/interop module, which
// builds lib/attest through a replace directive: every module those
// packages use must be required there at the same or a higher version
// than here, or `go test` in tests/interop stops with "updates to go.mod
// needed".
func TestInteropModuleInSync(t *testing.T) {
	main := readRequires(t, "../go.mod")
	interop := readRequires(t, "interop/go.mod")
	cmd := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", "./lib/attest")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, mod := range strings.Fields(string(out)) {
		v, ok := main[mod]
		if !ok {
			continue // this module itself
		}
		if iv := interop[mod]; iv == "" || compareVersions(iv, v) < 0 {
			t.Errorf("tests/interop/go.mod requires %s %q, go.mod %q: run `cd tests/interop && go get %s@%s && go mod tidy -e`", mod, iv, v, mod, v)
		}
	}
}

// readRequires returns the module versions of a go.mod's require lines.
func readRequires(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	inBlock := false
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "//")
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "require" && f[1] == "(":
			inBlock = true
		case inBlock && len(f) == 1 && f[0] == ")":
			inBlock = false
		case inBlock && len(f) == 2:
			out[f[0]] = f[1]
		case !inBlock && len(f) == 3 && f[0] == "require":
			out[f[1]] = f[2]
		}
	}
	return out
}

// compareVersions orders semantic versions vMAJOR.MINOR.PATCH[-PRE][+BUILD]
// (pseudo-versions included, whose pre-release parts sort by time).
func compareVersions(a, b string) int {
	split := func(v string) (core [3]int, pre string) {
		v = strings.TrimPrefix(v, "v")
		v, _, _ = strings.Cut(v, "+")
		v, pre, _ = strings.Cut(v, "-")
		for i, p := range strings.SplitN(v, ".", 3) {
			core[i], _ = strconv.Atoi(p)
		}
		return core, pre
	}
	ac, ap := split(a)
	bc, bp := split(b)
	for i := range ac {
		if ac[i] != bc[i] {
			return ac[i] - bc[i]
		}
	}
	switch {
	case ap == bp:
		return 0
	case ap == "":
		return 1
	case bp == "":
		return -1
	}
	return strings.Compare(ap, bp)
}
