package plan

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/nono-audit/nono/lib/netrule"
	"github.com/nono-audit/nono/lib/sandbox"
)

// Network is proxy mode's flags (docs/NETWORK.md).
type Network struct {
	AllowDomain []string // --allow-domain RULE
	DenyDomain  []string // --deny-domain RULE
	AllowPort   []uint16 // --allow-port N: a direct TCP connect the sandbox allows
	AllowBind   []uint16 // --allow-bind N: a TCP port the command may listen on
}

// Proxy reports whether the flags turn on proxy mode.
func (n *Network) Proxy() bool { return len(n.AllowDomain)+len(n.DenyDomain) > 0 }

// Policy parses the rules; an error names the flag and the rule.
func (n *Network) Policy() (*netrule.Policy, error) {
	return netrule.NewPolicy(n.AllowDomain, n.DenyDomain)
}

// Sandbox is what proxy mode lets the command do on the network: TCP to
// the --allow-port ports and listening on the --allow-bind ones (the
// supervisor adds the proxy's port when it knows it). Other socket
// families are left alone.
func (n *Network) Sandbox() sandbox.Network {
	return sandbox.Network{
		RestrictTCP: true,
		ConnectTCP:  append([]uint16(nil), n.AllowPort...),
		BindTCP:     append([]uint16(nil), n.AllowBind...),
	}
}

// Describe tells `--dry-run`'s reader what proxy mode does, after the
// sandbox policy: the proxy, its rules in the order they are decided,
// and what the command's environment says.
func (n *Network) Describe(w io.Writer) error {
	if !n.Proxy() {
		return nil
	}
	var b strings.Builder
	b.WriteString("Proxy: the command's HTTP(S) traffic goes through a filtering proxy on 127.0.0.1 (on a port chosen at start, which the sandbox adds to the TCP connects it allows); every request is a network event\n")
	for _, r := range n.DenyDomain {
		fmt.Fprintf(&b, "  %s %s\n", netrule.DenyFlag, r)
	}
	for _, r := range n.AllowDomain {
		fmt.Fprintf(&b, "  %s %s\n", netrule.AllowFlag, r)
	}
	if len(n.AllowDomain) == 0 {
		fmt.Fprintf(&b, "  (no %s: every request no %s refuses is allowed)\n", netrule.AllowFlag, netrule.DenyFlag)
	}
	b.WriteString("  loopback, link-local and cloud metadata addresses only where a rule names them\n")
	b.WriteString("Environment: HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and their lower-case twins name the proxy; NO_PROXY and no_proxy are removed\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Check applies the flags' rules: proxy mode needs the supervisor (not
// --no-audit, which runs the command in nono's place) and a network (not
// --block-net); --allow-port and --allow-bind only widen proxy mode's
// restriction; every rule must parse.
func (n *Network) Check(blockNet, noAudit bool) error {
	if n.Proxy() {
		first := "--allow-domain"
		if len(n.AllowDomain) == 0 {
			first = "--deny-domain"
		}
		if noAudit {
			return conflict("--no-audit", first)
		}
		if blockNet {
			return conflict("--block-net", first)
		}
		if _, err := n.Policy(); err != nil {
			return &UsageError{Msg: err.Error()}
		}
		// A connect rule for port 0 allows nothing (--allow-bind 0 is
		// Landlock's "an ephemeral port").
		if slices.Contains(n.AllowPort, 0) {
			return &UsageError{Msg: "--allow-port: port 0: want 1-65535"}
		}
		return nil
	}
	for _, f := range []struct {
		name  string
		ports []uint16
	}{{"--allow-port", n.AllowPort}, {"--allow-bind", n.AllowBind}} {
		if len(f.ports) > 0 {
			return &UsageError{Msg: "the argument '" + f.name + "' requires '--allow-domain' or '--deny-domain'"}
		}
	}
	return nil
}

// Args pass the flags on to nono-run, as given.
func (n *Network) Args() []string {
	var args []string
	for _, r := range n.AllowDomain {
		args = append(args, "--allow-domain="+r)
	}
	for _, r := range n.DenyDomain {
		args = append(args, "--deny-domain="+r)
	}
	for _, p := range n.AllowPort {
		args = append(args, "--allow-port="+strconv.Itoa(int(p)))
	}
	for _, p := range n.AllowBind {
		args = append(args, "--allow-bind="+strconv.Itoa(int(p)))
	}
	return args
}
