package supervise

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nono-audit/nono/lib/beside"
	"github.com/nono-audit/nono/lib/netrule"
	"github.com/nono-audit/nono/lib/proxyproc"
)

// proxyVars are the variables that point a command's HTTP clients at the
// filtering proxy; noProxyVars would exempt hosts from it.
var (
	proxyVars   = []string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}
	noProxyVars = []string{"NO_PROXY", "no_proxy"}
)

// startProxy starts the filtering proxy of a session in proxy mode,
// nono-run-proxy from beside this program, with env; each request's
// network event goes to emit as it happens.
func startProxy(policy *netrule.Policy, env []string, emit func([]byte)) (*proxyproc.Process, error) {
	program, ok := beside.Program(proxyproc.Program)
	if !ok {
		return nil, fmt.Errorf("start the network proxy: %s is not installed beside %s", proxyproc.Program, beside.Dir())
	}
	p, err := proxyproc.Start(program, policy, env, emit)
	if err != nil {
		return nil, fmt.Errorf("start the network proxy: %w", err)
	}
	return p, nil
}

// ProxyEnv is env with every proxy variable set to url and NO_PROXY and
// no_proxy removed, so that no host is exempt from the proxy.
func ProxyEnv(env []string, url string) []string {
	out := make([]string, 0, len(env)+len(proxyVars))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(proxyVars, name) && !slices.Contains(noProxyVars, name) {
			out = append(out, kv)
		}
	}
	for _, name := range proxyVars {
		out = append(out, name+"="+url)
	}
	return out
}

// proxySandbox is sb with TCP restricted so that the command can connect
// to the proxy's port and the ports sb already allows, and nowhere else:
// a client that ignores the proxy variables fails (EACCES). Binding stays
// limited to the ports sb allows. sb itself is not changed; without a
// sandbox (library use) there is nothing to restrict.
func proxySandbox(sb *Sandbox, port uint16) *Sandbox {
	if sb == nil || sb.Spec == nil {
		return sb
	}
	spec := *sb.Spec
	spec.Network.RestrictTCP = true
	spec.Network.ConnectTCP = append([]uint16{port}, spec.Network.ConnectTCP...)
	out := *sb
	out.Spec = &spec
	return &out
}
