package fstree

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// FileType is the type of a leaf.
type FileType uint8

const (
	// Regular is a regular file, hashed by its content.
	Regular FileType = iota
	// Symlink is a symbolic link that is a leaf: one pointing at a regular
	// file inside the tracked roots (hashed by that file's content, as
	// upstream does) or one pointing at a file outside them (hashed by its
	// target path, so nothing outside the roots is ever read).
	Symlink
)

func (t FileType) String() string {
	if t == Symlink {
		return "symlink"
	}
	return "file"
}

// File is one leaf of the tree.
type File struct {
	Path  string // absolute, raw bytes (may be invalid UTF-8)
	Hash  Hash   // SHA-256 of the content (of the target path for TargetOnly links)
	Size  int64  // bytes hashed
	Mtime int64  // seconds since the epoch
	Mode  uint32 // full st_mode, type bits included (upstream's "permissions")
	Type  FileType
	// Symlinks only.
	Target     string // the link's target as stored in the link
	TargetOnly bool   // the target lies outside the tracked roots: hashed by path, not read

	// The stat cache key, valid when Cacheable: a later walk that finds
	// the same size, times, inode and device reuses Hash without reading.
	MtimeNs, CtimeNs int64
	Ino, Dev         uint64
	Cacheable        bool
}

// Dir is a directory of the tree (no leaf; recorded so a restore can
// recreate missing directories and remove ones the session created).
type Dir struct {
	Path string
	Mode uint32
}

// Link is a symlink that is not a leaf: dangling, or pointing at a
// directory or a special file. Upstream records nothing for these; they
// are kept beside the tree so a restore can put them back or remove them.
type Link struct {
	Path   string
	Target string
}

// Tree is the result of a walk.
type Tree struct {
	Roots       []string     // the tracked roots that exist, as walked
	Files       []File       // sorted with Compare
	Dirs        []Dir        // sorted with Compare, roots included
	Links       []Link       // sorted with Compare
	Skipped     []string     // files that could not be read, sorted
	IgnoreFiles []IgnoreFile // ignore files read from disk (live walks)
	Entries     int          // entries counted against the budget
	Bytes       int64        // sum of leaf sizes
	Hashed      int          // files read (the rest came from the stat cache)
	HashedBytes int64
}

// Root is the Merkle root of t's files.
func (t *Tree) Root() Hash { return Root(t.Files) }

// Budget bounds a walk; zero fields are unlimited.
type Budget struct {
	MaxEntries int
	MaxBytes   int64
}

// defaultBudget is upstream's hard limit on every snapshot walk.
var defaultBudget = Budget{MaxEntries: 300_000, MaxBytes: 2 << 30}

// BudgetError reports a walk that went over its budget.
type BudgetError struct {
	What  string // "entries" or "bytes"
	Count int64
	Limit int64
}

func (e *BudgetError) Error() string {
	if e.What == "bytes" {
		return fmt.Sprintf("walk budget exceeded: %d bytes tracked (limit: %d bytes)", e.Count, e.Limit)
	}
	return fmt.Sprintf("walk budget exceeded: visited %d entries (limit: %d)", e.Count, e.Limit)
}

// StatCache holds the leaves of an earlier walk of the same roots.
type StatCache interface {
	Lookup(path string) (File, bool)
}

// Sink consumes file content. Walk calls it from several goroutines.
type Sink interface {
	// File consumes an open regular file from offset 0 and returns the
	// SHA-256 of exactly the bytes it consumed and their number. buf is
	// scratch space owned by the caller; read, when not nil, is told of
	// the bytes as they are hashed (a progress line). A failure to read
	// the source is returned as a *SourceError; anything else aborts the
	// walk.
	File(f *os.File, buf []byte, read func(n int64)) (Hash, int64, error)
	// Bytes consumes a small in-memory content.
	Bytes(b []byte) (Hash, error)
}

// SourceError is a failure to read a tracked file (not of the sink).
type SourceError struct{ Err error }

func (e *SourceError) Error() string { return e.Err.Error() }
func (e *SourceError) Unwrap() error { return e.Err }

// hashSink hashes content and keeps nothing.
type hashSink struct{}

// File streams f through SHA-256.
func (hashSink) File(f *os.File, buf []byte, read func(n int64)) (Hash, int64, error) {
	h := sha256.New()
	n, err := copyBuffer(h, f, buf, read)
	if err != nil {
		return Hash{}, n, &SourceError{Err: err}
	}
	var out Hash
	h.Sum(out[:0])
	return out, n, nil
}

// Bytes hashes b.
func (hashSink) Bytes(b []byte) (Hash, error) { return sha256.Sum256(b), nil }

// copyBuffer copies src to dst through buf. Unlike io.CopyBuffer it never
// hands the copy to src.WriteTo, which would allocate its own buffer.
func copyBuffer(dst io.Writer, src io.Reader, buf []byte, read func(n int64)) (int64, error) {
	var n int64
	for {
		k, err := src.Read(buf)
		if k > 0 {
			dst.Write(buf[:k]) // hash writers never fail
			n += int64(k)
			if read != nil {
				read(int64(k))
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// Options configure Walk.
type Options struct {
	Rules  Rules
	Budget Budget
	Jobs   int       // files hashed in parallel; 0 means one per CPU
	Cache  StatCache // nil: read every file
	Sink   Sink      // nil: hashSink
	Warn   func(msg string)
	Now    time.Time // when the walk started; zero means now

	// Check, when set, is called once the tree has been read and before
	// any file is: with the number of entries and the bytes of the files
	// that will be read (the stat cache spares the rest). An error stops
	// the walk (a disk-space preflight, say).
	Check func(entries int, bytes int64) error

	// SizeHint is the number of leaves expected (an earlier walk's), to
	// size the work list once.
	SizeHint int

	// Progress, when set, learns how far the walk has got.
	Progress Progress
}

// Progress learns how far a walk has got: Start once the tree has been
// read, with the files and bytes left to read (the stat cache spares the
// rest), then Add as each is read. Add is called from several goroutines.
type Progress interface {
	Start(files int, bytes int64)
	Add(files int, bytes int64)
}

// racyWindow: a file changed this close to the walk's start may change
// again within the same timestamp tick without its times moving, so it is
// never trusted from the stat cache (git's "racily clean" entries).
const racyWindow = time.Second

// maxIgnoreFile bounds an ignore file read from disk.
const maxIgnoreFile = 1 << 20

// Walk walks roots (absolute, canonical paths; missing ones are skipped),
// applies the exclusion rules, and hashes every leaf. It never follows a
// symlink while descending and never reads a file outside the roots.
func Walk(roots []string, opts Options) (*Tree, error) {
	if opts.Sink == nil {
		opts.Sink = hashSink{}
	}
	if opts.Jobs <= 0 {
		opts.Jobs = maxProcs()
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	w := &walker{opts: opts, tree: &Tree{}, seenIgnore: map[string]bool{}, jobs: make([]job, 0, opts.SizeHint+opts.SizeHint/8)}
	defer w.closeRoots()
	for _, r := range roots {
		if err := CleanAbs(r); err != nil {
			return nil, fmt.Errorf("tracked root: %w", err)
		}
	}
	roots = slices.Clone(roots)
	slices.SortFunc(roots, Compare)
	roots = slices.Compact(roots)
	if err := w.openRoots(roots); err != nil {
		return nil, err
	}
	w.spawn = make(chan struct{}, max(opts.Jobs-1, 0))
	main := w.newCollector()
	for i := range w.roots {
		if err := w.walkRoot(i, main); err != nil {
			w.fail(err)
			break
		}
	}
	w.wg.Wait()
	if w.err != nil {
		return nil, w.err
	}
	w.merge()
	if err := w.checkBytes(); err != nil {
		return nil, err
	}
	toRead := w.resolveCached()
	if opts.Progress != nil {
		n := 0
		for i := range w.jobs {
			if !w.jobs[i].cacheHit && w.jobs[i].kind != jobLinkPath {
				n++
			}
		}
		opts.Progress.Start(n, toRead)
	}
	if opts.Check != nil {
		if err := opts.Check(w.tree.Entries, toRead); err != nil {
			return nil, err
		}
	}
	if err := w.hashAll(); err != nil {
		return nil, err
	}
	return w.finish(), nil
}

type walker struct {
	opts       Options
	tree       *Tree
	roots      []walkRoot
	jobs       []job
	seenIgnore map[string]bool
	bytes      int64
	warnMu     sync.Mutex

	// The directory walk fans out: a subdirectory is walked on a new
	// goroutine while a slot in spawn is free, each goroutine filling its
	// own collector. entries is shared for the budget.
	spawn      chan struct{}
	wg         sync.WaitGroup
	entries    atomic.Int64
	mu         sync.Mutex // collectors, seenIgnore, tree.IgnoreFiles, err
	collectors []*collector
	err        error
	failed     atomic.Bool
}

// collector gathers what one goroutine of the directory walk finds.
type collector struct {
	jobs  []job
	dirs  []Dir
	links []Link
	bytes int64
}

func (w *walker) newCollector() *collector {
	c := &collector{}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.collectors) == 0 {
		c.jobs = w.jobs // the first one gets the sized list
	}
	w.collectors = append(w.collectors, c)
	return c
}

func (w *walker) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.failed.Store(true)
}

// merge joins the collectors once the walk is over.
func (w *walker) merge() {
	n := 0
	for _, c := range w.collectors {
		n += len(c.jobs)
	}
	jobs := w.collectors[0].jobs
	if cap(jobs) < n {
		jobs = slices.Grow(jobs, n-len(jobs))
	}
	for i, c := range w.collectors {
		if i > 0 {
			jobs = append(jobs, c.jobs...)
		}
		w.tree.Dirs = append(w.tree.Dirs, c.dirs...)
		w.tree.Links = append(w.tree.Links, c.links...)
		w.bytes += c.bytes
	}
	w.jobs = jobs
	w.tree.Entries = int(w.entries.Load())
	slices.SortFunc(w.tree.IgnoreFiles, func(a, b IgnoreFile) int {
		if c := Compare(a.Dir, b.Dir); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind)
	})
}

type walkRoot struct {
	path  string
	fd    int // O_PATH descriptor of the root (directory or file)
	isDir bool
}

type jobKind uint8

const (
	jobFile       jobKind = iota // a regular file
	jobLinkInside                // a symlink to a regular file inside the roots
	jobLinkPath                  // a symlink to a file outside the roots: hash the target path
)

type job struct {
	kind     jobKind
	path     string
	root     int    // file: root holding it; link inside: root holding the target
	rel      string // relative to root (the target's for jobLinkInside)
	target   string // link target as stored
	st       statInfo
	result   File
	ok       bool
	skipped  bool // could not be read: recorded so a restore leaves it alone
	cacheHit bool // taken from the stat cache without reading
}

// statInfo is the part of a stat a job keeps (a whole unix.Stat_t per
// file would triple the walk's memory).
type statInfo struct {
	size, mtime, mtimeNs, ctimeNs int64
	ino, dev                      uint64
	mode                          uint32
}

func statOf(st *unix.Stat_t) statInfo {
	return statInfo{
		size: st.Size, mtime: st.Mtim.Sec, mtimeNs: st.Mtim.Nano(), ctimeNs: st.Ctim.Nano(),
		ino: st.Ino, dev: uint64(st.Dev), mode: st.Mode,
	}
}

func (w *walker) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	w.warnMu.Lock()
	defer w.warnMu.Unlock()
	w.opts.Warn(msg)
}

func (w *walker) openRoots(roots []string) error {
	for _, r := range roots {
		fd, err := OpenNoSymlinks(r, unix.O_PATH, 0)
		if err != nil {
			switch {
			case errors.Is(err, unix.ENOENT):
			case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.EXDEV):
				w.warn("tracked root %s is reached through a symlink; skipped", Display(r))
			default:
				w.warn("tracked root %s: %v; skipped", Display(r), err)
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return fmt.Errorf("stat %s: %w", Display(r), err)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR, unix.S_IFREG:
			w.roots = append(w.roots, walkRoot{path: r, fd: fd, isDir: st.Mode&unix.S_IFMT == unix.S_IFDIR})
			w.tree.Roots = append(w.tree.Roots, r)
		default:
			unix.Close(fd)
			w.warn("tracked root %s is neither a directory nor a regular file; skipped", Display(r))
		}
	}
	return nil
}

func (w *walker) closeRoots() {
	for _, r := range w.roots {
		unix.Close(r.fd)
	}
}

func (w *walker) count() error {
	n := w.entries.Add(1)
	if max := int64(w.opts.Budget.MaxEntries); max > 0 && n > max {
		return &BudgetError{What: "entries", Count: max + 1, Limit: max}
	}
	return nil
}

func (w *walker) checkBytes() error {
	if max := w.opts.Budget.MaxBytes; max > 0 && w.bytes > max {
		return &BudgetError{What: "bytes", Count: w.bytes, Limit: max}
	}
	return nil
}

func (w *walker) walkRoot(i int, c *collector) error {
	r := w.roots[i]
	if err := w.count(); err != nil {
		return err
	}
	if !r.isDir {
		var st unix.Stat_t
		if err := unix.Fstat(r.fd, &st); err != nil {
			return fmt.Errorf("stat %s: %w", Display(r.path), err)
		}
		c.addFile(i, r.path, "", &st)
		return nil
	}
	fd, err := OpenBeneath(r.fd, "", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		w.warn("cannot read tracked root %s: %v; skipped", Display(r.path), err)
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return fmt.Errorf("stat %s: %w", Display(r.path), err)
	}
	c.dirs = append(c.dirs, Dir{Path: r.path, Mode: st.Mode})
	m := newMatcher(&w.opts.Rules, r.path)
	if m.gitignore {
		if m.frozen != nil {
			w.pushFrozenAncestors(m, r.path)
		} else {
			w.loadAncestorIgnores(m, r.path)
		}
	}
	return w.walkDir(m, i, fd, r.path, "", c)
}

// walkDir reads one directory (fd is consumed) and descends into the
// subdirectories that are not excluded.
func (w *walker) walkDir(m *matcher, root, fd int, abs, rel string, c *collector) error {
	dir := os.NewFile(uintptr(fd), abs)
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		w.warn("cannot read directory %s: %v", Display(abs), err)
		return nil
	}
	slices.Sort(names)
	g, e := m.depth()
	defer m.popTo(g, e)
	if m.gitignore {
		if m.frozen != nil {
			for _, f := range m.frozen[abs] {
				m.pushIgnore(f)
			}
		} else {
			w.loadDirIgnores(m, fd, abs, names)
		}
	}
	for _, name := range names {
		if w.failed.Load() {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if !errors.Is(err, unix.ENOENT) {
				w.warn("cannot stat %s: %v", Display(join(abs, name)), err)
			}
			continue
		}
		childAbs := join(abs, name)
		childRel := name
		if rel != "" {
			childRel = rel + "/" + name
		}
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if m.excluded(childAbs, childRel, name, isDir) {
			continue
		}
		if err := w.count(); err != nil {
			return err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			c.dirs = append(c.dirs, Dir{Path: childAbs, Mode: st.Mode})
			cfd, err := OpenBeneath(fd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
			if err != nil {
				w.warn("cannot open directory %s: %v", Display(childAbs), err)
				continue
			}
			select {
			case w.spawn <- struct{}{}:
				mc, nc := m.clone(), w.newCollector()
				w.wg.Add(1)
				go func() {
					defer w.wg.Done()
					defer func() { <-w.spawn }()
					if err := w.walkDir(mc, root, cfd, childAbs, childRel, nc); err != nil {
						w.fail(err)
					}
				}()
			default:
				if err := w.walkDir(m, root, cfd, childAbs, childRel, c); err != nil {
					return err
				}
			}
		case unix.S_IFREG:
			c.addFile(root, childAbs, childRel, &st)
		case unix.S_IFLNK:
			w.addLink(fd, name, childAbs, &st, c)
		}
	}
	return nil
}

func (c *collector) addFile(root int, abs, rel string, st *unix.Stat_t) {
	c.bytes += st.Size
	c.jobs = append(c.jobs, job{kind: jobFile, path: abs, root: root, rel: rel, st: statOf(st)})
}

// addLink decides what a symlink is: a leaf hashed through its target
// when that is a regular file inside the roots, a leaf hashed by its
// target path when the file is outside, and otherwise no leaf.
func (w *walker) addLink(dirfd int, name, abs string, st *unix.Stat_t, c *collector) {
	target, err := readlinkat(dirfd, name)
	if err != nil {
		w.warn("cannot read symlink %s: %v", Display(abs), err)
		return
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		c.links = append(c.links, Link{Path: abs, Target: target})
		return
	}
	var tst unix.Stat_t
	if err := unix.Stat(resolved, &tst); err != nil || tst.Mode&unix.S_IFMT != unix.S_IFREG {
		c.links = append(c.links, Link{Path: abs, Target: target})
		return
	}
	if root, rel, ok := w.locate(resolved); ok {
		c.bytes += tst.Size
		c.jobs = append(c.jobs, job{kind: jobLinkInside, path: abs, root: root, rel: rel, target: target, st: statOf(st)})
		return
	}
	c.bytes += int64(len(target))
	c.jobs = append(c.jobs, job{kind: jobLinkPath, path: abs, target: target, st: statOf(st)})
}

// locate finds the root holding a resolved path (the deepest one).
func (w *walker) locate(p string) (root int, rel string, ok bool) {
	best := -1
	for i, r := range w.roots {
		if r.isDir && Within(p, r.path) || !r.isDir && p == r.path {
			if best < 0 || len(r.path) > len(w.roots[best].path) {
				best = i
			}
		}
	}
	if best < 0 {
		return 0, "", false
	}
	rel, _ = Rel(w.roots[best].path, p)
	return best, rel, true
}

func readlinkat(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size > 1<<16 {
			return "", unix.ENAMETOOLONG
		}
	}
}

// loadDirIgnores reads the ignore files of one directory from disk.
func (w *walker) loadDirIgnores(m *matcher, fd int, abs string, names []string) {
	for _, name := range names {
		switch name {
		case ".gitignore":
			if data, ok := w.readIgnore(fd, ".gitignore", join(abs, name)); ok {
				w.useIgnore(m, IgnoreFile{Dir: abs, Kind: IgnoreKindGitignore, Content: data})
			}
		case ".git":
			if data, ok := w.readIgnore(fd, ".git/info/exclude", join(abs, ".git/info/exclude")); ok {
				w.useIgnore(m, IgnoreFile{Dir: abs, Kind: IgnoreKindExclude, Content: data})
			}
		}
	}
}

func (w *walker) useIgnore(m *matcher, f IgnoreFile) {
	m.pushIgnore(f)
	key := f.Kind + "\x00" + f.Dir
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.seenIgnore[key] {
		w.seenIgnore[key] = true
		w.tree.IgnoreFiles = append(w.tree.IgnoreFiles, f)
	}
}

// readIgnore reads an ignore file below dirfd, never through a symlink
// (git stopped following symlinked .gitignore files too).
func (w *walker) readIgnore(dirfd int, rel, abs string) ([]byte, bool) {
	fd, err := OpenBeneath(dirfd, rel, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) {
			w.warn("ignore file %s not used: %v", Display(abs), err)
		}
		return nil, false
	}
	f := os.NewFile(uintptr(fd), abs)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, false
	}
	data, err := io.ReadAll(io.LimitReader(f, maxIgnoreFile+1))
	if err != nil {
		w.warn("ignore file %s not used: %v", Display(abs), err)
		return nil, false
	}
	if len(data) > maxIgnoreFile {
		w.warn("ignore file %s not used: larger than %d bytes", Display(abs), maxIgnoreFile)
		return nil, false
	}
	return data, true
}

// loadAncestorIgnores applies, as git does, the ignore files between the
// top of the repository holding root and root itself. Their patterns are
// only ever tested against entries below root.
func (w *walker) loadAncestorIgnores(m *matcher, root string) {
	var chain []string // root's ancestors, nearest first, up to the repository top
	top := ""
	for d := root; d != "/"; {
		d = filepath.Dir(d)
		chain = append(chain, d)
		if fi, err := os.Lstat(filepath.Join(d, ".git")); err == nil && (fi.IsDir() || fi.Mode().IsRegular()) {
			top = d
			break
		}
	}
	if top == "" {
		return
	}
	slices.Reverse(chain)
	for _, d := range chain {
		fd, err := OpenNoSymlinks(d, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			continue
		}
		if data, ok := w.readIgnore(fd, ".gitignore", join(d, ".gitignore")); ok {
			w.useIgnore(m, IgnoreFile{Dir: d, Kind: IgnoreKindGitignore, Content: data})
		}
		if d == top {
			if data, ok := w.readIgnore(fd, ".git/info/exclude", join(d, ".git/info/exclude")); ok {
				w.useIgnore(m, IgnoreFile{Dir: d, Kind: IgnoreKindExclude, Content: data})
			}
		}
		unix.Close(fd)
	}
}

// pushFrozenAncestors applies recorded ignore files of root's ancestors,
// shallowest first.
func (w *walker) pushFrozenAncestors(m *matcher, root string) {
	var above []IgnoreFile
	for _, f := range w.opts.Rules.IgnoreFiles {
		if f.Dir != root && Within(root, f.Dir) {
			above = append(above, f)
		}
	}
	slices.SortStableFunc(above, func(a, b IgnoreFile) int { return len(a.Dir) - len(b.Dir) })
	for _, f := range above {
		m.pushIgnore(f)
	}
}

func (w *walker) finish() *Tree {
	t := w.tree
	for i := range w.jobs {
		if w.jobs[i].skipped {
			t.Skipped = append(t.Skipped, w.jobs[i].path)
		}
		if w.jobs[i].ok {
			t.Files = append(t.Files, w.jobs[i].result)
			t.Bytes += w.jobs[i].result.Size
		}
	}
	t.Files = SortFiles(t.Files)
	slices.SortFunc(t.Dirs, func(a, b Dir) int { return Compare(a.Path, b.Path) })
	t.Dirs = slices.CompactFunc(t.Dirs, func(a, b Dir) bool { return a.Path == b.Path })
	slices.SortFunc(t.Links, func(a, b Link) int { return Compare(a.Path, b.Path) })
	t.Links = slices.CompactFunc(t.Links, func(a, b Link) bool { return a.Path == b.Path })
	slices.SortFunc(t.Skipped, Compare)
	t.Skipped = slices.Compact(t.Skipped)
	return t
}

// isRacy reports whether a stat is too recent to trust later.
func (w *walker) isRacy(st statInfo) bool {
	cutoff := w.opts.Now.Add(-racyWindow).UnixNano()
	return st.ctimeNs >= cutoff || st.mtimeNs >= cutoff
}

// sameStat reports whether the identity and times of a file are unchanged.
func sameStat(a, b *unix.Stat_t) bool {
	return a.Size == b.Size && a.Mtim == b.Mtim && a.Ctim == b.Ctim && a.Ino == b.Ino && a.Dev == b.Dev
}

func fileFromStat(path string, st statInfo) File {
	return File{
		Path:    path,
		Size:    st.size,
		Mtime:   st.mtime,
		Mode:    st.mode,
		MtimeNs: st.mtimeNs,
		CtimeNs: st.ctimeNs,
		Ino:     st.ino,
		Dev:     st.dev,
	}
}

// cached returns the earlier leaf for a regular file whose stat is
// unchanged.
func (w *walker) cached(j *job) (File, bool) {
	if w.opts.Cache == nil || j.kind != jobFile {
		return File{}, false
	}
	c, ok := w.opts.Cache.Lookup(j.path)
	if !ok || !c.Cacheable || c.Type != Regular {
		return File{}, false
	}
	st := j.st
	if c.Size != st.size || c.MtimeNs != st.mtimeNs || c.CtimeNs != st.ctimeNs || c.Ino != st.ino || c.Dev != st.dev {
		return File{}, false
	}
	f := fileFromStat(j.path, st)
	f.Hash = c.Hash
	f.Cacheable = true
	return f, true
}

// resolveCached takes every file the stat cache vouches for before any is
// read, and returns the bytes of those left to read.
func (w *walker) resolveCached() int64 {
	toRead := w.bytes
	for i := range w.jobs {
		j := &w.jobs[i]
		if f, ok := w.cached(j); ok {
			j.result, j.ok, j.cacheHit = f, true, true
			toRead -= j.st.size
		}
	}
	return toRead
}

// open opens a job's content: the file itself, or a link's target by its
// resolved path below the root that holds it, symlinks refused.
func (w *walker) open(j *job) (*os.File, error) {
	r := w.roots[j.root]
	var fd int
	var err error
	if r.isDir {
		fd, err = OpenBeneath(r.fd, j.rel, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	} else {
		fd, err = OpenNoSymlinks(r.path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), j.path), nil
}

// hashOne fills j.result. Problems with one file are warnings; only a
// failing sink (the store) is an error.
func (w *walker) hashOne(j *job, buf []byte) error {
	if j.kind == jobLinkPath {
		h, err := w.opts.Sink.Bytes([]byte(j.target))
		if err != nil {
			return fmt.Errorf("store %s: %w", Display(j.path), err)
		}
		f := fileFromStat(j.path, j.st)
		f.Hash, f.Size, f.Type, f.Target, f.TargetOnly = h, int64(len(j.target)), Symlink, j.target, true
		j.result, j.ok = f, true
		return nil
	}
	if j.cacheHit {
		return nil
	}
	f, err := w.open(j)
	if err != nil {
		switch {
		case errors.Is(err, unix.ENOENT):
			// Gone since the directory was read.
		default:
			w.warn("cannot read %s: %v; left out", Display(j.path), err)
			j.skipped = true
		}
		return nil
	}
	defer f.Close()
	var before, after unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &before); err != nil {
		return fmt.Errorf("stat %s: %w", Display(j.path), err)
	}
	if before.Mode&unix.S_IFMT != unix.S_IFREG {
		w.warn("%s is no longer a regular file; left out", Display(j.path))
		j.skipped = true
		return nil
	}
	if j.kind == jobFile && (before.Ino != j.st.ino || uint64(before.Dev) != j.st.dev) {
		j.st = statOf(&before) // replaced since the directory was read: take the new one
	}
	unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_SEQUENTIAL)
	var read func(int64)
	if w.opts.Progress != nil {
		read = func(n int64) { w.opts.Progress.Add(0, n) }
	}
	h, n, err := w.opts.Sink.File(f, buf, read)
	if err != nil {
		var se *SourceError
		if errors.As(err, &se) {
			w.warn("cannot read %s: %v; left out", Display(j.path), se.Err)
			j.skipped = true
			return nil
		}
		return fmt.Errorf("store %s: %w", Display(j.path), err)
	}
	if err := unix.Fstat(int(f.Fd()), &after); err != nil {
		return fmt.Errorf("stat %s: %w", Display(j.path), err)
	}
	res := fileFromStat(j.path, statOf(&after))
	res.Hash, res.Size = h, n
	// The bytes hashed are exactly the bytes stored, whatever happened to
	// the file meanwhile; the stat is only trusted for the cache when
	// nothing moved during the read and it is not racily recent.
	res.Cacheable = j.kind == jobFile && sameStat(&before, &after) && n == after.Size && !w.isRacy(statOf(&after))
	if j.kind == jobLinkInside {
		res.Type, res.Target = Symlink, j.target
		res.MtimeNs, res.CtimeNs, res.Ino, res.Dev = 0, 0, 0, 0
	}
	j.result, j.ok = res, true
	return nil
}
