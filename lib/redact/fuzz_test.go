package redact

import (
	"slices"
	"strings"
	"testing"
)

func fuzzPolicies() []*Policy {
	custom := DefaultPolicy()
	custom.add(flags, "-P", "--pat")
	custom.add(headers, "Private-Token")
	custom.add(queryKeys, "sig")
	custom.allow("state", "--token")
	return []*Policy{DefaultPolicy(), custom}
}

// FuzzScrubArgv: never a panic, the same length, idempotent for both rule
// sets, and every output a fixed point of Upstream. Arguments are
// separated by NUL in the fuzzer's input.
func FuzzScrubArgv(f *testing.F) {
	for _, c := range loadSpecCases(f) {
		f.Add(strings.Join(c.Argv, "\x00"), c.Policy != nil)
	}
	for _, c := range loadCorpus(f)[:60] {
		f.Add(strings.Join(c.Argv, "\x00"), false)
	}
	policies := fuzzPolicies()
	f.Fuzz(func(t *testing.T, joined string, custom bool) {
		p := policies[0]
		if custom {
			p = policies[1]
		}
		argv := strings.Split(joined, "\x00")
		for _, rules := range []Rules{Upstream, Default} {
			out := p.ScrubArgv(rules, argv)
			if len(out) != len(argv) {
				t.Fatalf("%v: length %d -> %d", rules, len(argv), len(out))
			}
			if again := p.ScrubArgv(rules, out); !slices.Equal(again, out) {
				t.Fatalf("%v not idempotent on %q:\n %q\n %q", rules, argv, out, again)
			}
			if again := p.ScrubArgv(Upstream, out); !slices.Equal(again, out) {
				t.Fatalf("%v output not an Upstream fixed point on %q:\n %q\n %q", rules, argv, out, again)
			}
		}
	})
}

// FuzzScrubValue: the same properties for single values.
func FuzzScrubValue(f *testing.F) {
	for _, c := range loadSpecCases(f) {
		for _, a := range c.Argv {
			f.Add(a, false)
		}
	}
	for _, c := range loadCorpus(f)[:60] {
		f.Add(strings.Join(c.Argv, " "), false)
	}
	policies := fuzzPolicies()
	f.Fuzz(func(t *testing.T, s string, custom bool) {
		p := policies[0]
		if custom {
			p = policies[1]
		}
		for _, rules := range []Rules{Upstream, Default} {
			out := p.scrubValue(rules, s)
			if again := p.scrubValue(rules, out); again != out {
				t.Fatalf("%v not idempotent on %q:\n %q\n %q", rules, s, out, again)
			}
			if again := p.scrubValue(Upstream, out); again != out {
				t.Fatalf("%v output not an Upstream fixed point on %q:\n %q\n %q", rules, s, out, again)
			}
			h := p.scrubHeaderLine(rules, s)
			if again := p.scrubHeaderLine(rules, h); again != h {
				t.Fatalf("%v header line not idempotent on %q:\n %q\n %q", rules, s, h, again)
			}
		}
	})
}

// FuzzParseConfig: any file gives a policy or an error naming the file,
// and a policy's diff rebuilds the same policy.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"[redaction]\nextra_flags = [\"--pat\"]\nunsafe_redaction_overrides = true\nallow_unredacted_defaults = [\"state\"]\n",
		"[redaction]\nrules = \"upstream\"\nextra_headers = [\"Private-Token\"]\n",
		"redaction.extra_query_keys = [\"sig\", \"X-Amz-Signature\"]\n",
		"[redaction]\nextra_env_vars = 3\n",
		"[profile]\nx = 1\n[redaction]\nfoo = \"bar\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConfig("config.toml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		p, err := c.Policy()
		if err != nil {
			t.Fatalf("checked config does not build: %v", err)
		}
		q, err := PolicyFromDiff(p.Diff())
		if err != nil || !q.equal(p) {
			t.Fatalf("diff does not rebuild the policy: %v", err)
		}
	})
}
