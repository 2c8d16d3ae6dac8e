package nonorun

import (
	"github.com/nono-audit/nono/lib/cli"
	"github.com/nono-audit/nono/lib/netrule"
	"github.com/nono-audit/nono/lib/supervise"
	"github.com/nono-audit/nono/lib/supervise/plan"
)

// networkFlags turn on proxy mode (docs/NETWORK.md).
type networkFlags struct {
	AllowDomain []string `sep:"none" placeholder:"HOST" help:"Send the command's HTTP(S) traffic through a filtering proxy that allows HOST (repeatable): host, *.domain, host:port, an address, or https://host/path/** for paths over plain HTTP. The sandbox then lets the command connect to the proxy only."`
	DenyDomain  []string `sep:"none" placeholder:"HOST" help:"Refuse HOST through the filtering proxy, before any --allow-domain (repeatable; same forms)."`
	AllowPort   []uint16 `sep:"none" placeholder:"PORT" help:"In proxy mode, also let the command connect to TCP port PORT directly (repeatable)."`
	AllowBind   []uint16 `sep:"none" placeholder:"PORT" help:"In proxy mode, let the command listen on TCP port PORT (repeatable; 0: a port the kernel picks)."`
}

func (f *networkFlags) options() plan.Network {
	return plan.Network{AllowDomain: f.AllowDomain, DenyDomain: f.DenyDomain, AllowPort: f.AllowPort, AllowBind: f.AllowBind}
}

// apply checks the flags against the others, as the plan does, and in
// proxy mode restricts sb's TCP to the ports the flags allow (the
// supervisor adds the proxy's own). It returns the proxy's rules, or nil
// without proxy mode.
func (f *networkFlags) apply(sb *supervise.Sandbox, blockNet, noAudit bool) (*netrule.Policy, error) {
	o := f.options()
	if err := o.Check(blockNet, noAudit); err != nil {
		return nil, cli.Usage("%v", err)
	}
	if !o.Proxy() {
		return nil, nil
	}
	pol, err := o.Policy()
	if err != nil {
		return nil, cli.Usage("%v", err)
	}
	if sb != nil && sb.Spec != nil {
		sb.Spec.Network = o.Sandbox()
	}
	return pol, nil
}
