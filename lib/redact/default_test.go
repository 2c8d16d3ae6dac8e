package redact

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// removedSpans returns the pieces of in that upstream replaced to get up:
// up split at the markers gives the kept pieces, which are matched in
// order in in. When they cannot be matched (upstream rebuilt a header
// line), the whole input counts as removed.
func removedSpans(in, up string) []string {
	if in == up {
		return nil
	}
	kept := strings.Split(up, marker)
	if !strings.HasPrefix(in, kept[0]) {
		return []string{in}
	}
	var spans []string
	rest := in[len(kept[0]):]
	for i, k := range kept[1:] {
		last := i == len(kept)-2
		var j int
		if last {
			if !strings.HasSuffix(rest, k) {
				return []string{in}
			}
			j = len(rest) - len(k)
		} else if k == "" {
			j = 0
		} else if j = strings.Index(rest, k); j < 0 {
			return []string{in}
		}
		spans = append(spans, rest[:j])
		rest = rest[j+len(k):]
	}
	return spans
}

// checkSuperset fails unless every span upstream removes from argv is gone
// from the Default output, and the output is a fixed point of both rule
// sets with argv's length.
func checkSuperset(t *testing.T, id string, p *Policy, argv []string) []string {
	t.Helper()
	up := p.ScrubArgv(Upstream, argv)
	def := p.ScrubArgv(Default, argv)
	if len(def) != len(argv) {
		t.Fatalf("%s: length %d -> %d", id, len(argv), len(def))
	}
	for i := range argv {
		for _, span := range removedSpans(argv[i], up[i]) {
			if len(strings.TrimSpace(span)) < 2 || strings.Contains(up[i], span) {
				continue // too short to tell, or also in text upstream keeps
			}
			if strings.Contains(def[i], span) {
				t.Errorf("%s: upstream removes %q from %q, Default keeps it: %q", id, span, argv[i], def[i])
			}
		}
	}
	if again := p.ScrubArgv(Default, def); !slices.Equal(again, def) {
		t.Errorf("%s: Default not idempotent:\n %q\n %q", id, def, again)
	}
	if again := p.ScrubArgv(Upstream, def); !slices.Equal(again, def) {
		t.Errorf("%s: Default output not a fixed point of Upstream:\n %q\n %q", id, def, again)
	}
	return def
}

func TestDefaultSupersetOfSpecCases(t *testing.T) {
	for _, c := range loadSpecCases(t) {
		checkSuperset(t, c.ID, c.policy(t), c.Argv)
	}
}

// trickyPieces are the awkward fragments the property tests build from.
var trickyPieces = []string{
	"--token", "--password=", "-H", "--header", "--header=", "-p", "-pX", "-u",
	"mysql", "curl", "docker", "login", "sh", "-c", "env", "aws", "vault", "--",
	"Authorization:", "authorization: Bearer ", "Cookie:", "Private-Token: ", "X-Vault-Token:",
	"://", "https://", "u:p@h", "@", "?", "#", "&", ";", "=", ":", " ", "\t", "\n",
	"\u00a0", "\u2003", "\u212a", "\u017f", "[REDACTED]", "token", "key", "code",
	"state", "sig", "X-Amz-Signature", "%3D", "%26", "%3F", "PASSWORD", "_TOKEN",
	"API_KEY", "ghp_0123456789abcdefghij0123456789abcdef", "sk-ant-api03-x",
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "-----BEGIN PRIVATE KEY-----",
	"-----END PRIVATE KEY-----", "'", "\"", "\\", "{\"password\":\"", "\"}", "$TOKEN",
	"basic ", "dXNlcjpwYXNz", "hooks.slack.com/services/T1/B2/", "x", "abc", "1234",
	"/", ",", "%", "user", "pass", "db", "host=h", "password=", "-----", "bot123456789:",
}

func randomArg(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(5); n >= 0; n-- {
		b.WriteString(trickyPieces[r.IntN(len(trickyPieces))])
	}
	return b.String()
}

func TestPropertyIdempotentAndLength(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	policies := []*Policy{DefaultPolicy()}
	custom := DefaultPolicy()
	custom.add(flags, "-P", "--pat")
	custom.add(headers, "Private-Token")
	custom.add(queryKeys, "sig")
	custom.allow("state", "--token")
	policies = append(policies, custom)
	n := 20000
	if s := os.Getenv("REDACT_PROPERTY_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if testing.Short() {
		n = 2000
	}
	for i := range n {
		argv := make([]string, r.IntN(7))
		for j := range argv {
			argv[j] = randomArg(r)
		}
		p := policies[i%len(policies)]
		for _, rules := range []Rules{Upstream, Default} {
			out := p.ScrubArgv(rules, argv)
			if len(out) != len(argv) {
				t.Fatalf("%v %q: length %d", rules, argv, len(out))
			}
			if again := p.ScrubArgv(rules, out); !slices.Equal(again, out) {
				t.Fatalf("%v not idempotent on %q:\n %q\n %q", rules, argv, out, again)
			}
			if again := p.ScrubArgv(Upstream, out); !slices.Equal(again, out) {
				t.Fatalf("%v output not an Upstream fixed point on %q:\n %q\n %q", rules, argv, out, again)
			}
			if rules == Default {
				if again := p.ScrubArgv(Default, p.ScrubArgv(Upstream, argv)); !slices.Equal(again, out) && !slices.Equal(p.ScrubArgv(Default, again), again) {
					t.Fatalf("Default after Upstream not stable on %q", argv)
				}
			}
		}
		s := strings.Join(argv, "")
		for _, rules := range []Rules{Upstream, Default} {
			v := p.scrubValue(rules, s)
			if again := p.scrubValue(rules, v); again != v {
				t.Fatalf("ScrubValue %v not idempotent on %q:\n %q\n %q", rules, s, v, again)
			}
			if again := p.scrubValue(Upstream, v); again != v {
				t.Fatalf("ScrubValue %v output not an Upstream fixed point on %q:\n %q\n %q", rules, s, v, again)
			}
		}
	}
}

func TestDefaultEnvAndHeaderHelpers(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct{ name, value, want string }{
		{"DEPLOY_SECRET", "d3pl0y", marker},
		{"STRIPE_WEBHOOK_KEY", "whsec_x", marker},
		{"GOOGLE_APPLICATION_CREDENTIALS", "/etc/sa.json", "/etc/sa.json"},
		{"GH_TOKEN", "x", marker},
		{"NPM_TOKEN", "$NPM_TOKEN", "$NPM_TOKEN"},
		{"PAGER", "less -R", "less -R"},
		{"DATABASE_URL", "postgres://u:p@h/db", "postgres://u:[REDACTED]@h/db"},
		{"NOTES", "ghp_0123456789abcdefghijABCDEFGHIJ012345", marker},
	} {
		if got := p.scrubEnvValue(Default, tc.name, tc.value); got != tc.want {
			t.Errorf("ScrubEnvValue(%s, %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
	if got := p.scrubEnvName(Default, "github_token"); got != marker {
		t.Errorf("env name: %q", got)
	}
	if got := p.scrubEnvName(Default, "DEPLOY_SECRET"); got != "DEPLOY_SECRET" {
		t.Errorf("Default keeps names outside the policy: %q", got)
	}
	if got := p.scrubHeader(Default, "X-Vault-Token", "hvs.x"); got != marker {
		t.Errorf("header: %q", got)
	}
	if got := p.scrubHeader(Default, "Accept", "https://u:p@h"); got != "https://u:[REDACTED]@h" {
		t.Errorf("other header: %q", got)
	}
	if got := p.scrubHeaderLine(Default, "X-Vault-Token:hvs.abc"); got != "X-Vault-Token:[REDACTED]" {
		t.Errorf("header line: %q", got)
	}
}
