package inplace

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/sandbox"
)

func TestParseTakes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want Flags
	}{
		{[]string{"--no-audit", "--", "true"}, Flags{NoAudit: true, Command: []string{"true"}}},
		{[]string{"-s", "--no-audit", "--allow", "a", "-a", "b", "--allow=c", "--", "ls", "-l", "--", "x"},
			Flags{NoAudit: true, Silent: true, Grants: sandbox.GrantFlags{Allow: []string{"a", "b", "c"}}, Command: []string{"ls", "-l", "--", "x"}}},
		{[]string{"--read", "r", "-r", "r2", "--write=w", "-w", "w2", "--allow-file", "f1", "--read-file=f2", "--write-file", "f3",
			"--allow-cwd", "--block-net", "--allow-unsandboxed", "--silent", "--no-audit", "--", "cmd"},
			Flags{NoAudit: true, Silent: true, BlockNet: true, AllowUnsandboxed: true, Command: []string{"cmd"},
				Grants: sandbox.GrantFlags{Read: []string{"r", "r2"}, Write: []string{"w", "w2"}, AllowFile: []string{"f1"},
					ReadFile: []string{"f2"}, WriteFile: []string{"f3"}, AllowCwd: true}}},
		// A value with '=' in it, given either way.
		{[]string{"--no-audit", "--allow", "a=b", "--read=c=d", "--", "x"},
			Flags{NoAudit: true, Grants: sandbox.GrantFlags{Allow: []string{"a=b"}, Read: []string{"c=d"}}, Command: []string{"x"}}},
	} {
		got, ok := Parse(tc.args)
		if !ok || !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.args, got, ok, tc.want)
		}
	}
}

// TestParseLeaves: everything the parser would read otherwise, or that
// is not this path's, goes to nono-run.
func TestParseLeaves(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--no-audit"},
		{"--no-audit", "--"},   // no command
		{"--", "true"},         // recorded
		{"--no-audit", "true"}, // a command not after --
		{"--no-audit", "--dry-run", "--", "true"}, // another flag
		{"--no-audit", "--allow-domain", "x.com", "--", "true"},
		{"--no-audit", "--help"},
		{"--no-audit", "--allow", "", "--", "true"},      // empty value
		{"--no-audit", "--allow=", "--", "true"},         // empty value
		{"--no-audit", "--allow", "-x", "--", "true"},    // looks like a flag
		{"--no-audit", "--allow", "--", "true"},          // -- as the value
		{"--no-audit", "--allow", "a\xff", "--", "true"}, // not UTF-8
		{"--no-audit", "-a=x", "--", "true"},             // short with =
		{"--no-audit", "-ax", "--", "true"},              // short, attached
		{"--no-audit", "-sa", "x", "--", "true"},         // shorts combined
		{"--no-audit=true", "--", "true"},                // bool with a value
		{"--silent=false", "--no-audit", "--", "true"},
		{"--no-audit", "--allow"}, // a value missing
		{"--no-audit", "-", "--", "true"},
	} {
		if f, ok := Parse(args); ok {
			t.Errorf("Parse(%q) = %+v, taken; want it left to nono-run", args, f)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("--no-audit\x00--allow\x00a\x00--\x00true")
	f.Add("-s\x00--read=x\x00--no-audit\x00--\x00ls")
	f.Add("--no-audit\x00-a=x\x00--\x00true")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		got, ok := Parse(args)
		if !ok {
			return
		}
		// What is taken has a command after "--", --no-audit, and grant
		// values that nono-run's parser reads unchanged.
		if !got.NoAudit || len(got.Command) == 0 {
			t.Fatalf("Parse(%q) took %+v", args, got)
		}
		g := got.Grants
		for _, list := range [][]string{g.Allow, g.Read, g.Write, g.AllowFile, g.ReadFile, g.WriteFile} {
			for _, v := range list {
				if v == "" || v[0] == '-' {
					t.Fatalf("Parse(%q) took the value %q", args, v)
				}
			}
		}
	})
}

// env is a test's world: a HOME with no configuration file, and the
// variables given.
func env(t *testing.T, vars map[string]string) Env {
	t.Helper()
	home := t.TempDir()
	all := map[string]string{"HOME": home, "PATH": "/usr/bin:/bin"}
	for k, v := range vars {
		all[k] = v
	}
	var environ []string
	for k, v := range all {
		environ = append(environ, k+"="+v)
	}
	cwd := t.TempDir()
	return Env{Getenv: func(k string) string { return all[k] }, Environ: append(environ, ProgramEnv+"=nono run"), Cwd: cwd}
}

func TestPrepare(t *testing.T) {
	if sandbox.ABI(os.Getenv) == 0 {
		t.Skip("this kernel has no Landlock")
	}
	f, _ := Parse([]string{"--no-audit", "--allow-cwd", "--", "true"})
	e := env(t, nil)
	c, ok := Prepare(f, e)
	if !ok {
		t.Fatal("a plain run was left to nono-run")
	}
	c.Close()

	// Each of these is nono-run's to run (or refuse, in its own words).
	for name, tc := range map[string]struct {
		args  []string // $HOME is the test's HOME
		vars  map[string]string
		setup func(home string)
	}{
		"no landlock":     {vars: map[string]string{"NONO_TEST_NO_LANDLOCK": "1"}},
		"not found":       {args: []string{"--no-audit", "--", "no-such-command-anywhere"}},
		"missing grant":   {args: []string{"--no-audit", "--allow", "/no/such/dir", "--", "true"}},
		"protected store": {args: []string{"--no-audit", "--allow", "$HOME/.nono", "--", "true"}},
		"deny group":      {args: []string{"--no-audit", "--read", "$HOME/.ssh", "--", "true"}},
		"config file":     {setup: func(home string) { mkfile(t, filepath.Join(home, ".config", "nono", "config.toml")) }},
	} {
		e := env(t, tc.vars)
		home := e.Getenv("HOME")
		mkfile(t, filepath.Join(home, ".nono", "audit", "ledger.ndjson"))
		mkfile(t, filepath.Join(home, ".ssh", "id_ed25519"))
		if tc.setup != nil {
			tc.setup(home)
		}
		args := []string{"--no-audit", "--", "true"}
		if tc.args != nil {
			args = nil
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "$HOME", home))
			}
		}
		f, ok := Parse(args)
		if !ok {
			t.Fatalf("%s: Parse(%q) left it", name, args)
		}
		if c, ok := Prepare(f, e); ok {
			c.Close()
			t.Errorf("%s: taken; want it left to nono-run", name)
		}
	}
}

func mkfile(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestPrepareScrubs: the wrapper's name for this process does not reach
// the command, and its TMPDIR is the user's own directory.
func TestPrepareScrubs(t *testing.T) {
	if sandbox.ABI(os.Getenv) == 0 {
		t.Skip("this kernel has no Landlock")
	}
	f, _ := Parse([]string{"--no-audit", "--", "true"})
	e := env(t, nil)
	c, ok := Prepare(f, e)
	if !ok {
		t.Fatal("left to nono-run")
	}
	defer c.Close()
	tmp := ""
	for _, kv := range c.Env() {
		if strings.HasPrefix(kv, ProgramEnv+"=") {
			t.Errorf("the command gets %s", kv)
		}
		if v, ok := strings.CutPrefix(kv, "TMPDIR="); ok {
			tmp = v
		}
	}
	if want, _ := sandbox.UserTmpDir(sandbox.TmpBase(e.Getenv)); tmp != want {
		t.Errorf("TMPDIR=%q, want %q", tmp, want)
	}
}
