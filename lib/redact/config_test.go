package redact

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nono-audit/nono/lib/canon"
)

func TestLoadConfigMissingIsDefault(t *testing.T) {
	for _, path := range []string{"", filepath.Join(t.TempDir(), "nope.toml")} {
		p, rules, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if rules != Default || !p.equal(DefaultPolicy()) || p.Diff().Kind != canon.Null {
			t.Errorf("%q: not the default", path)
		}
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigBuildsPolicy(t *testing.T) {
	path := writeConfig(t, `
[profile]
anything = 1

[redaction]
extra_flags = ["--private-token", " --PAT "]
extra_headers = ["Private-Token"]
extra_query_keys = ["sig"]
extra_env_vars = ["CONFIGURED_ENV"]
unsafe_redaction_overrides = true
allow_unredacted_defaults = ["state", "--pat"]
rules = "upstream"
`)
	p, rules, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if rules != Upstream {
		t.Errorf("rules = %v", rules)
	}
	got := string(canon.Compact(p.Diff()))
	want := `{"added_flags":["--private-token"],"added_headers":["private-token"],"added_query_keys":["sig"],"removed_query_keys":["state"],"added_env_vars":["configured_env"]}`
	if got != want {
		t.Errorf("diff %s\nwant %s", got, want)
	}
	q, err := PolicyFromDiff(p.Diff())
	if err != nil || !q.equal(p) {
		t.Errorf("PolicyFromDiff round trip: %v", err)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"[redaction]\nextra_flags = \"--x\"\n", ":2: redaction.extra_flags: want an array of strings, got a string"},
		{"[redaction]\n\nextra_flags = [\"a\", 1]\n", ":3: redaction.extra_flags: want an array of strings, element 2 is an integer"},
		{"[redaction]\nunsafe_redaction_overrides = \"yes\"\n", ":2: redaction.unsafe_redaction_overrides: want a boolean, got a string"},
		{"[redaction]\nrules = \"strict\"\n", `:2: redaction.rules: unknown redaction rules "strict"`},
		{"[redaction]\nrules = 1\n", `:2: redaction.rules: want "upstream" or "default", got an integer`},
		{"redaction = 3\n", ":1: redaction: want a table, got an integer"},
		{"[redaction]\nextra_flags = [\n", ":2: redaction.extra_flags: "},
		{"[redaction]\nextra_flags = [\"a\"]\nextra_flags = [\"b\"]\n", ":3: "},
		{"[redaction]\nallow_unredacted_defaults = [\"state\"]\n",
			":2: Configuration parse error: [redaction].allow_unredacted_defaults requires unsafe_redaction_overrides = true"},
		{"[redaction]\nunsafe_redaction_overrides = false\nallow_unredacted_defaults = [\"state\"]\n",
			":3: Configuration parse error: [redaction].allow_unredacted_defaults requires unsafe_redaction_overrides = true"},
		{"[redaction]\nextra_flags = [\"[Redacted]\"]\n", ":2: redaction.extra_flags: name \"[Redacted]\" contains the redaction marker"},
	} {
		path := writeConfig(t, tc.text)
		_, _, err := LoadConfig(path)
		if err == nil {
			t.Errorf("%q: no error", tc.text)
			continue
		}
		if !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got  %v\n want %s%s", tc.text, err, path, tc.want)
		}
	}
}

func TestConfigUnknownKeysWarn(t *testing.T) {
	path := writeConfig(t, "[redaction]\nextra_flag = [\"--x\"]\nextra_flags = [\"--y\"]\n")
	c, err := ReadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || c.Warnings[0] != path+":2: redaction.extra_flag: unknown key, ignored" {
		t.Errorf("warnings %q", c.Warnings)
	}
	if len(c.ExtraFlags) != 1 || c.ExtraFlags[0] != "--y" {
		t.Errorf("extra_flags %q", c.ExtraFlags)
	}
}

func TestDottedAndInlineTables(t *testing.T) {
	for _, text := range []string{
		"redaction.extra_flags = [\"--pat\"]\n",
		"redaction = { extra_flags = [\"--pat\"] }\n",
	} {
		p, _, err := LoadConfig(writeConfig(t, text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if !p.has(flags, "--PAT") {
			t.Errorf("%q: --pat not added", text)
		}
	}
}

func TestPolicyNamesMatchASCIIOnly(t *testing.T) {
	p := DefaultPolicy()
	p.add(flags, "-P")
	for _, tc := range []struct {
		c    category
		name string
		want bool
	}{
		{flags, "-p", true},
		{flags, " -P\t", true},
		{queryKeys, "\u212aey", false},
		{queryKeys, "KEY", true},
		{flags, "--\u017fecret", false},
		{headers, "\u00a0Cookie\u00a0", true},
		{envVars, "github_token", true},
		{flags, strings.Repeat("x", 100), false},
	} {
		if got := p.has(tc.c, tc.name); got != tc.want {
			t.Errorf("Has(%v, %q) = %v", tc.c, tc.name, got)
		}
	}
}

func TestPolicyFromDiffErrors(t *testing.T) {
	for _, text := range []string{`3`, `{"added_flag":["x"]}`, `{"added_flags":"x"}`, `{"added_flags":[1]}`} {
		v, err := canon.Parse([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := PolicyFromDiff(v); err == nil {
			t.Errorf("%s: no error", text)
		}
	}
	p, err := PolicyFromDiff(canon.NullValue())
	if err != nil || !p.equal(DefaultPolicy()) {
		t.Errorf("null diff: %v", err)
	}
}

func TestConfigMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero.toml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, []byte("#"+strings.Repeat("x", maxConfigSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo: "is not a regular file",
		zero: "is not a regular file",
		dir:  "is not a regular file",
		big:  "is larger than",
	} {
		_, _, err := LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got %v, want an error naming it that says %q", path, err, want)
		}
	}
	// A symlink to a regular file (a dotfiles checkout) is read.
	real := writeConfig(t, "[redaction]\nextra_flags = [\"--x\"]\n")
	link := filepath.Join(dir, "link.toml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if c, err := ReadConfig(link); err != nil || len(c.ExtraFlags) != 1 {
		t.Errorf("symlinked config: %v", err)
	}
}
