package tests

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/snapshot"
	"github.com/nono-audit/nono/lib/stores"
)

// Commands for the filesystem and rollback scripts.
func init() {
	commands["mksession"] = cmdMkSession
	commands["treestate"] = cmdTreeState
	commands["fsroot"] = cmdFSRoot
	commands["objectof"] = cmdObjectOf
	commands["corruptobject"] = cmdCorruptObject
	commands["forgemanifest"] = cmdForgeManifest
}

// forgemanifest STOREDIR N [PATH=FILE...]: what an attacker with write
// access to a rollback store does after editing a manifest by hand: plant
// each PATH in snapshot N with FILE's content (storing a matching object)
// and recompute the manifest's merkle_root, so that it is consistent in
// itself.
func cmdForgeManifest(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: forgemanifest STOREDIR N [PATH=FILE...]")
	}
	dir := ts.MkAbs(args[0])
	n := atoi(ts, args[1])
	m, err := snapshot.ReadManifest(dir, n)
	ts.Check(err)
	store, err := snapshot.OpenStore(dir)
	ts.Check(err)
	for _, a := range args[2:] {
		p, file, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("want PATH=FILE, got %q", a)
		}
		data, err := os.ReadFile(ts.MkAbs(file))
		ts.Check(err)
		h, err := store.Bytes(data)
		ts.Check(err)
		m.Files = slices.DeleteFunc(m.Files, func(f fstree.File) bool { return f.Path == p })
		m.Files = append(m.Files, fstree.File{Path: p, Hash: h, Size: int64(len(data)), Mode: 0o100644})
	}
	m.Files = fstree.SortFiles(m.Files)
	m.MerkleRoot = fstree.Root(m.Files)
	ts.Check(snapshot.WriteManifest(dir, m))
}

// mksession ID TRACKED...: write a minimal session.json for session ID
// into the audit root ($XDG_STATE_HOME/nono/audit/ID), tracking the given
// paths (relative ones taken from $WORK, all made canonical).
func cmdMkSession(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: mksession ID [TRACKED...]")
	}
	root, err := stores.AuditRoot(ts.Getenv)
	ts.Check(err)
	dir := filepath.Join(root, args[0])
	ts.Check(os.MkdirAll(dir, 0o700))
	tracked := []string{}
	for _, p := range args[1:] {
		abs := ts.MkAbs(p)
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		tracked = append(tracked, abs)
	}
	s := &session.Session{
		SessionID:    args[0],
		Started:      event.FormatTime(time.Now()),
		Command:      []string{"sh", "-c", "agent"},
		TrackedPaths: tracked,
		MerkleRoots:  []string{},
	}
	ts.Check(session.Write(dir, s))
}

// treestate DIR: print every entry below DIR, one a line: type, path,
// permissions and content hash or link target. Two equal listings mean
// two trees equal byte for byte, modes included.
func cmdTreeState(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: treestate DIR")
	}
	dir := ts.MkAbs(args[0])
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		mode := fi.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			t, _ := os.Readlink(p)
			lines = append(lines, fmt.Sprintf("L %q -> %q", rel, t))
		case mode.IsDir():
			lines = append(lines, fmt.Sprintf("D %q %04o", rel, mode.Perm()))
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			lines = append(lines, fmt.Sprintf("F %q %04o %x", rel, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky), sum[:8]))
		}
		return nil
	})
	ts.Check(err)
	sort.Strings(lines)
	ts.Stdout().Write([]byte(strings.Join(lines, "\n") + "\n"))
}

// fsroot [-byteorder] DIR...: the filesystem Merkle root of the regular
// files under DIRs, computed independently of lib/fstree from the
// definition (leaf = SHA-256(0x00 ‖ path ‖ SHA-256(content)), node =
// SHA-256(0x01 ‖ left ‖ right), RFC 6962 split, component-wise order).
// -byteorder sorts paths as plain strings instead: the classic mistake.
func cmdFSRoot(ts *testscript.TestScript, neg bool, args []string) {
	byteOrder := len(args) > 0 && args[0] == "-byteorder"
	if byteOrder {
		args = args[1:]
	}
	type leaf struct {
		path string
		hash [32]byte
	}
	var leaves []leaf
	for _, a := range args {
		root, err := filepath.EvalSymlinks(ts.MkAbs(a))
		ts.Check(err)
		ts.Check(filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			content := sha256.Sum256(data)
			leaves = append(leaves, leaf{p, sha256.Sum256(append(append([]byte{0}, p...), content[:]...))})
			return nil
		}))
	}
	key := func(s string) []byte { return bytes.ReplaceAll([]byte(s), []byte("/"), []byte{0}) }
	sort.Slice(leaves, func(i, j int) bool {
		if byteOrder {
			return leaves[i].path < leaves[j].path
		}
		return bytes.Compare(key(leaves[i].path), key(leaves[j].path)) < 0
	})
	var mth func(ls []leaf) [32]byte
	mth = func(ls []leaf) [32]byte {
		switch len(ls) {
		case 0:
			return sha256.Sum256(nil)
		case 1:
			return ls[0].hash
		}
		k := 1
		for k*2 < len(ls) {
			k *= 2
		}
		l, r := mth(ls[:k]), mth(ls[k:])
		return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
	}
	root := mth(leaves)
	ts.Stdout().Write([]byte(hex.EncodeToString(root[:]) + "\n"))
}

// objectPath is where the object holding FILE's current content lives
// for the rollback session directory STOREDIR.
func objectPath(ts *testscript.TestScript, storeDir, file string) string {
	data, err := os.ReadFile(ts.MkAbs(file))
	ts.Check(err)
	store, err := snapshot.OpenStore(ts.MkAbs(storeDir))
	ts.Check(err)
	return store.ObjectPath(sha256.Sum256(data))
}

// objectof STOREDIR FILE: print the path of the object holding FILE's
// current content in a rollback session's object store.
func cmdObjectOf(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: objectof STOREDIR FILE")
	}
	p := objectPath(ts, args[0], args[1])
	if _, err := os.Stat(p); err != nil {
		ts.Fatalf("no object for %s: %v", args[1], err)
	}
	ts.Stdout().Write([]byte(p + "\n"))
}

// corruptobject STOREDIR FILE: flip the first byte of the object holding
// FILE's current content.
func cmdCorruptObject(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: corruptobject STOREDIR FILE")
	}
	p := objectPath(ts, args[0], args[1])
	obj, err := os.ReadFile(p)
	ts.Check(err)
	if len(obj) == 0 {
		ts.Fatalf("object %s is empty", p)
	}
	obj[0] ^= 1
	ts.Check(os.WriteFile(p, obj, 0o600))
}
