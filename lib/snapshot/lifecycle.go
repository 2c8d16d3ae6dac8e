package snapshot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/session"
)

// Options are shared by Begin and End.
type Options struct {
	// SessionDir is the audit session directory: its session.json names
	// the tracked roots and receives merkle_roots and snapshot_count.
	SessionDir string
	// StoreDir is the rollback session directory (objects, manifests, a
	// copy of session.json). Empty for --audit-integrity alone: then the
	// manifests (without objects) go to SessionDir.
	StoreDir string

	Flags    fstree.Flags // exclusion flags (Begin only; End reuses the baseline's)
	SkipDirs []string     // --skip-dir (Begin only)
	Budget   fstree.Budget
	Jobs     int
	// NoSync skips waiting for new objects to reach the disk before the
	// manifest naming them is written: faster, but a power cut during the
	// session may leave objects incomplete (verify reports them, restore
	// refuses them).
	NoSync bool
	// RootsRewritten says that session.json is rewritten, synced, right
	// after Begin and after End, before anything depends on it (nono run:
	// by the supervisor when the command starts, and by the last recorder
	// stage when the stream ends), so the roots are written without
	// waiting for the disk, as the plan's first version is.
	RootsRewritten bool

	Getenv    func(string) string
	Stderr    io.Writer
	Silent    bool
	Progress  ProgressFunc // a progress line while files are read
	Now       func() time.Time
	FreeSpace func(dir string) (uint64, error) // bytes available to us; nil: statfs
}

func (o *Options) defaults() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FreeSpace == nil {
		o.FreeSpace = freeSpace
	}
}

// StoreDirFor is the rollback session directory for --store dir: dir
// itself when its name is the session's ID (what `nono run` passes), else
// dir/<id> (dir is then a rollback root or --rollback-dest).
func StoreDirFor(dir, sessionDir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	s, err := session.Read(sessionDir)
	if err != nil {
		return "", err
	}
	if err := session.ValidateID(s.SessionID); err != nil {
		return "", err
	}
	if filepath.Base(abs) == s.SessionID {
		return abs, nil
	}
	return filepath.Join(abs, s.SessionID), nil
}

// snapshotDir is where the manifests go.
func (o *Options) snapshotDir() string {
	if o.StoreDir != "" {
		return o.StoreDir
	}
	return o.SessionDir
}

func (o *Options) warn(msg string) { fmt.Fprintf(o.Stderr, "nono-snapshot: warning: %s\n", msg) }

// Result describes a snapshot that was taken.
type Result struct {
	Manifest *Manifest
	Tree     *fstree.Tree
	Changes  []Change // End only
	Excluded []fstree.AutoExcluded
}

// BudgetError is a walk over its budget, with advice.
type BudgetError struct {
	Err      *fstree.BudgetError
	Rollback bool
}

func (e *BudgetError) Error() string {
	mode := "--audit-integrity"
	if e.Rollback {
		mode = "--rollback"
	}
	return fmt.Sprintf("snapshot budget exceeded: %s. Exclude large directories with --rollback-exclude, or run without %s",
		strings.TrimPrefix(e.Err.Error(), "walk budget exceeded: "), mode)
}

func (e *BudgetError) Unwrap() error { return e.Err }

// SpaceError is a disk-space preflight that failed.
type SpaceError struct {
	Store     string
	Need      uint64
	Available uint64
}

func (e *SpaceError) Error() string {
	return fmt.Sprintf("not enough free space for the rollback snapshot: the tracked files need about %s and the filesystem of %s has %s available. Free some space, exclude large directories with --rollback-exclude, or store snapshots elsewhere with --rollback-dest",
		human.Size(int64(e.Need)), e.Store, human.Size(int64(e.Available)))
}

// Begin takes the baseline snapshot (000) before the child starts, and
// records its root in session.json before returning, so that a session
// that crashes can still be listed, verified and restored.
func Begin(o Options) (_ *Result, err error) {
	o.defaults()
	s, err := session.Read(o.SessionDir)
	if err != nil {
		return nil, err
	}
	if err := session.ValidateID(s.SessionID); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(o.SessionDir, session.FileName), err)
	}
	roots, err := canonicalRoots(s.TrackedPaths)
	if err != nil {
		return nil, err
	}
	if len(roots) == 0 {
		return &Result{}, nil // nothing tracked: nothing to snapshot, no empty store left behind
	}
	rules := fstree.NewRules(o.Flags)
	rules.Protected = ProtectedStores(o.Getenv, roots, o.SessionDir, o.StoreDir)
	res := &Result{}
	if len(o.SkipDirs) > 0 || o.StoreDir != "" && !o.Flags.All {
		res.Excluded = fstree.Preflight(roots, &rules, fstree.PreflightOptions{SkipDirs: o.SkipDirs, Auto: o.StoreDir != "" && !o.Flags.All})
		for _, a := range res.Excluded {
			rules.Paths = append(rules.Paths, a.Path)
		}
		rules.Normalize()
		if len(res.Excluded) > 0 && !o.Silent {
			var parts []string
			for _, a := range res.Excluded {
				parts = append(parts, fmt.Sprintf("%s (%s)", fstree.Display(a.Path), a.Reason))
			}
			fmt.Fprintf(o.Stderr, "nono: snapshot leaves out %s. Use --rollback-include NAME or --rollback-all to include them.\n", strings.Join(parts, ", "))
		}
	}
	var store *Store
	if o.StoreDir != "" {
		if _, statErr := os.Lstat(o.StoreDir); errors.Is(statErr, os.ErrNotExist) {
			// A baseline that fails leaves no half-filled store behind.
			defer func() {
				if err != nil {
					os.RemoveAll(o.StoreDir)
				}
			}()
		}
		if err := makeStoreDir(o.StoreDir); err != nil {
			return nil, err
		}
		if store, err = OpenStore(o.StoreDir); err != nil {
			return nil, err
		}
		// Until the manifest names them, nothing must sweep the objects.
		unlock, err := store.lock(false)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	now := o.Now()
	walk := fstree.Options{Rules: rules, Budget: o.Budget, Jobs: o.Jobs, Warn: o.warn, Now: now}
	var done func()
	walk.Progress, done = o.Progress.walk("snapshot")
	defer done()
	if store != nil {
		walk.Sink = store
		walk.Check = func(entries int, bytes int64) error { return o.checkSpace(entries, bytes) }
		if prev := o.previousSnapshot(store); prev != nil {
			walk.Cache, walk.SizeHint = &storedCache{index: newIndex(prev.Files), store: store}, len(prev.Files)
		}
	}
	tree, err := fstree.Walk(roots, walk)
	if err != nil {
		return nil, o.walkError(err)
	}
	if store != nil && !o.NoSync {
		if err := store.sync(); err != nil {
			return nil, err
		}
	}
	m := manifestOf(0, nil, now, roots, tree, rules.Freeze(tree.IgnoreFiles))
	if err := o.writeManifest(m); err != nil {
		return nil, err
	}
	if err := o.recordRoots(m.MerkleRoot); err != nil {
		return nil, err
	}
	if o.StoreDir != "" {
		o.registerStore()
	}
	res.Manifest, res.Tree = m, tree
	return res, nil
}

// End takes the final snapshot (001) after the child exited, with the
// baseline's exclusions and the baseline as stat cache (only files whose
// size, times, inode or device moved are read), writes changes/001.json
// and sets merkle_roots [baseline, final]. If the final walk fails,
// session.json is still written, holding the baseline root, so the
// session stays listed and restorable.
func End(o Options) (*Result, error) {
	o.defaults()
	s, err := session.Read(o.SessionDir)
	if err != nil {
		return nil, err
	}
	dir := o.snapshotDir()
	digests, err := readDigests(o.SessionDir)
	if err != nil {
		return nil, err
	}
	if digests == nil && o.StoreDir != "" && countSnapshots(dir) > 0 {
		return nil, fmt.Errorf("%s is missing: the baseline in %s cannot be checked", filepath.Join(o.SessionDir, digestsFileName), dir)
	}
	base, err := readManifestChecked(dir, 0, digests)
	if err != nil {
		if isNotExist(err) {
			if len(s.TrackedPaths) == 0 {
				return &Result{}, nil
			}
			return nil, fmt.Errorf("no baseline snapshot in %s: was `nono-snapshot begin` run for this session?", dir)
		}
		return nil, err
	}
	if base.Rules == nil {
		return nil, fmt.Errorf("%s records no exclusions: it was not made by nono-snapshot begin", ManifestPath(dir, 0))
	}
	final, res, walkErr := o.finalSnapshot(base)
	if walkErr != nil {
		if o.StoreDir != "" {
			if err := copySession(o.SessionDir, o.StoreDir); err != nil {
				return nil, errors.Join(walkErr, err)
			}
		}
		return nil, fmt.Errorf("final snapshot: %w (the session keeps its baseline and can still be restored to it)", walkErr)
	}
	if o.StoreDir != "" {
		if err := WriteChanges(o.StoreDir, 1, res.Changes); err != nil {
			return nil, err
		}
	}
	if err := WriteChanges(o.SessionDir, 1, res.Changes); err != nil {
		return nil, err
	}
	if err := o.recordRoots(base.MerkleRoot, final.MerkleRoot); err != nil {
		return nil, err
	}
	return res, nil
}

// recordRoots sets session.json's merkle_roots to the snapshots' roots
// and snapshot_count to how many the store keeps (none for an
// integrity-only session), then copies session.json into the store.
func (o *Options) recordRoots(roots ...fstree.Hash) error {
	update := session.Update
	if o.RootsRewritten {
		update = session.UpdateDraft
	}
	err := update(o.SessionDir, func(s *session.Session) error {
		s.MerkleRoots = make([]string, 0, len(roots))
		for _, r := range roots {
			s.MerkleRoots = append(s.MerkleRoots, fstree.Hex(r))
		}
		s.SnapshotCount = 0
		if o.StoreDir != "" {
			s.SnapshotCount = uint32(len(roots))
		}
		return nil
	})
	if err != nil || o.StoreDir == "" {
		return err
	}
	return copySession(o.SessionDir, o.StoreDir)
}

func (o *Options) finalSnapshot(base *Manifest) (*Manifest, *Result, error) {
	walk := fstree.Options{Rules: *base.Rules, Budget: o.Budget, Jobs: o.Jobs, Warn: o.warn, Now: o.Now(), Cache: newIndex(base.Files), SizeHint: len(base.Files)}
	var done func()
	walk.Progress, done = o.Progress.walk("final snapshot")
	defer done()
	var store *Store
	if o.StoreDir != "" {
		var err error
		if store, err = OpenStore(o.StoreDir); err != nil {
			return nil, nil, err
		}
		unlock, err := store.lock(false)
		if err != nil {
			return nil, nil, err
		}
		defer unlock()
		walk.Sink = store
	}
	tree, err := fstree.Walk(base.Roots, walk)
	if err != nil {
		return nil, nil, o.walkError(err)
	}
	if store != nil && !o.NoSync {
		if err := store.sync(); err != nil {
			return nil, nil, err
		}
	}
	return o.writeFinal(base, walk.Now, tree)
}

func (o *Options) writeFinal(base *Manifest, now time.Time, tree *fstree.Tree) (*Manifest, *Result, error) {
	parent := base.Number
	m := manifestOf(1, &parent, now, base.Roots, tree, *base.Rules)
	if err := o.writeManifest(m); err != nil {
		return nil, nil, err
	}
	return m, &Result{Manifest: m, Tree: tree, Changes: Diff(base.Files, m.Files)}, nil
}

// writeManifest writes m where the manifests go and, for a rollback
// store, records its digest in the audit session directory.
func (o *Options) writeManifest(m *Manifest) error {
	if err := WriteManifest(o.snapshotDir(), m); err != nil {
		return err
	}
	if o.StoreDir == "" {
		return nil
	}
	data, err := os.ReadFile(ManifestPath(o.StoreDir, int(m.Number)))
	if err != nil {
		return err
	}
	return recordDigest(o.SessionDir, int(m.Number), data)
}

func (o *Options) walkError(err error) error {
	var be *fstree.BudgetError
	if errors.As(err, &be) {
		return &BudgetError{Err: be, Rollback: o.StoreDir != ""}
	}
	return err
}

func manifestOf(n uint32, parent *uint32, now time.Time, roots []string, tree *fstree.Tree, rules fstree.Rules) *Manifest {
	return &Manifest{
		Number:     n,
		Timestamp:  timestamp(now.Unix()),
		Parent:     parent,
		Files:      tree.Files,
		MerkleRoot: tree.Root(),
		Roots:      roots,
		Dirs:       tree.Dirs,
		Links:      tree.Links,
		Skipped:    tree.Skipped,
		Rules:      &rules,
		HasDirs:    true,
		HasLinks:   true,
	}
}

// checkSpace refuses a baseline the store's filesystem cannot hold: the
// bytes of the files, a few hundred bytes of manifest per entry, and a
// margin.
func (o *Options) checkSpace(entries int, bytes int64) error {
	need := uint64(bytes) + uint64(entries)*512 + 16<<20
	avail, err := o.FreeSpace(o.StoreDir)
	if err != nil {
		return fmt.Errorf("check free space for %s: %w", o.StoreDir, err)
	}
	if avail < need {
		return &SpaceError{Store: o.StoreDir, Need: need, Available: avail}
	}
	return nil
}

func freeSpace(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// canonicalRoots resolves the tracked paths. A path that does not exist
// yet is kept (cleaned): the session may create it.
func canonicalRoots(tracked []string) ([]string, error) {
	var out []string
	for _, t := range tracked {
		if !filepath.IsAbs(t) {
			return nil, fmt.Errorf("tracked path %q is not absolute", t)
		}
		out = append(out, canonical(t))
	}
	return out, nil
}

// canonical resolves symlinks in p, or in its longest existing prefix.
func canonical(p string) string { return fstree.Canonical(p) }

// makeStoreDir creates a rollback session directory 0700 (parents too).
func makeStoreDir(dir string) error {
	if err := mkdirPrivate(dir); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("rollback directory %s is not a directory", dir)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}

// copySession copies from/session.json to to/session.json byte for byte
// (atomically, 0600) after checking that it parses.
func copySession(from, to string) error {
	p := filepath.Join(from, session.FileName)
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("read session record: %w", err)
	}
	if _, err := session.Decode(data); err != nil {
		return fmt.Errorf("parse %s: %w", p, err)
	}
	return atomicfile.WriteFile(filepath.Join(to, session.FileName), data, 0o600)
}

// FinishOptions configure Finish.
type FinishOptions struct {
	SessionDir  string
	StoreDir    string // "" for --audit-integrity alone: summary only
	NoPrompt    bool
	Silent      bool
	Interactive bool // stdin is a terminal: the restore prompt may be shown
	Stdin       io.Reader
	Stderr      io.Writer
	Getenv      func(string) string
	// Summarize writes the change summary and, with list, every change
	// (lib/report's FinishSummary); nil prints nothing.
	Summarize func(w io.Writer, changes []Change, list bool)
}

// Finish runs after the ledger append: it copies the final session.json
// into the rollback directory, prints the change summary and, on a
// terminal, offers to undo the session.
func Finish(o FinishOptions) error {
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	dir := o.SessionDir
	if o.StoreDir != "" {
		if _, err := os.Lstat(o.StoreDir); errors.Is(err, os.ErrNotExist) {
			return nil // nothing was tracked, so begin made no store
		}
		if err := copySession(o.SessionDir, o.StoreDir); err != nil {
			return err
		}
		dir = o.StoreDir
	}
	changes, err := ReadChanges(dir, 1)
	if err != nil {
		if isNotExist(err) {
			return nil // no final snapshot: End has said why
		}
		return err
	}
	if o.Silent || len(changes) == 0 {
		return nil
	}
	prompt := o.StoreDir != "" && !o.NoPrompt && o.Interactive && o.Stdin != nil
	if o.Summarize != nil {
		o.Summarize(o.Stderr, changes, prompt)
	}
	if !prompt {
		return nil
	}
	fmt.Fprint(o.Stderr, "\nnono Restore to initial state? [y/N]: ")
	answer, _ := readLine(o.Stdin)
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
	default:
		fmt.Fprintln(o.Stderr, "nono Exiting without restoring.")
		return nil
	}
	fmt.Fprintln(o.Stderr, "nono Restoring...")
	_, applied, err := Restore(RestoreOptions{Dir: o.StoreDir, Snapshot: 0, Source: "prompt", Getenv: o.Getenv,
		Warn: func(m string) { fmt.Fprintf(o.Stderr, "nono-snapshot: warning: %s\n", m) }})
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(o.Stderr, "nono Restored %d change(s).\n", len(applied.Done))
	return nil
}

// readLine reads one line byte by byte, so nothing after it is consumed.
func readLine(r io.Reader) (string, error) {
	var b []byte
	var c [1]byte
	for len(b) < 4096 {
		n, err := r.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				break
			}
			b = append(b, c[0])
		}
		if err != nil {
			return string(b), err
		}
	}
	return string(b), nil
}
