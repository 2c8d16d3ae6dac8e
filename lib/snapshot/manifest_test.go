package snapshot

import (
	"bytes"
	"crypto/sha256"
	"reflect"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/fstree"
)

func sampleManifest() *Manifest {
	parent := uint32(0)
	rules := fstree.NewRules(fstree.Flags{Exclude: []string{"*.log", "build/out"}, Include: []string{"vendor"}})
	rules.Protected = []string{"/home/u/.local/state/nono/rollbacks"}
	rules = rules.Freeze([]fstree.IgnoreFile{
		{Dir: "/p", Kind: fstree.IgnoreKindGitignore, Content: []byte(".env\n# comment\n")},
		{Dir: "/p", Kind: fstree.IgnoreKindExclude, Content: []byte("\xff binary\n")},
	})
	files := []fstree.File{
		{Path: "/p/a.txt", Hash: sha256.Sum256([]byte("hello\n")), Size: 6, Mtime: 1776855600, Mode: 0o100644,
			MtimeNs: 1776855600123456789, CtimeNs: 1776855600123456789, Ino: 42, Dev: 2049, Cacheable: true},
		{Path: "/p/caf\xe9", Hash: sha256.Sum256(nil), Mode: 0o100600, Mtime: -5},
		{Path: "/p/link", Hash: sha256.Sum256([]byte("/etc/passwd")), Size: 11, Mode: 0o120777, Type: fstree.Symlink, Target: "/etc/passwd", TargetOnly: true},
		{Path: "/p/in", Hash: sha256.Sum256([]byte("hello\n")), Size: 6, Mode: 0o100644, Type: fstree.Symlink, Target: "a\xffb"},
	}
	files = fstree.SortFiles(files)
	return &Manifest{
		Number: 1, Timestamp: "1776855600", Parent: &parent,
		Files: files, MerkleRoot: fstree.Root(files),
		Roots:   []string{"/p"},
		Dirs:    []fstree.Dir{{Path: "/p", Mode: 0o40755}, {Path: "/p/sub", Mode: 0o40700}},
		Links:   []fstree.Link{{Path: "/p/d", Target: "sub"}},
		Skipped: []string{"/p/unreadable"},
		Rules:   &rules, HasDirs: true, HasLinks: true,
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := sampleManifest()
	data := m.encode()
	got, err := parseManifest(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, m)
	}
	if !bytes.Equal(got.encode(), data) {
		t.Fatal("re-encoding differs")
	}
	// The streaming writer gives exactly serde's pretty form: parse it
	// with canon and pretty-print it whole.
	v, err := canon.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(canon.Pretty(v), data) {
		t.Fatalf("not serde pretty:\n%s\n---\n%s", data, canon.Pretty(v))
	}
	if !strings.Contains(string(data), `"b64:L3AvY2Fm6Q=="`) && !strings.Contains(string(data), `"b64:`) {
		t.Fatal("non-UTF-8 path not encoded")
	}
}

func TestUpstreamManifestParses(t *testing.T) {
	// The shape upstream writes: five fields, hash-map key order, no type.
	up := `{
  "number": 0,
  "timestamp": "1776855600",
  "parent": null,
  "files": {
    "/p/a.txt": {
      "hash": "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
      "size": 6,
      "mtime": 1776855600,
      "permissions": 33188
    },
    "/p/a/b": {
      "hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "size": 0,
      "mtime": 1776855600,
      "permissions": 33188
    },
    "/p/a-b": {
      "hash": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
      "size": 1,
      "mtime": 1776855600,
      "permissions": 33188
    }
  },
  "merkle_root": "37fe84a1622f9b2275171b429d0381ff24fcf69f78b5359be5c40fc660feb373"
}`
	m, err := parseManifest([]byte(up))
	if err != nil {
		t.Fatal(err)
	}
	if m.Parent != nil || len(m.Files) != 3 || m.Files[0].Path != "/p/a/b" || m.Rules != nil || m.HasDirs {
		t.Fatalf("parsed %+v", m)
	}
	if fstree.Root(m.Files) != m.MerkleRoot {
		t.Fatal("upstream manifest root does not rebuild")
	}
}

func TestParseManifestRejects(t *testing.T) {
	base := string(sampleManifest().encode())
	cases := map[string]string{
		"duplicate key":   strings.Replace(base, `"number": 1,`, `"number": 1, "number": 2,`, 1),
		"missing root":    strings.Replace(base, `"merkle_root"`, `"merkle_rooX"`, 1),
		"bad hash":        strings.Replace(base, `"hash": "`, `"hash": "zz`, 1),
		"relative path":   strings.Replace(base, `"/p/a.txt"`, `"p/a.txt"`, 1),
		"dot-dot path":    strings.Replace(base, `"/p/a.txt"`, `"/p/../a.txt"`, 1),
		"float size":      strings.Replace(base, `"size": 6`, `"size": 6.0`, 1),
		"negative size":   strings.Replace(base, `"size": 6`, `"size": -6`, 1),
		"trailing data":   base + "x",
		"invalid utf-8":   strings.Replace(base, `"1776855600"`, "\"17\xff\"", 1),
		"unknown type":    strings.Replace(base, `"type": "file"`, `"type": "fifo"`, 1),
		"truncated":       base[:len(base)/2],
		"bad b64 path":    strings.Replace(base, `"b64:`, `"b64:!`, 1),
		"missing perms":   strings.Replace(base, `"permissions": 33188,`, ``, 1),
		"ignore kind":     strings.Replace(base, `"kind": "gitignore"`, `"kind": "other"`, 1),
		"deep unknown":    strings.Replace(base, `"number": 1,`, `"x": `+strings.Repeat("[", 200)+strings.Repeat("]", 200)+`, "number": 1,`, 1),
		"not an object":   `[]`,
		"string number":   strings.Replace(base, `"number": 1`, `"number": "1"`, 1),
		"parent negative": strings.Replace(base, `"parent": 0`, `"parent": -1`, 1),
	}
	for name, doc := range cases {
		if doc == base {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if _, err := parseManifest([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseErrorNamesTheLine(t *testing.T) {
	doc := "{\n  \"number\": 0,\n  \"timestamp\": 5\n}"
	_, err := parseManifest([]byte(doc))
	if err == nil || !strings.HasPrefix(err.Error(), "line 3:") {
		t.Fatalf("got %v", err)
	}
}

func TestChangesRoundTripAndDiff(t *testing.T) {
	h := func(s string) fstree.Hash { return sha256.Sum256([]byte(s)) }
	prev := fstree.SortFiles([]fstree.File{
		{Path: "/p/same", Hash: h("s"), Size: 1, Mode: 0o100644},
		{Path: "/p/mod", Hash: h("a"), Size: 1, Mode: 0o100644},
		{Path: "/p/del", Hash: h("d"), Size: 5, Mode: 0o100644},
		{Path: "/p/perm", Hash: h("p"), Size: 1, Mode: 0o100644},
		{Path: "/p/mtime", Hash: h("m"), Size: 1, Mode: 0o100644, Mtime: 1},
		{Path: "/p/swap", Hash: h("x"), Size: 1, Mode: 0o100644},
	})
	cur := fstree.SortFiles([]fstree.File{
		{Path: "/p/same", Hash: h("s"), Size: 1, Mode: 0o100644},
		{Path: "/p/mod", Hash: h("ab"), Size: 2, Mode: 0o100644},
		{Path: "/p/new", Hash: h("n"), Size: 3, Mode: 0o100644},
		{Path: "/p/perm", Hash: h("p"), Size: 1, Mode: 0o100755},
		{Path: "/p/mtime", Hash: h("m"), Size: 1, Mode: 0o100644, Mtime: 2},
		{Path: "/p/swap", Hash: h("x"), Size: 1, Mode: 0o100644, Type: fstree.Symlink, Target: "t"},
	})
	cs := Diff(prev, cur)
	var got []string
	for _, c := range cs {
		got = append(got, string(c.Type)+" "+c.Path)
	}
	want := "Deleted /p/del Modified /p/mod Created /p/new PermissionsChanged /p/perm Modified /p/swap"
	if strings.Join(got, " ") != want {
		t.Fatalf("diff %q", got)
	}
	if cs[0].SizeDelta != -5 || cs[1].SizeDelta != 1 || cs[2].SizeDelta != 3 || cs[3].SizeDelta != 0 {
		t.Fatalf("size deltas %+v", cs)
	}
	data := encodeChanges(cs)
	back, err := parseChanges(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cs) {
		t.Fatalf("round trip:\n%+v\n%+v", back, cs)
	}
	v, err := canon.Parse(data)
	if err != nil || !bytes.Equal(canon.Pretty(v), data) {
		t.Fatalf("not serde pretty: %v\n%s", err, data)
	}
	if string(encodeChanges(nil)) != "[]" {
		t.Fatal("empty changes")
	}
	// Upstream's entries (five fields) parse.
	up := `[{"path": "/p/a", "change_type": "Created", "size_delta": 3, "old_hash": null, "new_hash": "` + fstree.Hex(h("n")) + `"}]`
	if cs, err := parseChanges([]byte(up)); err != nil || len(cs) != 1 || cs[0].OldHash != nil {
		t.Fatalf("upstream changes: %v %+v", err, cs)
	}
	for _, bad := range []string{`{}`, `[{"path": "/p"}]`, `[{"path": "/p", "change_type": "Renamed", "size_delta": 0}]`, `[1]`, `[`} {
		if _, err := parseChanges([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add(sampleManifest().encode())
	f.Add([]byte(`{"number":0,"timestamp":"1","parent":null,"files":{},"merkle_root":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest(data)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to something that parses to the same.
		again, err := parseManifest(m.encode())
		if err != nil {
			t.Fatalf("re-encoded manifest does not parse: %v", err)
		}
		if !reflect.DeepEqual(normalize(again), normalize(m)) {
			t.Fatalf("re-parse differs:\n%+v\n%+v", again, m)
		}
	})
}

// normalize clears what Encode does not carry.
func normalize(m *Manifest) *Manifest {
	c := *m
	if !c.HasDirs {
		c.Dirs = nil
	}
	if !c.HasLinks {
		c.Links = nil
	}
	if len(c.Roots) == 0 {
		c.Roots = nil
	}
	if len(c.Skipped) == 0 {
		c.Skipped = nil
	}
	if len(c.Dirs) == 0 {
		c.Dirs = nil
	}
	if len(c.Links) == 0 {
		c.Links = nil
	}
	files := make([]fstree.File, len(c.Files))
	for i, f := range c.Files {
		if !f.Cacheable {
			f.MtimeNs, f.CtimeNs, f.Ino, f.Dev = 0, 0, 0, 0
		}
		if f.Type != fstree.Symlink {
			f.Target, f.TargetOnly = "", false
		}
		files[i] = f
	}
	c.Files = files
	if c.Rules != nil {
		r := *c.Rules
		for _, l := range []*[]string{&r.Names, &r.Substrings, &r.Globs, &r.Includes, &r.Paths, &r.Protected} {
			if len(*l) == 0 {
				*l = nil
			}
		}
		if len(r.IgnoreFiles) == 0 {
			r.IgnoreFiles = nil
		}
		for i := range r.IgnoreFiles {
			if len(r.IgnoreFiles[i].Content) == 0 {
				r.IgnoreFiles[i].Content = nil
			}
		}
		c.Rules = &r
	}
	return &c
}

func FuzzParseChanges(f *testing.F) {
	f.Add(encodeChanges([]Change{{Path: "/p/a", Type: Created, SizeDelta: 3}}))
	f.Add([]byte(`[{"path":"b64:L3AvY2Fm6Q==","change_type":"Deleted","size_delta":-1,"old_hash":null,"new_hash":null}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := parseChanges(data)
		if err != nil {
			return
		}
		again, err := parseChanges(encodeChanges(cs))
		if err != nil {
			t.Fatalf("re-encoded changes do not parse: %v", err)
		}
		if len(again) != len(cs) {
			t.Fatalf("re-parse has %d entries, want %d", len(again), len(cs))
		}
		for i := range cs {
			if again[i].Path != cs[i].Path || again[i].Type != cs[i].Type || again[i].SizeDelta != cs[i].SizeDelta {
				t.Fatalf("entry %d differs: %+v vs %+v", i, again[i], cs[i])
			}
		}
	})
}

func FuzzDecodePath(f *testing.F) {
	f.Add("b64:L3AvY2Fm6Q==")
	f.Add("/plain")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := fstree.DecodePath(s)
		if err != nil {
			return
		}
		if fstree.EncodePath(p) != s {
			t.Fatalf("EncodePath(DecodePath(%q)) = %q", s, fstree.EncodePath(p))
		}
	})
}

func TestAppendFileMatchesPretty(t *testing.T) {
	for _, f := range sampleManifest().Files {
		want := prettyAt(nil, fileValue(&f), 2)
		if got := appendFile(nil, &f); !bytes.Equal(got, want) {
			t.Fatalf("appendFile:\n%s\nwant:\n%s", got, want)
		}
	}
}

func TestSymlinksSetIsWrittenWhereUpstreamHasIt(t *testing.T) {
	data := string(sampleManifest().encode())
	files, sym, root := strings.Index(data, `"files"`), strings.Index(data, `"symlinks"`), strings.Index(data, `"merkle_root"`)
	if !(files >= 0 && files < sym && sym < root) {
		t.Fatalf("symlinks not between files and merkle_root:\n%s", data)
	}
	want := `"symlinks": [
    "/p/d",
    "/p/in",
    "/p/link"
  ],`
	if !strings.Contains(data, want) {
		t.Fatalf("want %s in\n%s", want, data)
	}
	// Always written, as upstream's serde does, even when empty.
	m := &Manifest{Timestamp: "1", MerkleRoot: fstree.EmptyRoot}
	if !strings.Contains(string(m.encode()), `"symlinks": [],`) {
		t.Fatalf("no empty set:\n%s", m.encode())
	}
}

func TestUpstreamSymlinksSetIsRead(t *testing.T) {
	// Upstream since it keeps every symlink out of the file root: the
	// links by path, between files and merkle_root.
	up := `{
  "number": 0,
  "timestamp": "1776855600",
  "parent": null,
  "files": {
    "/p/a.txt": {
      "hash": "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
      "size": 6,
      "mtime": 1776855600,
      "permissions": 33188
    }
  },
  "symlinks": [
    "/p/z-link",
    "/p/a-link"
  ],
  "merkle_root": "1069293f0fc65865d8b67d9f1187b7c233201fbacb170da786d36faa2b8012a5"
}`
	m, err := parseManifest([]byte(up))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Symlinks, []string{"/p/a-link", "/p/z-link"}) || fstree.Root(m.Files) != m.MerkleRoot {
		t.Fatalf("parsed %+v", m)
	}
	again, err := parseManifest(m.encode())
	if err != nil || !reflect.DeepEqual(again.Symlinks, m.Symlinks) {
		t.Fatalf("re-encoded: %v %+v", err, again)
	}
	// Our own manifest read back keeps no duplicates of what Files and
	// Links describe.
	ours, err := parseManifest(sampleManifest().encode())
	if err != nil || ours.Symlinks != nil {
		t.Fatalf("%v %q", err, ours.Symlinks)
	}
}
