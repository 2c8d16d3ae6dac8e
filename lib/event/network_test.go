package event

import (
	"bytes"
	"testing"
)

// Every shape the proxy writes is already canonical: nono-chain and a
// verifier re-encode it to the same bytes.
func TestAppendNetworkIsCanonical(t *testing.T) {
	for _, n := range []Network{
		{TimestampUnixMs: 1, Mode: "connect", Decision: "allow", Target: "example.com", Port: 443, Method: "CONNECT", Status: 200},
		{TimestampUnixMs: 2, Mode: "connect", Decision: "deny", DenialCategory: "host_denied", Target: "evil.test", Port: 443,
			Method: "CONNECT", Status: 403, Reason: "evil.test:443 matches no --allow-domain rule"},
		{TimestampUnixMs: 3, Mode: "reverse", Decision: "allow", EndpointPolicyAction: "allow",
			EndpointPolicyRule: "http://h/v1/**", Target: "h", Upstream: "https://h", Port: 80,
			Method: "GET", Path: "/v1/x?token=\"q\"\u2028", Status: 200},
		{TimestampUnixMs: 4, Mode: "reverse", Decision: "deny", Target: "h"},
	} {
		line := AppendNetwork(nil, &n)
		again, err := Canonicalize(line)
		if err != nil || !bytes.Equal(again, line) {
			t.Errorf("not canonical: %s\n  got %s (%v)", line, again, err)
		}
		inner := AppendNetworkAuditEvent(nil, &n)
		if !bytes.Equal(line, append(append([]byte(networkEventPrefix), inner...), '}')) {
			t.Errorf("event is not prefix + object + '}': %s", line)
		}
	}
	got := AppendNetwork(nil, &Network{TimestampUnixMs: 9, Mode: "connect", Decision: "allow", Target: "t"})
	want := `{"type":"network","event":{"timestamp_unix_ms":9,"mode":"connect","decision":"allow","target":"t","port":null,"method":null,"path":null,"status":null,"reason":null}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
