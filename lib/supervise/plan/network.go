package plan

import (
	"strconv"

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
