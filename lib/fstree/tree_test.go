package fstree

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"
)

type vectorFile struct {
	Path        string `json:"path"`
	Content     string `json:"content"`
	ContentHash string `json:"content_hash"`
}

type vector struct {
	Files     []vectorFile `json:"files"`
	Order     []string     `json:"order"`
	Root      string       `json:"root"`
	WrongRoot string       `json:"wrong_byte_order_root_prefix"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	data, err := os.ReadFile(vectors.Path("fs_vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Vectors
}

func filesOf(v vector) []File {
	var files []File
	for _, f := range v.Files {
		files = append(files, File{Path: f.Path, Hash: sha256.Sum256([]byte(f.Content))})
	}
	return files
}

func TestSpecVectors(t *testing.T) {
	for i, v := range loadVectors(t) {
		files := filesOf(v)
		for j, f := range v.Files {
			if f.ContentHash != "" && Hex(files[j].Hash) != f.ContentHash {
				t.Errorf("vector %d: content hash of %s = %s, want %s", i, f.Path, Hex(files[j].Hash), f.ContentHash)
			}
		}
		files = SortFiles(files)
		if v.Order != nil {
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			if !slices.Equal(got, v.Order) {
				t.Errorf("vector %d: order %q, want %q", i, got, v.Order)
			}
		}
		if got := Hex(Root(files)); got != v.Root {
			t.Errorf("vector %d: root %s, want %s", i, got, v.Root)
		}
		if v.WrongRoot != "" {
			// Plain byte order is the classic mistake: it must give the
			// documented wrong root, and Root must never produce it.
			wrong := filesOf(v)
			sort.Slice(wrong, func(a, b int) bool { return wrong[a].Path < wrong[b].Path })
			if got := Hex(Root(wrong)); !strings.HasPrefix(got, v.WrongRoot) {
				t.Errorf("vector %d: byte-order root %s, want prefix %s", i, got, v.WrongRoot)
			}
			if strings.HasPrefix(Hex(Root(files)), v.WrongRoot) {
				t.Errorf("vector %d: component order produced the byte-order root", i)
			}
		}
	}
}

// rfc6962 is the recursive definition: split at the largest power of two
// below n. The level-by-level build must agree with it for every size.
func rfc6962(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return EmptyRoot
	}
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return nodeHash(rfc6962(leaves[:k]), rfc6962(leaves[k:]))
}

func TestRootMatchesRFC6962Shape(t *testing.T) {
	var leaves []Hash
	for n := 0; n <= 70; n++ {
		if got, want := rootOfLeaves(leaves), rfc6962(leaves); got != want {
			t.Fatalf("n=%d: level build %x, recursive %x", n, got, want)
		}
		leaves = append(leaves, sha256.Sum256([]byte{byte(n), byte(n >> 8)}))
	}
}

func TestSingleFileRootIsLeaf(t *testing.T) {
	f := File{Path: "/x", Hash: sha256.Sum256([]byte("y"))}
	if Root([]File{f}) != leafHash(f.Path, f.Hash) {
		t.Fatal("a single file's root is not its leaf hash")
	}
}

func TestCompare(t *testing.T) {
	ordered := []string{"/", "/p", "/p/a", "/p/a/b", "/p/a/b/c", "/p/a-b", "/p/a.txt", "/p/a0", "/p/b", "/q"}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(ordered[i], ordered[j]); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestSortFilesDropsDuplicates(t *testing.T) {
	files := SortFiles([]File{{Path: "/a/b", Size: 1}, {Path: "/a"}, {Path: "/a/b", Size: 2}})
	if len(files) != 2 || files[1].Path != "/a/b" || files[1].Size != 1 {
		t.Fatalf("got %+v", files)
	}
}

func TestEncodePath(t *testing.T) {
	for _, p := range []string{"/a/b", "/caf\xe9", "/\xff\xfe", "b64:/x", "/a\nb", ""} {
		enc := EncodePath(p)
		if !strings.HasPrefix(p, "b64:") && strings.HasPrefix(p, "/") && !strings.HasPrefix(enc, "/") && isUTF8(p) {
			t.Errorf("EncodePath(%q) = %q: a UTF-8 path must stay itself", p, enc)
		}
		dec, err := DecodePath(enc)
		if err != nil || dec != p {
			t.Errorf("DecodePath(EncodePath(%q)) = %q, %v", p, dec, err)
		}
	}
	if enc := EncodePath("/caf\xe9"); enc != "b64:L2NhZuk=" {
		t.Errorf("EncodePath = %q", enc)
	}
	for _, bad := range []string{"b64:!!", "b64:L2E=", "b64:L2NhZuk"} {
		if _, err := DecodePath(bad); err == nil {
			t.Errorf("DecodePath(%q) accepted", bad)
		}
	}
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestWithinAndRel(t *testing.T) {
	cases := []struct {
		path, root string
		rel        string
		ok         bool
	}{
		{"/a/b", "/a", "b", true},
		{"/a", "/a", "", true},
		{"/ab", "/a", "", false},
		{"/a/b/c", "/", "a/b/c", true},
		{"/x", "/a/b", "", false},
	}
	for _, c := range cases {
		rel, ok := Rel(c.root, c.path)
		if rel != c.rel || ok != c.ok {
			t.Errorf("Rel(%q, %q) = %q, %v", c.root, c.path, rel, ok)
		}
	}
	if join("/", "a") != "/a" || join("/p", "a/b") != "/p/a/b" || join("/p", "") != "/p" {
		t.Error("join")
	}
}

func TestCleanAbs(t *testing.T) {
	for _, ok := range []string{"/", "/a", "/a/b.c", "/a/..b", "/.x"} {
		if err := CleanAbs(ok); err != nil {
			t.Errorf("CleanAbs(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a", "/a/", "//a", "/a//b", "/a/./b", "/a/..", "/.", "/a\x00b"} {
		if CleanAbs(bad) == nil {
			t.Errorf("CleanAbs(%q) accepted", bad)
		}
	}
}
