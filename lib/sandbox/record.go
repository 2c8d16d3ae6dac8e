package sandbox

import (
	"fmt"
	"io"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
)

// PolicyFileName is the file in a session directory that holds what the
// supervisor enforced (Value). It lies outside the upstream-compatible
// integrity structure: neither the log nor the session digest covers it.
const PolicyFileName = "policy.json"

// Value is the policy as policy.json records it: abi is the Landlock ABI
// enforced, 0 when the command ran unsandboxed (p may then be nil, and
// reason says why). Members in extra follow (the supervisor adds what it
// learnt launching the command).
func Value(p *Policy, abi int, reason string, extra ...canon.Member) canon.Value {
	var ms []canon.Member
	if abi == 0 {
		ms = append(ms,
			canon.Member{Key: "sandbox", Value: canon.StringValue("none")},
			canon.Member{Key: "reason", Value: canon.StringValue(reason)})
	} else {
		ms = append(ms,
			canon.Member{Key: "sandbox", Value: canon.StringValue("landlock")},
			canon.Member{Key: "landlock_abi", Value: canon.IntValue(int64(abi))})
	}
	if p != nil {
		rules := make([]canon.Value, len(p.Rules), len(p.Rules)+1)
		for i, r := range p.Rules {
			kind := "directory"
			if r.File {
				kind = "file"
			}
			rules[i] = canon.ObjectValue(
				canon.Member{Key: "path", Value: canon.StringValue(r.Path)},
				canon.Member{Key: "access", Value: canon.StringValue(r.Access.String())},
				canon.Member{Key: "kind", Value: canon.StringValue(kind)},
				canon.Member{Key: "source", Value: canon.StringValue(r.Source)})
		}
		if abi > 0 {
			rules = append(rules, canon.ObjectValue(
				canon.Member{Key: "path", Value: canon.StringValue(ownProcPath)},
				canon.Member{Key: "access", Value: canon.StringValue(Read.String())},
				canon.Member{Key: "kind", Value: canon.StringValue("directory")},
				canon.Member{Key: "source", Value: canon.StringValue(OwnProcSource)}))
		}
		protected := make([]canon.Value, len(p.Protected))
		for i, st := range p.Protected {
			protected[i] = canon.ObjectValue(
				canon.Member{Key: "path", Value: canon.StringValue(st.Path)},
				canon.Member{Key: "name", Value: canon.StringValue(st.Name)})
		}
		ms = append(ms,
			canon.Member{Key: "rules", Value: canon.ArrayValue(rules...)},
			canon.Member{Key: "network", Value: networkValue(p.Network)},
			canon.Member{Key: "scopes", Value: canon.StringsValue(scopeNames(abi))},
			canon.Member{Key: "tmpdir", Value: canon.StringValue(p.TmpDir)},
			canon.Member{Key: "protected", Value: canon.ArrayValue(protected...)})
	}
	return canon.ObjectValue(append(ms, extra...)...)
}

func networkValue(n Network) canon.Value {
	tcp, sockets := "open", "any"
	if n.RestrictTCP {
		tcp = "restricted"
	}
	if n.UnixOnly {
		sockets = "unix only"
	}
	ports := func(ps []uint16) canon.Value {
		vs := make([]canon.Value, len(ps))
		for i, p := range ps {
			vs[i] = canon.UintValue(uint64(p))
		}
		return canon.ArrayValue(vs...)
	}
	return canon.ObjectValue(
		canon.Member{Key: "tcp", Value: canon.StringValue(tcp)},
		canon.Member{Key: "connect_tcp", Value: ports(n.ConnectTCP)},
		canon.Member{Key: "bind_tcp", Value: ports(n.BindTCP)},
		canon.Member{Key: "sockets", Value: canon.StringValue(sockets)})
}

func scopeNames(abi int) []string {
	if abi >= 6 {
		return []string{"signal", "abstract_unix_socket"}
	}
	return []string{}
}

// ownProcPath is how the record names the rule for the command's own
// /proc/PID, whose number is not known before the command starts.
const ownProcPath = "/proc/self"

// Describe writes the policy for a person (--dry-run): every rule with
// where it came from, the network, what is never reachable.
func (p *Policy) Describe(w io.Writer, abi int) error {
	var b strings.Builder
	if abi > 0 {
		fmt.Fprintf(&b, "Sandbox: Landlock %s", ABIName(abi))
		if abi >= 6 {
			b.WriteString(" (signals and abstract UNIX sockets confined to the sandbox)")
		}
		b.WriteString("\n")
	} else {
		b.WriteString("Sandbox: none (Landlock is not available; --allow-unsandboxed runs the command unconfined)\n")
	}
	width := 0
	for _, r := range p.Rules {
		width = max(width, len(r.Path))
	}
	b.WriteString("Filesystem (everything else is denied):\n")
	for _, r := range p.Rules {
		src := r.Source
		if r.File {
			src += ", file"
		}
		fmt.Fprintf(&b, "  %-*s  %-10s  %s\n", width, r.Path, r.Access, src)
	}
	if abi > 0 {
		fmt.Fprintf(&b, "  %-*s  %-10s  %s (the command's own entry, not its children's)\n", width, ownProcPath, Read, OwnProcSource)
	}
	if p.TmpDir == "" {
		b.WriteString("  (TMPDIR: a private directory, read+write, made for the session and removed at its end)\n")
	}
	switch {
	case p.Network.Open():
		b.WriteString("Network: open\n")
	default:
		b.WriteString("Network:")
		if p.Network.RestrictTCP {
			b.WriteString(" TCP connect and bind denied")
			if len(p.Network.ConnectTCP)+len(p.Network.BindTCP) > 0 {
				fmt.Fprintf(&b, " except connect %v, bind %v", p.Network.ConnectTCP, p.Network.BindTCP)
			}
			if abi < 4 {
				b.WriteString(" (Landlock ABI 4 needed: only the socket filter applies)")
			}
			b.WriteString(";")
		}
		if p.Network.UnixOnly {
			b.WriteString(" no socket but AF_UNIX")
		}
		b.WriteString("\n")
	}
	if len(p.Protected) > 0 {
		b.WriteString("Never granted (protected):\n")
		for _, st := range p.Protected {
			fmt.Fprintf(&b, "  %s (%s)\n", st.Path, st.Name)
		}
	}
	b.WriteString("Never granted (deny groups, where they exist):")
	for _, g := range denyGroups {
		fmt.Fprintf(&b, " %s", g.name)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}
