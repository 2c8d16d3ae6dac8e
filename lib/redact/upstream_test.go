package redact

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"

	"github.com/nono-audit/nono/lib/canon"
)

// specCase is one line of testdata/vectors/redaction-cases.ndjson (the upstream
// vectors of the redaction spec).
type specCase struct {
	ID         string          `json:"id"`
	Note       string          `json:"note"`
	Argv       []string        `json:"argv"`
	Expect     []string        `json:"expect"`
	Policy     *specPolicy     `json:"policy"`
	ExpectDiff json.RawMessage `json:"expect_diff"`
}

type specPolicy struct {
	ExtraFlags               []string `json:"extra_flags"`
	ExtraHeaders             []string `json:"extra_headers"`
	ExtraQueryKeys           []string `json:"extra_query_keys"`
	ExtraEnvVars             []string `json:"extra_env_vars"`
	UnsafeRedactionOverrides bool     `json:"unsafe_redaction_overrides"`
	AllowUnredactedDefaults  []string `json:"allow_unredacted_defaults"`
}

func (c *specCase) policy(t *testing.T) *Policy {
	t.Helper()
	if c.Policy == nil {
		return DefaultPolicy()
	}
	cfg := &Config{
		ExtraFlags:               c.Policy.ExtraFlags,
		ExtraHeaders:             c.Policy.ExtraHeaders,
		ExtraQueryKeys:           c.Policy.ExtraQueryKeys,
		ExtraEnvVars:             c.Policy.ExtraEnvVars,
		UnsafeRedactionOverrides: c.Policy.UnsafeRedactionOverrides,
		AllowUnredactedDefaults:  c.Policy.AllowUnredactedDefaults,
	}
	p, err := cfg.Policy()
	if err != nil {
		t.Fatalf("%s: policy: %v", c.ID, err)
	}
	return p
}

func loadSpecCases(t testing.TB) []specCase {
	t.Helper()
	f, err := os.Open(vectors.Path("redaction-cases.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []specCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var c specCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("redaction-cases.ndjson: %v", err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestUpstreamSpecCases(t *testing.T) {
	cases := loadSpecCases(t)
	if len(cases) != 108 {
		t.Fatalf("want 108 spec cases, have %d", len(cases))
	}
	for _, c := range cases {
		p := c.policy(t)
		got := p.ScrubArgv(Upstream, c.Argv)
		if !slices.Equal(got, c.Expect) {
			t.Errorf("%s (%s):\n in   %q\n got  %q\n want %q", c.ID, c.Note, c.Argv, got, c.Expect)
		}
		if again := p.ScrubArgv(Upstream, got); !slices.Equal(again, got) {
			t.Errorf("%s: not idempotent: %q -> %q", c.ID, got, again)
		}
		if c.Policy == nil {
			continue
		}
		want := "null"
		if len(c.ExpectDiff) > 0 {
			v, err := canon.Parse(c.ExpectDiff)
			if err != nil {
				t.Fatalf("%s: expect_diff: %v", c.ID, err)
			}
			want = string(canon.Compact(v))
		}
		if got := string(canon.Compact(p.Diff())); got != want {
			t.Errorf("%s: diff %s, want %s", c.ID, got, want)
		}
	}
}

// A single-element argv that is neither a flag nor a --flag=/--header=
// form is scrub_value of that element (spec §7).
func TestUpstreamValueMatchesSingleArgv(t *testing.T) {
	for _, c := range loadSpecCases(t) {
		if len(c.Argv) != 1 || strings.HasPrefix(c.Argv[0], "-") {
			continue
		}
		p := c.policy(t)
		if got := p.scrubValue(Upstream, c.Argv[0]); got != c.Expect[0] {
			t.Errorf("%s: ScrubValue %q = %q, want %q", c.ID, c.Argv[0], got, c.Expect[0])
		}
	}
}

func TestUpstreamValueExamples(t *testing.T) {
	p := DefaultPolicy()
	for _, tc := range []struct{ in, want string }{
		// §2.1 (A) header line
		{"Authorization: Bearer x", "Authorization: [REDACTED]"},
		{"Cookie:a=b", "Cookie:[REDACTED]"},
		{"  Cookie  :  x", "  Cookie  :  [REDACTED]"},
		{"Cookie:\tsid=1", "Cookie:\t[REDACTED]"},
		{"error: Authorization: Bearer x", "error: Authorization: Bearer x"},
		{"Authorization: Bearer x\nline2 https://u:p@h/?token=1", "Authorization: [REDACTED]"},
		// (B) userinfo
		{"https://alice:secret@example.com/api", "https://alice:[REDACTED]@example.com/api"},
		{"https://user:p@ss@host/x", "https://user:[REDACTED]@host/x"},
		{"redis://:pw@localhost:6379/0", "redis://:[REDACTED]@localhost:6379/0"},
		{"a://b@c:d@e/", "a://b@c:[REDACTED]@e/"},
		{"https://ghp_x@github.com/o/r", "https://ghp_x@github.com/o/r"},
		{"ftp://u:pa/ss@h/", "ftp://u:pa/ss@h/"},
		{"x https://a:b@h\vq://c:d@i", "x https://a:[REDACTED]@h\vq://c:d@i"},
		// (C) query
		{"what?code=42", "what?code=[REDACTED]"},
		{"https://h/?a=1#f?token=2 ?key=3", "https://h/?a=1#f?token=[REDACTED] ?key=[REDACTED]"},
		{"?token=", "?token=[REDACTED]"},
		{"?&&token=x&", "?&&token=[REDACTED]&"},
		{"?\u00a0token=x", "?\u00a0token=[REDACTED]"},
		{"?\u212aey=x", "?\u212aey=x"}, // KELVIN SIGN is not k
		{"?\u017fecret=x", "?\u017fecret=x"},
		{"", ""},
	} {
		if got := p.scrubValue(Upstream, tc.in); got != tc.want {
			t.Errorf("ScrubValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUpstreamEnvAndHeaderHelpers(t *testing.T) {
	p := DefaultPolicy()
	if got := p.scrubEnvName(Upstream, "openai_api_key"); got != marker {
		t.Errorf("env name: %q", got)
	}
	if got := p.scrubEnvName(Upstream, "PATH"); got != "PATH" {
		t.Errorf("env name PATH: %q", got)
	}
	got := p.scrubEnvValue(Upstream, "DB_URL", "postgres://u:p@h/db?password=x")
	if want := "postgres://u:[REDACTED]@h/db?password=[REDACTED]"; got != want {
		t.Errorf("env value: %q, want %q", got, want)
	}
	if got := p.scrubEnvValue(Upstream, "MY_TOKEN", "abc"); got != "abc" {
		t.Errorf("upstream env value MY_TOKEN: %q", got)
	}
	if got := p.scrubHeader(Upstream, " Cookie ", "a=b"); got != marker {
		t.Errorf("header: %q", got)
	}
	if got := p.scrubHeader(Upstream, "Accept", "https://u:p@h"); got != "https://u:p@h" {
		t.Errorf("upstream header leaves other values: %q", got)
	}
	if got := p.scrubHeaderLine(Upstream, "Authorization:Bearer x"); got != "Authorization: [REDACTED]" {
		t.Errorf("header line: %q", got)
	}
}
