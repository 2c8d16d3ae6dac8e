package snapshot

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/fstree"
)

// Directory and file names inside a snapshot directory.
const (
	snapshotsDir = "snapshots"
	changesDir   = "changes"
	objectsDir   = "objects"
)

// maxDocument bounds a manifest or changes file read into memory.
const maxDocument = 1 << 30

// Manifest is one snapshot (snapshots/NNN.json). The first six fields
// are upstream's, in upstream's order; the rest are additions written
// after them, which upstream readers ignore.
type Manifest struct {
	Number     uint32
	Timestamp  string  // epoch seconds in decimal, as upstream writes it
	Parent     *uint32 // nil for the baseline
	Files      []fstree.File
	MerkleRoot fstree.Hash

	// Symlinks are the links of upstream's "symlinks" set known only by
	// path: upstream records every symlink under the roots there, without
	// its target, and keeps them out of Files and the root. Here a link to
	// a file is a leaf (docs/ROLLBACK.md §1) and other links are in Links;
	// the set is written as their union (with these), and on reading, the
	// paths already in Files or Links are not repeated here.
	Symlinks []string

	// Additions. Has* tell whether the manifest recorded them at all
	// (upstream manifests do not), which a restore must know: without a
	// directory list it cannot tell which directories the session made.
	Roots    []string
	Dirs     []fstree.Dir
	Links    []fstree.Link
	Skipped  []string
	Rules    *fstree.Rules // the exclusions of the walk, ignore files included
	HasDirs  bool
	HasLinks bool
}

// ManifestPath is dir/snapshots/NNN.json.
func ManifestPath(dir string, n int) string {
	return filepath.Join(dir, snapshotsDir, fmt.Sprintf("%03d.json", n))
}

// ReadManifest reads and parses snapshot n of the snapshot directory dir
// (a rollback session directory, or an audit session directory for an
// --audit-integrity session).
func ReadManifest(dir string, n int) (*Manifest, error) {
	p := ManifestPath(dir, n)
	data, err := readDocument(p)
	if err != nil {
		return nil, err
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

// WriteManifest writes m atomically as dir/snapshots/NNN.json (0600).
func WriteManifest(dir string, m *Manifest) error {
	sub := filepath.Join(dir, snapshotsDir)
	if err := mkdirPrivate(sub); err != nil {
		return err
	}
	return atomicfile.WriteFile(ManifestPath(dir, int(m.Number)), m.encode(), 0o600)
}

func readDocument(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := bytes.NewBuffer(nil)
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 && fi.Size() <= maxDocument {
		buf.Grow(int(fi.Size()) + 1)
	}
	_, err = buf.ReadFrom(io.LimitReader(f, maxDocument+1))
	data := buf.Bytes()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(data) > maxDocument {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, maxDocument)
	}
	return data, nil
}

// mkdirPrivate creates dir (and parents) with mode 0700.
func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}

// encode returns the manifest in serde's pretty form (no trailing
// newline). Files are written in tree order, so equal snapshots give
// equal bytes.
func (m *Manifest) encode() []byte {
	w := &objectWriter{buf: make([]byte, 0, 256+len(m.Files)*320)}
	w.begin()
	w.value("number", canon.UintValue(uint64(m.Number)))
	w.value("timestamp", canon.StringValue(m.Timestamp))
	parent := canon.NullValue()
	if m.Parent != nil {
		parent = canon.UintValue(uint64(*m.Parent))
	}
	w.value("parent", parent)
	files := w.nested("files")
	for i := range m.Files {
		files.key(fstree.EncodePath(m.Files[i].Path))
		files.buf = appendFile(files.buf, &m.Files[i])
	}
	w.close(files)
	w.value("symlinks", pathsValue(m.symlinkPaths()))
	w.value("merkle_root", canon.StringValue(fstree.Hex(m.MerkleRoot)))

	roots := make([]canon.Value, len(m.Roots))
	for i, r := range m.Roots {
		roots[i] = canon.StringValue(fstree.EncodePath(r))
	}
	w.value("roots", canon.ArrayValue(roots...))
	if m.HasDirs {
		dirs := w.nested("dirs")
		for _, d := range m.Dirs {
			dirs.value(fstree.EncodePath(d.Path), canon.UintValue(uint64(d.Mode)))
		}
		w.close(dirs)
	}
	if m.HasLinks {
		links := w.nested("links")
		for _, l := range m.Links {
			links.value(fstree.EncodePath(l.Path), canon.ObjectValue(fstree.TargetMember(l.Target)))
		}
		w.close(links)
	}
	skipped := make([]canon.Value, len(m.Skipped))
	for i, s := range m.Skipped {
		skipped[i] = canon.StringValue(fstree.EncodePath(s))
	}
	w.value("skipped", canon.ArrayValue(skipped...))
	if m.Rules != nil {
		w.value("exclusions", rulesValue(m.Rules))
	}
	w.end()
	return w.buf
}

// appendFile writes a file entry exactly as prettyAt(fileValue(f), 2)
// would, without building it (a manifest may hold 300,000 of them).
func appendFile(b []byte, f *fstree.File) []byte {
	const in = "\n      "
	b = append(b, "{"+in+`"hash": "`...)
	b = hex.AppendEncode(b, f.Hash[:])
	b = append(b, `",`+in+`"size": `...)
	b = strconv.AppendUint(b, uint64(max(f.Size, 0)), 10)
	b = append(b, ","+in+`"mtime": `...)
	b = strconv.AppendInt(b, f.Mtime, 10)
	b = append(b, ","+in+`"permissions": `...)
	b = strconv.AppendUint(b, uint64(f.Mode), 10)
	b = append(b, ","+in+`"type": "`...)
	b = append(b, f.Type.String()...)
	b = append(b, '"')
	if f.Type == fstree.Symlink {
		t := fstree.TargetMember(f.Target)
		b = append(b, ","+in...)
		b = canon.AppendString(b, t.Key)
		b = append(b, ": "...)
		b = canon.AppendString(b, t.Value.Str)
		if f.TargetOnly {
			b = append(b, ","+in+`"target_outside": true`...)
		}
	}
	if f.Cacheable {
		b = append(b, ","+in+`"mtime_ns": `...)
		b = strconv.AppendInt(b, f.MtimeNs, 10)
		b = append(b, ","+in+`"ctime_ns": `...)
		b = strconv.AppendInt(b, f.CtimeNs, 10)
		b = append(b, ","+in+`"inode": `...)
		b = strconv.AppendUint(b, f.Ino, 10)
		b = append(b, ","+in+`"device": `...)
		b = strconv.AppendUint(b, f.Dev, 10)
	}
	return append(b, "\n    }"...)
}

// fileValue is a file entry as a JSON object (the reference appendFile
// must match).
func fileValue(f *fstree.File) canon.Value {
	members := []canon.Member{
		{Key: "hash", Value: canon.StringValue(fstree.Hex(f.Hash))},
		{Key: "size", Value: canon.UintValue(uint64(max(f.Size, 0)))},
		{Key: "mtime", Value: canon.IntValue(f.Mtime)},
		{Key: "permissions", Value: canon.UintValue(uint64(f.Mode))},
		{Key: "type", Value: canon.StringValue(f.Type.String())},
	}
	if f.Type == fstree.Symlink {
		members = append(members, fstree.TargetMember(f.Target))
		if f.TargetOnly {
			members = append(members, canon.Member{Key: "target_outside", Value: canon.BoolValue(true)})
		}
	}
	if f.Cacheable {
		members = append(members,
			canon.Member{Key: "mtime_ns", Value: canon.IntValue(f.MtimeNs)},
			canon.Member{Key: "ctime_ns", Value: canon.IntValue(f.CtimeNs)},
			canon.Member{Key: "inode", Value: canon.UintValue(f.Ino)},
			canon.Member{Key: "device", Value: canon.UintValue(f.Dev)},
		)
	}
	return canon.ObjectValue(members...)
}

// symlinkPaths is the "symlinks" set to write: every link leaf, every
// link that is not a leaf, and whatever an upstream manifest read listed,
// in tree order.
func (m *Manifest) symlinkPaths() []string {
	out := slices.Clone(m.Symlinks)
	for i := range m.Files {
		if m.Files[i].Type == fstree.Symlink {
			out = append(out, m.Files[i].Path)
		}
	}
	for _, l := range m.Links {
		out = append(out, l.Path)
	}
	slices.SortFunc(out, fstree.Compare)
	return slices.Compact(out)
}

// pathOnlyLinks drops from Symlinks the links Files or Links describe.
func (m *Manifest) pathOnlyLinks() []string {
	known := map[string]bool{}
	for i := range m.Files {
		if m.Files[i].Type == fstree.Symlink {
			known[m.Files[i].Path] = true
		}
	}
	for _, l := range m.Links {
		known[l.Path] = true
	}
	out := slices.DeleteFunc(m.Symlinks, func(p string) bool { return known[p] })
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, fstree.Compare)
	return slices.Compact(out)
}

func pathsValue(ps []string) canon.Value {
	out := make([]canon.Value, len(ps))
	for i, p := range ps {
		out[i] = canon.StringValue(fstree.EncodePath(p))
	}
	return canon.ArrayValue(out...)
}

func rulesValue(r *fstree.Rules) canon.Value {
	files := make([]canon.Value, len(r.IgnoreFiles))
	for i, f := range r.IgnoreFiles {
		content := canon.Member{Key: "content", Value: canon.StringValue(string(f.Content))}
		if !utf8.Valid(f.Content) {
			content = canon.Member{Key: "content_b64", Value: canon.StringValue(base64.StdEncoding.EncodeToString(f.Content))}
		}
		files[i] = canon.ObjectValue(
			canon.Member{Key: "dir", Value: canon.StringValue(fstree.EncodePath(f.Dir))},
			canon.Member{Key: "kind", Value: canon.StringValue(f.Kind)},
			content,
		)
	}
	return canon.ObjectValue(
		canon.Member{Key: "names", Value: canon.StringsValue(nonNil(r.Names))},
		canon.Member{Key: "substrings", Value: canon.StringsValue(nonNil(r.Substrings))},
		canon.Member{Key: "globs", Value: canon.StringsValue(nonNil(r.Globs))},
		canon.Member{Key: "includes", Value: canon.StringsValue(nonNil(r.Includes))},
		canon.Member{Key: "paths", Value: pathsValue(r.Paths)},
		canon.Member{Key: "protected", Value: pathsValue(r.Protected)},
		canon.Member{Key: "gitignore", Value: canon.BoolValue(r.Gitignore)},
		canon.Member{Key: "ignore_files", Value: canon.ArrayValue(files...)},
	)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// parseManifest parses a manifest strictly: invalid JSON, duplicate keys,
// wrong types, missing upstream fields, malformed hashes and paths that
// are not clean absolute paths are errors. Unknown keys are skipped.
func parseManifest(data []byte) (*Manifest, error) {
	r := newReader(data)
	m := &Manifest{Files: make([]fstree.File, 0, len(data)/256)} // an entry takes about 300 bytes
	var have struct{ number, timestamp, files, root bool }
	err := r.object(func(key string) error {
		var err error
		switch key {
		case "number":
			var n uint64
			n, err = r.uint(1<<32 - 1)
			m.Number, have.number = uint32(n), true
		case "timestamp":
			m.Timestamp, err = r.str()
			have.timestamp = true
		case "parent":
			if r.null() {
				return nil
			}
			var n uint64
			n, err = r.uint(1<<32 - 1)
			p := uint32(n)
			m.Parent = &p
		case "files":
			have.files = true
			err = r.objectRaw(func(k []byte) error {
				p, err := decodeCleanPath(r, string(k))
				if err != nil {
					return err
				}
				f, err := parseFile(r)
				f.Path = p
				m.Files = append(m.Files, f)
				return err
			})
		case "symlinks":
			m.Symlinks, err = pathList(r)
		case "merkle_root":
			m.MerkleRoot, err = parseHash(r)
			have.root = true
		case "roots":
			m.Roots, err = pathList(r)
		case "dirs":
			m.HasDirs = true
			err = r.objectRaw(func(k []byte) error {
				p, err := decodeCleanPath(r, string(k))
				if err != nil {
					return err
				}
				mode, err := r.uint(1<<32 - 1)
				m.Dirs = append(m.Dirs, fstree.Dir{Path: p, Mode: uint32(mode)})
				return err
			})
		case "links":
			m.HasLinks = true
			err = r.object(func(k string) error {
				p, err := decodeCleanPath(r, k)
				if err != nil {
					return err
				}
				l := fstree.Link{Path: p}
				err = r.object(func(k string) error {
					switch k {
					case "target", "target_b64":
						var err error
						l.Target, err = parseTarget(r, k)
						return err
					}
					return r.skip()
				})
				m.Links = append(m.Links, l)
				return err
			})
		case "skipped":
			m.Skipped, err = pathList(r)
		case "exclusions":
			m.Rules, err = parseRules(r)
		default:
			err = r.skip()
		}
		return err
	})
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !have.number:
		return nil, errors.New(`missing field "number"`)
	case !have.timestamp:
		return nil, errors.New(`missing field "timestamp"`)
	case !have.files:
		return nil, errors.New(`missing field "files"`)
	case !have.root:
		return nil, errors.New(`missing field "merkle_root"`)
	}
	m.Files = fstree.SortFiles(m.Files)
	sortDirs(m.Dirs)
	sortLinks(m.Links)
	m.Symlinks = m.pathOnlyLinks()
	return m, nil
}

func decodeCleanPath(r *reader, s string) (string, error) {
	p, err := fstree.DecodePath(s)
	if err == nil {
		err = fstree.CleanAbs(p)
	}
	if err != nil {
		return "", r.errorf("%v", err)
	}
	return p, nil
}

func pathList(r *reader) ([]string, error) {
	var out []string
	err := r.array(func() error {
		s, err := r.str()
		if err != nil {
			return err
		}
		p, err := decodeCleanPath(r, s)
		out = append(out, p)
		return err
	})
	return out, err
}

func parseHash(r *reader) (fstree.Hash, error) {
	var h fstree.Hash
	b, err := r.strBytes()
	if err != nil {
		return h, err
	}
	if len(b) != 2*len(h) {
		return h, r.errorf("invalid hash %q: want 64 hex digits", b)
	}
	if _, err := hex.Decode(h[:], b); err != nil {
		return h, r.errorf("invalid hash %q: want 64 hex digits", b)
	}
	return h, nil
}

func parseTarget(r *reader, key string) (string, error) {
	s, err := r.str()
	if err != nil || key == "target" {
		return s, err
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return "", r.errorf("invalid target_b64: %v", err)
	}
	return string(b), nil
}

func parseFile(r *reader) (fstree.File, error) {
	var f fstree.File
	var have struct{ hash, size, mtime, perm bool }
	var cache int
	err := r.objectRaw(func(key []byte) error {
		var err error
		switch string(key) {
		case "hash":
			f.Hash, err = parseHash(r)
			have.hash = true
		case "size":
			var n uint64
			n, err = r.uint(1<<63 - 1)
			f.Size, have.size = int64(n), true
		case "mtime":
			f.Mtime, err = r.int()
			have.mtime = true
		case "permissions":
			var n uint64
			n, err = r.uint(1<<32 - 1)
			f.Mode, have.perm = uint32(n), true
		case "type":
			var t []byte
			t, err = r.strBytes()
			switch string(t) {
			case "file":
				f.Type = fstree.Regular
			case "symlink":
				f.Type = fstree.Symlink
			default:
				if err == nil {
					err = r.errorf("unknown file type %q", t)
				}
			}
		case "target", "target_b64":
			f.Target, err = parseTarget(r, string(key))
		case "target_outside":
			f.TargetOnly, err = r.boolean()
		case "mtime_ns":
			f.MtimeNs, err = r.int()
			cache++
		case "ctime_ns":
			f.CtimeNs, err = r.int()
			cache++
		case "inode":
			f.Ino, err = r.uint(1<<64 - 1)
			cache++
		case "device":
			f.Dev, err = r.uint(1<<64 - 1)
			cache++
		default:
			err = r.skip()
		}
		return err
	})
	if err != nil {
		return f, err
	}
	if !have.hash || !have.size || !have.mtime || !have.perm {
		return f, r.errorf("file entry needs hash, size, mtime and permissions")
	}
	f.Cacheable = cache == 4
	return f, nil
}

func parseRules(r *reader) (*fstree.Rules, error) {
	rules := &fstree.Rules{Frozen: true}
	err := r.object(func(key string) error {
		var err error
		switch key {
		case "names":
			rules.Names, err = r.stringList()
		case "substrings":
			rules.Substrings, err = r.stringList()
		case "globs":
			rules.Globs, err = r.stringList()
		case "includes":
			rules.Includes, err = r.stringList()
		case "paths":
			rules.Paths, err = pathList(r)
		case "protected":
			rules.Protected, err = pathList(r)
		case "gitignore":
			rules.Gitignore, err = r.boolean()
		case "ignore_files":
			err = r.array(func() error {
				var f fstree.IgnoreFile
				err := r.object(func(k string) error {
					var err error
					switch k {
					case "dir":
						var s string
						if s, err = r.str(); err == nil {
							f.Dir, err = decodeCleanPath(r, s)
						}
					case "kind":
						f.Kind, err = r.str()
						if err == nil && f.Kind != fstree.IgnoreKindGitignore && f.Kind != fstree.IgnoreKindExclude {
							err = r.errorf("unknown ignore file kind %q", f.Kind)
						}
					case "content":
						var s string
						s, err = r.str()
						f.Content = []byte(s)
					case "content_b64":
						var s string
						if s, err = r.str(); err == nil {
							f.Content, err = base64.StdEncoding.Strict().DecodeString(s)
						}
					default:
						err = r.skip()
					}
					return err
				})
				if err == nil && (f.Dir == "" || f.Kind == "") {
					err = r.errorf("ignore file entry needs dir and kind")
				}
				rules.IgnoreFiles = append(rules.IgnoreFiles, f)
				return err
			})
		default:
			err = r.skip()
		}
		return err
	})
	return rules, err
}

// timestamp is the manifest form of a time: epoch seconds in decimal.
func timestamp(unix int64) string { return strconv.FormatInt(unix, 10) }
