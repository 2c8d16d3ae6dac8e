package report

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/sandbox"
)

// maxPolicySize bounds policy.json: a few hundred rules at most.
const maxPolicySize = 4 << 20

// loadPolicy reads a session's policy.json with the strict reader; a
// session without one (recorded before the sandbox, or by another
// implementation) has none, which is not an error.
func loadPolicy(dir string) (*canon.Value, error) {
	f, err := os.Open(filepath.Join(dir, sandbox.PolicyFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := canon.ReadAll(f, maxPolicySize, sandbox.PolicyFileName)
	if err != nil {
		return nil, err
	}
	v, err := canon.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sandbox.PolicyFileName, err)
	}
	if v.Kind != canon.Object {
		return nil, fmt.Errorf("%s: not a JSON object", sandbox.PolicyFileName)
	}
	return &v, nil
}

// member is the string member key of v, "" when absent or not a string.
func member(v canon.Value, key string) string {
	m, ok := v.Get(key)
	if !ok || m.Kind != canon.String {
		return ""
	}
	return m.Str
}

// writeSandboxSummary prints the sandbox line and how the executable was
// identified, under the session's Exec line.
func writeSandboxSummary(w *bufio.Writer, d *AuditShow) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	if d.PolicyErr != nil {
		p("  Sandbox:  %s\n", human.Sanitize(d.PolicyErr.Error()))
		return
	}
	if d.Policy == nil {
		return
	}
	v := *d.Policy
	if why := member(v, "launch_error"); why != "" {
		p("  Failed:   the command never ran: %s\n", human.Sanitize(why))
		if _, ok := v.Get("rules"); !ok {
			return // no sandbox was made for it
		}
	}
	if exe, ok := v.Get("executable"); ok && exe.Kind == canon.Object {
		p("  Hashed:   %s %s\n", human.Sanitize(member(exe, "kind")), human.Sanitize(member(exe, "hashed")))
		if in, ok := exe.Get("interpreter"); ok && in.Kind == canon.Object {
			p("  Interp:   %s (sha256 %s, %s)\n", human.Sanitize(member(in, "path")), human.ShortHex(member(in, "sha256")), human.Sanitize(member(in, "hashed")))
		}
	}
	if member(v, "sandbox") != "landlock" {
		p("  Sandbox:  none (%s)\n", human.Sanitize(member(v, "reason")))
		return
	}
	abi, _ := v.Get("landlock_abi")
	rules, _ := v.Get("rules")
	net, _ := v.Get("network")
	network := "open"
	if member(net, "tcp") == "restricted" || member(net, "sockets") != "any" {
		network = "restricted"
	}
	p("  Sandbox:  landlock V%s, %d rules, network %s (policy.json, outside the signed record)\n",
		human.Sanitize(abi.Num), len(rules.Elems), network)
}

// writeSandboxRules prints every rule of the policy.
func writeSandboxRules(w *bufio.Writer, d *AuditShow) {
	if d.Policy == nil {
		return
	}
	rules, ok := d.Policy.Get("rules")
	if !ok || len(rules.Elems) == 0 {
		return
	}
	width := 0
	for _, r := range rules.Elems {
		width = max(width, len(human.Sanitize(member(r, "path"))))
	}
	fmt.Fprintf(w, "\n  Sandbox Rules: %d\n", len(rules.Elems))
	for _, r := range rules.Elems {
		src := member(r, "source")
		if member(r, "kind") == "file" {
			src += ", file"
		}
		line := fmt.Sprintf("    %-*s  %-10s  %s", width, human.Sanitize(member(r, "path")), human.Sanitize(member(r, "access")), human.Sanitize(src))
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// policyValue is the policy for --json: null when the session has none.
func policyValue(d *AuditShow) canon.Value {
	if d.Policy == nil {
		return canon.NullValue()
	}
	return *d.Policy
}
