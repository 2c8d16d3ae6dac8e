package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResolverAgrees: the resolver gives exactly what EvalSymlinks and a
// stat give, for the default profile's paths on this machine and for a
// tree of links of every kind (absolute, relative, through "..", chained,
// dangling, looping, through a file).
func TestResolverAgrees(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := func(p string) {
		if err := os.WriteFile(filepath.Join(root, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/lib/x")
	mk("usr/share/zone/Etc")
	file("usr/share/zone/Etc/UTC")
	file("usr/lib/os-release")
	link("usr/lib", "lib")                          // relative, to a directory
	link(filepath.Join(root, "usr/share"), "share") // absolute
	link("../usr/lib/os-release", "usr/os-release") // through ..
	link("lib/x/../x", "chain")                     // .. after a link
	link("chain", "chain2")                         // a link to a link
	link("nowhere", "dangling")
	link("loop2", "loop1")
	link("loop1", "loop2")
	link("share/zone/Etc/UTC", "localtime")
	link("../..", "usr/lib/x/up") // .. through a link's own directory

	var paths []string
	for _, p := range []string{
		"", "lib", "lib/x", "lib/os-release", "share/zone/Etc/UTC", "usr/os-release",
		"chain", "chain2", "chain2/../lib", "dangling", "loop1", "localtime",
		"localtime/x", "usr/lib/os-release/x", "lib/x/up", "lib/x/up/share", "missing", "missing/x",
		"lib/../share", "lib/./x", "lib/x/",
	} {
		paths = append(paths, filepath.Join(root, p), root+"/"+p)
	}
	for _, g := range []group{systemRead, systemReadExtra, systemWrite} {
		paths = append(paths, g.paths...)
	}
	paths = append(paths, "relative/path", "/", "/proc/self", "/proc/self/fd")

	r := resolver{}
	for range 2 { // the second round answers from what the first learnt
		for _, p := range paths {
			got := r.resolve(p)
			var want resolved
			if cp, err := filepath.EvalSymlinks(p); err == nil {
				want = resolved{cp, isDir(cp), true}
			}
			if got != want {
				t.Errorf("resolve(%q) = %+v, EvalSymlinks and stat give %+v", p, got, want)
			}
		}
	}
}
