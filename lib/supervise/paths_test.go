package supervise

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/launch/launchtest"
	"github.com/nono-audit/nono/lib/sandbox"
)

func TestTrackedPaths(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"proj/sub", "other", "data", "proj2"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(root+"/other", root+"/otherlink"); err != nil {
		t.Fatal(err)
	}
	launchtest.WriteFile(t, root+"/file", "x", 0o644)
	cwd := root + "/proj"
	w := func(p string) Grant { return Grant{Path: p, Access: sandbox.ReadWrite, Source: "--allow"} }
	r := func(p string) Grant { return Grant{Path: p, Access: sandbox.Read, Source: "--read"} }
	wo := func(p string) Grant { return Grant{Path: p, Access: sandbox.Write, Source: "--write"} }
	file := func(p string) Grant {
		return Grant{Path: p, Access: sandbox.ReadWrite, File: true, Source: "--allow-file"}
	}

	tests := []struct {
		name         string
		grants       []Grant
		writableOnly bool
		want         []string
	}{
		{"none", nil, false, []string{}},
		{"order kept without cwd", []Grant{w(root + "/other"), r(root + "/data")}, false,
			[]string{root + "/other", root + "/data"}},
		{"cwd swapped to 0", []Grant{w(root + "/other"), r(root + "/data"), w(cwd)}, false,
			[]string{cwd, root + "/data", root + "/other"}},
		{"below cwd swapped", []Grant{w(root + "/other"), w("sub")}, false,
			[]string{cwd + "/sub", root + "/other"}},
		{"above cwd swapped", []Grant{r(root + "/data"), w(root)}, false,
			[]string{root, root + "/data"}},
		{"only the first match moves", []Grant{w(root + "/other"), w("sub"), w(cwd)}, false,
			[]string{cwd + "/sub", root + "/other", cwd}},
		{"a sibling with a common prefix is not inside", []Grant{w(root + "/other"), w(root + "/proj2")}, false,
			[]string{root + "/other", root + "/proj2"}},
		{"links resolved and merged", []Grant{r(root + "/otherlink"), w(root + "/other/")}, false,
			[]string{root + "/other"}},
		{"writable only", []Grant{r(root + "/data"), w(root + "/other"), r(cwd)}, true,
			[]string{root + "/other"}},
		{"a read grant made writable by a second grant", []Grant{r(root + "/data"), w(root + "/data")}, true,
			[]string{root + "/data"}},
		{"writable only, and nothing writable", []Grant{r(root + "/data"), r(cwd)}, true,
			[]string{}},
		{"relative to cwd", []Grant{r("../data")}, false, []string{root + "/data"}},
		{"write-only counts as writable", []Grant{r(root + "/data"), wo(root + "/other")}, true,
			[]string{root + "/other"}},
		{"file grants are not tracked", []Grant{file(root + "/file"), r(root + "/data")}, false,
			[]string{root + "/data"}},
	}
	for _, tt := range tests {
		got, err := TrackedPaths(tt.grants, cwd, tt.writableOnly)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}

	bad := []struct {
		grant Grant
		msg   string
	}{
		{w(root + "/missing"), "--allow \"" + root + "/missing\": no such file or directory"},
		{r(root + "/file"), "not a directory"},
		{w("bad\xffname"), "not valid UTF-8"},
		{Grant{Path: "", Source: "NONO_ALLOW"}, "NONO_ALLOW: empty path"},
	}
	for _, b := range bad {
		_, err := TrackedPaths([]Grant{w(root + "/other"), b.grant}, cwd, false)
		if err == nil || !strings.Contains(err.Error(), b.msg) {
			t.Errorf("grant %q: err = %v, want it to say %q", b.grant.Path, err, b.msg)
		}
	}
}

func TestGrants(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NONO_ALLOW" {
				return v
			}
			return ""
		}
	}
	got := sandbox.GrantFlags{Read: []string{"r"}, Write: []string{"w"}, ReadFile: []string{"f"}, AllowCwd: true}.Grants(env("x,,y"), "/cwd")
	want := []Grant{
		{Path: "x", Access: sandbox.ReadWrite, Source: "NONO_ALLOW"},
		{Path: "y", Access: sandbox.ReadWrite, Source: "NONO_ALLOW"},
		{Path: "r", Access: sandbox.Read, Source: "--read"},
		{Path: "w", Access: sandbox.Write, Source: "--write"},
		{Path: "f", Access: sandbox.Read, File: true, Source: "--read-file"},
		{Path: "/cwd", Access: sandbox.Read, Source: "--allow-cwd"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Grants with NONO_ALLOW = %+v, want %+v", got, want)
	}
	if args := sandbox.Args(got); strings.Join(args, " ") != "--allow=x --allow=y --read=r --write=w --read-file=f --allow-cwd" {
		t.Errorf("Args = %q", args)
	}
	// --allow on the command line replaces NONO_ALLOW, like clap's env.
	got = sandbox.GrantFlags{Allow: []string{"a,b"}}.Grants(env("x"), "/cwd")
	want = []Grant{{Path: "a,b", Access: sandbox.ReadWrite, Source: "--allow"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Grants with --allow = %+v, want %+v", got, want)
	}
}

// Grant is the sandbox's grant, which also decides the tracked paths.
type Grant = sandbox.Grant
