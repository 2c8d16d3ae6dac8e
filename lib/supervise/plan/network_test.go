package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Proxy mode's flags: rules that do not parse and flags that cannot go
// together are usage errors naming them; good ones pass to nono-run as
// given, and the sandbox restricts TCP to what they allow.
func TestNetworkFlags(t *testing.T) {
	cmd := []string{"true"}
	n := Network{AllowDomain: []string{"*.example.com", "https://api.test/v1/**"}, DenyDomain: []string{"bad.example.com"}, AllowPort: []uint16{5432}, AllowBind: []uint16{8080}}
	o := Options{Command: cmd, Network: n}
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	want := []string{"--allow-domain=*.example.com", "--allow-domain=https://api.test/v1/**", "--deny-domain=bad.example.com", "--allow-port=5432", "--allow-bind=8080"}
	if got := n.Args(); !slices.Equal(got, want) {
		t.Fatalf("args %q", got)
	}
	if sn := n.Sandbox(); !sn.RestrictTCP || sn.UnixOnly || !slices.Equal(sn.ConnectTCP, []uint16{5432}) || !slices.Equal(sn.BindTCP, []uint16{8080}) {
		t.Fatalf("sandbox network %+v", sn)
	}
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Command: cmd, Network: Network{DenyDomain: []string{"ftp://x.test/"}}}, `--deny-domain: rule "ftp://x.test/"`},
		{Options{Command: cmd, NoAudit: true, Network: Network{AllowDomain: []string{"a.test"}}}, "'--no-audit' cannot be used with '--allow-domain'"},
		{Options{Command: cmd, BlockNet: true, Network: Network{DenyDomain: []string{"a.test"}}}, "'--block-net' cannot be used with '--deny-domain'"},
		{Options{Command: cmd, Network: Network{AllowPort: []uint16{22}}}, "'--allow-port' requires '--allow-domain' or '--deny-domain'"},
		{Options{Command: cmd, Network: Network{AllowDomain: []string{"a.test"}, AllowPort: []uint16{443, 0}}}, "--allow-port: port 0: want 1-65535"},
		{Options{Command: cmd, Network: Network{AllowBind: []uint16{80}}}, "'--allow-bind' requires"},
	} {
		err := tt.o.Check()
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.o.Network, err, tt.want)
		}
	}
}

// --dry-run tells what proxy mode does: the rules in the order they are
// decided, and nothing at all without proxy mode.
func TestNetworkDescribe(t *testing.T) {
	var b strings.Builder
	n := Network{AllowDomain: []string{"a.test", "https://api.test/v1/**"}, DenyDomain: []string{"bad.a.test"}}
	if err := n.Describe(&b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{"Proxy: ", "\n  --deny-domain bad.a.test\n  --allow-domain a.test\n  --allow-domain https://api.test/v1/**\n", "NO_PROXY and no_proxy are removed\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	b.Reset()
	n = Network{DenyDomain: []string{"bad.test"}}
	n.Describe(&b)
	if !strings.Contains(b.String(), "(no --allow-domain: every request no --deny-domain refuses is allowed)") {
		t.Errorf("deny list:\n%s", b.String())
	}
	b.Reset()
	if (&Network{}).Describe(&b); b.Len() != 0 {
		t.Errorf("without proxy mode: %q", b.String())
	}
}
