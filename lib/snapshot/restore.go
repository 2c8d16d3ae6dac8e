package snapshot

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/progress"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
)

// RestoreOptions configure a restore.
type RestoreOptions struct {
	Dir      string // rollback session directory
	Snapshot int    // the snapshot to go back to; 0, the baseline, undoes the session
	DryRun   bool
	Force    bool   // overwrite files changed since the session ended; restore a session that never ended
	Source   string // what asked for it, recorded: "cli" or "prompt"
	Jobs     int
	Getenv   func(string) string
	Warn     func(msg string)
	Now      func() time.Time
	Progress ProgressFunc // progress lines while the tree is read and restored
}

// Op is one kind of restore step.
type Op uint8

const (
	OpDelete  Op = iota // remove a file the snapshot does not have
	OpUnlink            // remove a symlink the snapshot does not have
	OpRmdir             // remove a directory the snapshot does not have (only when empty)
	OpMkdir             // create a missing directory
	OpDirMode           // set a directory's permissions
	OpWrite             // write a file (or leaf symlink) from the snapshot
	OpLink              // recreate a symlink that is not a leaf
	OpChmod             // set a file's permissions
)

// Action is one step of a restore plan.
type Action struct {
	Op       Op
	Path     string
	File     *fstree.File // OpWrite, OpChmod: the state to restore
	Mode     uint32       // OpMkdir, OpDirMode: st_mode to restore
	Target   string       // OpLink
	Create   bool         // nothing of this kind is at the path now
	Conflict bool         // the path changed after the session ended
}

// Symbol is the listing mark of the action: + ~ - p.
func (a *Action) Symbol() string {
	switch a.Op {
	case OpDelete, OpUnlink, OpRmdir:
		return "-"
	case OpMkdir:
		return "+"
	case OpDirMode, OpChmod:
		return "p"
	}
	if a.Create {
		return "+"
	}
	return "~"
}

// Line is the action as one listing line.
func (a *Action) Line() string {
	p := fstree.Display(a.Path)
	if a.Op == OpRmdir || a.Op == OpMkdir || a.Op == OpDirMode {
		p += "/"
	}
	s := "  " + a.Symbol() + " " + p
	switch {
	case a.Op == OpChmod:
		s += fmt.Sprintf(" (permissions %04o)", a.File.Mode&0o7777)
	case a.Op == OpDirMode:
		s += fmt.Sprintf(" (permissions %04o)", a.Mode&0o7777)
	case (a.Op == OpWrite || a.Op == OpLink) && (a.File != nil && a.File.Type == fstree.Symlink || a.Op == OpLink):
		target := a.Target
		if a.File != nil {
			target = a.File.Target
		}
		s += " -> " + fstree.Display(target)
	}
	if a.Conflict {
		s += "  [changed since the session ended]"
	}
	return s
}

// Plan is what a restore would do.
type Plan struct {
	Dir       string
	Session   *session.Session
	Target    *Manifest
	Final     *Manifest // the session's last snapshot; nil when it never ended
	Count     int       // snapshots in the session
	Roots     []string
	Actions   []Action // sorted by path
	Conflicts int
	Kept      []string // extra files left alone: the snapshot records no exclusions (an upstream session)
}

// countSnapshots counts snapshots/000.json, 001.json, … from 0 up.
func countSnapshots(dir string) int {
	n := 0
	for {
		if _, err := os.Lstat(ManifestPath(dir, n)); err != nil {
			return n
		}
		n++
	}
}

// TrustError is a restore refused because the rollback store cannot be
// checked against the audit record (it is gone) or disagrees with it.
type TrustError struct{ Problems []string }

func (e *TrustError) Error() string {
	var b strings.Builder
	b.WriteString("the rollback store cannot be trusted:")
	for _, p := range e.Problems {
		b.WriteString("\n  " + p)
	}
	b.WriteString("\nrefusing to restore from it (run with --force to restore anyway)")
	return b.String()
}

// planRestore compares the live tree with a snapshot. Nothing is written.
//
// Before anything is planned, the store is checked against the audit
// record: session.json against the audit copy, every manifest used
// against the digest recorded in the audit directory, its own
// merkle_root, and the root the record holds for it. The tracked paths and
// roots come from the audit copy. Without --force a restore refuses when
// any of that evidence is missing or differs.
func planRestore(o RestoreOptions) (*Plan, error) {
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	ev, err := gatherEvidence(o.Dir, o.Getenv)
	if err != nil {
		return nil, err
	}
	if problems := ev.Problems(); len(problems) > 0 {
		if !o.Force {
			return nil, &TrustError{Problems: problems}
		}
		for _, p := range problems {
			o.Warn(p + "; restoring anyway (--force)")
		}
	}
	for _, n := range ev.Notes {
		o.Warn(n)
	}
	s := ev.Trusted()
	p := &Plan{Dir: o.Dir, Session: s, Count: recordedSnapshots(o.Dir, s, o.Warn)}
	if p.Count == 0 {
		return nil, fmt.Errorf("session %s has no snapshots", ev.ID)
	}
	if o.Snapshot < 0 || o.Snapshot >= p.Count {
		return nil, fmt.Errorf("snapshot %d does not exist (session has %d snapshots)", o.Snapshot, p.Count)
	}
	load := func(n int) (*Manifest, error) {
		m, err := readManifestChecked(o.Dir, n, ev.Digests)
		if err == nil {
			err = checkManifest(m, n, s.MerkleRoots)
		}
		return m, err
	}
	if p.Target, err = load(o.Snapshot); err != nil {
		return nil, err
	}
	if p.Count > 1 {
		if p.Final, err = load(p.Count - 1); err != nil {
			return nil, err
		}
	}
	if p.Roots, err = checkScope(s, p.Target); err != nil {
		return nil, err
	}
	rules := fstree.NewRules(fstree.Flags{})
	keepExtra := p.Target.Rules == nil
	if !keepExtra {
		rules = *p.Target.Rules
	}
	cache := caches{newIndex(p.Target.Files)}
	if p.Final != nil {
		cache = caches{newIndex(p.Final.Files), cache[0]}
	}
	walkProgress, done := o.Progress.walk("reading the tree")
	live, err := fstree.Walk(p.Roots, fstree.Options{Rules: rules, Jobs: o.Jobs, Cache: cache, Warn: o.Warn, Progress: walkProgress})
	done()
	if err != nil {
		return nil, fmt.Errorf("read the live tree: %w", err)
	}
	p.plan(live, keepExtra)
	return p, nil
}

// recordedSnapshots is the number of snapshots the session record
// vouches for: one per merkle root it holds. A manifest on disk beyond
// them (a crash between writing it and recording it) is not used.
func recordedSnapshots(dir string, s *session.Session, warn func(string)) int {
	onDisk := countSnapshots(dir)
	n := min(onDisk, len(s.MerkleRoots))
	if onDisk > n {
		warn(fmt.Sprintf("%s is not in the session record (the session did not finish recording it); not used", ManifestPath(dir, n)))
	}
	return n
}

// checkScope returns the roots to restore and refuses a manifest that
// reaches outside the session's tracked paths.
func checkScope(s *session.Session, m *Manifest) ([]string, error) {
	var allowed []string
	for _, t := range s.TrackedPaths {
		if filepath.IsAbs(t) {
			allowed = append(allowed, filepath.Clean(t), canonical(t))
		}
	}
	roots := m.Roots
	if len(roots) == 0 {
		roots, _ = canonicalRoots(s.TrackedPaths)
	}
	within := func(p string, among []string) bool {
		for _, a := range among {
			if fstree.Within(p, a) {
				return true
			}
		}
		return false
	}
	for _, r := range roots {
		if fstree.CleanAbs(r) != nil || !within(r, allowed) {
			return nil, fmt.Errorf("snapshot root %s is not a tracked path of session %s: refusing to restore", fstree.Display(r), s.SessionID)
		}
	}
	check := func(p string) error {
		if !within(p, roots) {
			return fmt.Errorf("snapshot entry %s lies outside the tracked roots: refusing to restore", fstree.Display(p))
		}
		return nil
	}
	for _, f := range m.Files {
		if err := check(f.Path); err != nil {
			return nil, err
		}
	}
	for _, d := range m.Dirs {
		if err := check(d.Path); err != nil {
			return nil, err
		}
	}
	for _, l := range m.Links {
		if err := check(l.Path); err != nil {
			return nil, err
		}
	}
	return roots, nil
}

// state is a comparable summary of what is at a path.
// A symlink leaf is its target: its content is that of the file it points
// at, which has a state of its own (or is not tracked).
func fileState(f *fstree.File) string {
	if f.Type == fstree.Symlink {
		return fmt.Sprintf("s:%q:%v", f.Target, f.TargetOnly)
	}
	return fmt.Sprintf("f:%x:%d:%q:%v:%o", f.Hash, f.Type, f.Target, f.TargetOnly, f.Mode&0o7777)
}

type treeView struct {
	files *index
	dirs  map[string]uint32
	links map[string]string
}

func viewOf(files []fstree.File, dirs []fstree.Dir, links []fstree.Link) *treeView {
	v := &treeView{files: newIndex(files), dirs: map[string]uint32{}, links: map[string]string{}}
	for _, d := range dirs {
		v.dirs[d.Path] = d.Mode
	}
	for _, l := range links {
		v.links[l.Path] = l.Target
	}
	return v
}

func (v *treeView) state(p string) string {
	if v == nil {
		return "?"
	}
	if f := v.files.get(p); f != nil {
		return fileState(f)
	}
	if m, ok := v.dirs[p]; ok {
		return fmt.Sprintf("d:%o", m&0o7777)
	}
	if t, ok := v.links[p]; ok {
		return "l:" + t
	}
	return ""
}

func (p *Plan) plan(live *fstree.Tree, keepExtra bool) {
	t := p.Target
	lv := viewOf(live.Files, live.Dirs, live.Links)
	tv := viewOf(t.Files, t.Dirs, t.Links)
	add := func(a Action) { p.Actions = append(p.Actions, a) }
	for i := range t.Files {
		want := &t.Files[i]
		have := lv.files.get(want.Path)
		switch {
		case have == nil:
			add(Action{Op: OpWrite, Path: want.Path, File: want, Create: true})
		case have.Type != want.Type || have.Target != want.Target || have.TargetOnly != want.TargetOnly ||
			want.Type == fstree.Regular && have.Hash != want.Hash:
			add(Action{Op: OpWrite, Path: want.Path, File: want})
		case want.Type == fstree.Regular && have.Mode&0o7777 != want.Mode&0o7777:
			add(Action{Op: OpChmod, Path: want.Path, File: want})
		}
	}
	// Left alone: files the snapshot could not read, and the links an
	// upstream manifest records by path only (it keeps links in place).
	skipped := map[string]bool{}
	for _, s := range t.Skipped {
		skipped[s] = true
	}
	for _, s := range t.Symlinks {
		skipped[s] = true
	}
	for i := range live.Files {
		f := &live.Files[i]
		if tv.files.get(f.Path) != nil || skipped[f.Path] {
			continue
		}
		if keepExtra {
			p.Kept = append(p.Kept, f.Path)
			continue
		}
		add(Action{Op: OpDelete, Path: f.Path})
	}
	if !t.HasLinks && keepExtra {
		for _, l := range live.Links {
			if !skipped[l.Path] {
				p.Kept = append(p.Kept, l.Path)
			}
		}
	}
	if t.HasLinks {
		for _, l := range t.Links {
			if cur, ok := lv.links[l.Path]; !ok || cur != l.Target {
				add(Action{Op: OpLink, Path: l.Path, Target: l.Target, Create: !ok})
			}
		}
		for _, l := range live.Links {
			if _, ok := tv.links[l.Path]; !ok && !skipped[l.Path] {
				add(Action{Op: OpUnlink, Path: l.Path})
			}
		}
	}
	if t.HasDirs {
		roots := map[string]bool{}
		for _, r := range p.Roots {
			roots[r] = true
		}
		for _, d := range t.Dirs {
			cur, ok := lv.dirs[d.Path]
			switch {
			case !ok:
				add(Action{Op: OpMkdir, Path: d.Path, Mode: d.Mode, Create: true})
			case cur&0o7777 != d.Mode&0o7777:
				add(Action{Op: OpDirMode, Path: d.Path, Mode: d.Mode})
			}
		}
		for _, d := range live.Dirs {
			if _, ok := tv.dirs[d.Path]; !ok && !roots[d.Path] && !keepExtra {
				add(Action{Op: OpRmdir, Path: d.Path})
			}
		}
	}
	var fv *treeView
	if p.Final != nil {
		fv = viewOf(p.Final.Files, p.Final.Dirs, p.Final.Links)
	}
	for i := range p.Actions {
		a := &p.Actions[i]
		if fv == nil || lv.state(a.Path) != fv.state(a.Path) {
			a.Conflict = true
			p.Conflicts++
		}
	}
	slices.SortStableFunc(p.Actions, func(a, b Action) int { return fstree.Compare(a.Path, b.Path) })
}

// Lines are the plan's listing lines, in path order.
func (p *Plan) Lines() []string {
	out := make([]string, len(p.Actions))
	for i := range p.Actions {
		out[i] = p.Actions[i].Line()
	}
	return out
}

// ConflictError is a restore refused because files changed after the
// session ended (or because it never ended).
type ConflictError struct {
	Paths      []string
	NeverEnded bool
}

func (e *ConflictError) Error() string {
	if e.NeverEnded {
		return "the session has no final snapshot (it did not end normally), so changes made since cannot be told apart: run with --force to restore anyway"
	}
	const show = 10
	var list string
	for i, p := range e.Paths {
		if i == show {
			list += fmt.Sprintf("\n  … and %d more", len(e.Paths)-show)
			break
		}
		list += "\n  " + fstree.Display(p)
	}
	return fmt.Sprintf("%d path(s) changed after the session ended; restoring would overwrite them (run with --force to do it anyway):%s", len(e.Paths), list)
}

// Applied tells what a restore did.
type Applied struct {
	Done    []Action // steps carried out
	Skipped []string // non-fatal problems (a directory left because not empty, say)
}

// Restore plans and, unless DryRun, applies a restore, then records it
// in the session (restores.ndjson). The plan is returned even when the
// apply fails part-way, with Applied saying how far it got; running the
// same restore again finishes the job.
func Restore(o RestoreOptions) (*Plan, *Applied, error) {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Source == "" {
		o.Source = "cli"
	}
	p, err := planRestore(o)
	if err != nil {
		return nil, nil, err
	}
	if o.DryRun || len(p.Actions) == 0 {
		return p, &Applied{}, nil
	}
	auditDir := ""
	if root, err := stores.AuditRoot(o.Getenv); err == nil {
		auditDir = filepath.Join(root, filepath.Base(o.Dir))
	}
	if !o.Force {
		if session.IsRunning(o.Dir) || auditDir != "" && session.IsRunning(auditDir) {
			return p, nil, fmt.Errorf("session %s is still running: restoring under it would race with it (run with --force to do it anyway)", p.Session.SessionID)
		}
		if p.Final == nil {
			return p, nil, &ConflictError{NeverEnded: true}
		}
		if p.Conflicts > 0 {
			var paths []string
			for _, a := range p.Actions {
				if a.Conflict {
					paths = append(paths, a.Path)
				}
			}
			return p, nil, &ConflictError{Paths: paths}
		}
	}
	store, err := OpenStore(o.Dir)
	if err != nil {
		return p, nil, err
	}
	unlock, err := store.lock(false)
	if err != nil {
		return p, nil, err
	}
	defer unlock()
	ap := &applier{roots: p.Roots, store: store, dirs: map[string]int{}, buf: make([]byte, 256<<10), warn: o.Warn}
	files, bytes := p.writes()
	ap.progress = o.Progress.start("restore", files, bytes)
	applied, applyErr := ap.apply(p.Actions)
	ap.progress.Done()
	rec := RestoreRecord{
		Time:     o.Now(),
		Snapshot: o.Snapshot,
		Source:   o.Source,
		Forced:   o.Force,
		Planned:  len(p.Actions),
		Done:     len(applied.Done),
		Counts:   countActions(applied.Done),
	}
	if applyErr != nil {
		rec.Error = applyErr.Error()
	}
	recErr := recordRestore(filepath.Base(o.Dir), o.Dir, auditDir, &rec)
	if applyErr != nil {
		return p, applied, applyErr
	}
	return p, applied, recErr
}

// applier carries out a plan below the tracked roots, never through a
// symlink: each parent directory is opened from its root with
// fstree.OpenBeneath, every name is created with O_EXCL/O_NOFOLLOW or by
// renaming over it, and deletions use unlinkat, which never follows.
type applier struct {
	roots    []string
	store    *Store
	dirs     map[string]int // open parent directories by path
	buf      []byte
	warn     func(string)
	progress *progress.Progress // counts the files written
}

// writes counts the files a plan writes and their bytes.
func (p *Plan) writes() (files int, bytes int64) {
	for _, a := range p.Actions {
		if (a.Op == OpWrite || a.Op == OpChmod) && a.File != nil {
			files++
			bytes += a.File.Size
		}
	}
	return files, bytes
}

func (ap *applier) closeDirs() {
	for _, fd := range ap.dirs {
		unix.Fsync(fd)
		unix.Close(fd)
	}
	clear(ap.dirs)
}

// apply runs the steps in a safe order: removals deepest first, then
// directories, then content, then permissions (directory permissions
// last, so a read-only directory is filled before it is closed).
func (ap *applier) apply(actions []Action) (*Applied, error) {
	defer ap.closeDirs()
	res := &Applied{}
	var phases [5][]*Action
	for i := range actions {
		a := &actions[i]
		switch a.Op {
		case OpDelete, OpUnlink:
			phases[0] = append(phases[0], a)
		case OpRmdir:
			phases[1] = append(phases[1], a)
		case OpMkdir:
			phases[2] = append(phases[2], a)
		case OpWrite, OpLink:
			phases[3] = append(phases[3], a)
		case OpChmod, OpDirMode:
			phases[4] = append(phases[4], a)
		}
	}
	slices.Reverse(phases[0])
	slices.Reverse(phases[1])
	var modes []*Action // directories whose permissions are set at the very end
	for i, phase := range phases {
		for _, a := range phase {
			if a.Op == OpDirMode {
				modes = append(modes, a)
				continue
			}
			if err := ap.step(a, res); err != nil {
				return res, fmt.Errorf("restore %s: %w", fstree.Display(a.Path), err)
			}
			if a.Op == OpMkdir {
				modes = append(modes, a)
			}
		}
		if i < 2 {
			ap.closeDirs() // directories were removed: reopen from the roots
		}
	}
	slices.Reverse(modes) // deepest first
	for _, a := range modes {
		if err := ap.chmodDir(a.Path, a.Mode); err != nil {
			return res, fmt.Errorf("restore %s: %w", fstree.Display(a.Path), err)
		}
		if a.Op == OpDirMode {
			res.Done = append(res.Done, *a)
		}
	}
	return res, nil
}

func (ap *applier) step(a *Action, res *Applied) error {
	switch a.Op {
	case OpDelete, OpUnlink:
		pfd, name, err := ap.parent(a.Path)
		if err != nil {
			return err
		}
		if err := unix.Unlinkat(pfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	case OpRmdir:
		pfd, name, err := ap.parent(a.Path)
		if err != nil {
			return err
		}
		if err := unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR); err != nil {
			if errors.Is(err, unix.ENOENT) {
				break
			}
			if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
				msg := fmt.Sprintf("%s left in place: it holds files the snapshot did not track", fstree.Display(a.Path))
				res.Skipped = append(res.Skipped, msg)
				ap.warn(msg)
				return nil
			}
			return err
		}
	case OpMkdir:
		pfd, name, err := ap.parent(a.Path)
		if err != nil {
			return err
		}
		if err := unix.Mkdirat(pfd, name, 0o700); err != nil {
			if !errors.Is(err, unix.EEXIST) {
				return err
			}
			var st unix.Stat_t
			if err := unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return err
			}
			if st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return errors.New("a non-directory is in the way")
			}
		}
	case OpWrite:
		if err := ap.write(a.File); err != nil {
			return err
		}
		ap.progress.Add(1, a.File.Size)
	case OpLink:
		if err := ap.symlink(a.Path, a.Target); err != nil {
			return err
		}
	case OpChmod:
		// Never chmod a file in place: the inode may be shared, through a
		// hard link the session made, with a file outside the roots. A new
		// file with the snapshot's content and mode replaces it instead.
		if err := ap.write(a.File); err != nil {
			return err
		}
		ap.progress.Add(1, a.File.Size)
	}
	res.Done = append(res.Done, *a)
	return nil
}

// root returns the deepest tracked root holding p.
func (ap *applier) root(p string) (string, bool) {
	best := ""
	for _, r := range ap.roots {
		if fstree.Within(p, r) && len(r) > len(best) {
			best = r
		}
	}
	return best, best != ""
}

// parent opens (or reuses) the directory holding p and returns it with
// p's last component. The root itself is reached with no symlink in its
// path; everything below it with OpenBeneath.
func (ap *applier) parent(p string) (int, string, error) {
	root, ok := ap.root(p)
	if !ok {
		return -1, "", errors.New("outside the tracked roots")
	}
	dir, name := filepath.Dir(p), filepath.Base(p)
	if fd, ok := ap.dirs[dir]; ok {
		return fd, name, nil
	}
	var fd int
	var err error
	if p == root {
		fd, err = fstree.OpenNoSymlinks(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	} else {
		var rfd int
		rfd, err = fstree.OpenNoSymlinks(root, unix.O_PATH|unix.O_DIRECTORY, 0)
		if err == nil {
			rel, _ := fstree.Rel(root, dir)
			fd, err = fstree.OpenBeneath(rfd, rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
			unix.Close(rfd)
		}
	}
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV) {
			return -1, "", fmt.Errorf("refusing to restore through a symlink in %s", fstree.Display(dir))
		}
		if errors.Is(err, unix.ENOTDIR) {
			return -1, "", fmt.Errorf("a parent of %s is not a directory", fstree.Display(p))
		}
		return -1, "", fmt.Errorf("open %s: %w", fstree.Display(dir), err)
	}
	if len(ap.dirs) >= 256 {
		ap.closeDirs()
	}
	ap.dirs[dir] = fd
	return fd, name, nil
}

func tempName() string {
	var b [4]byte
	rand.Read(b[:])
	return ".nono-restore-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// write puts a file back: a temporary file in the same directory, filled
// from the object while hashing it (a corrupt object is refused before
// anything is replaced), given its permissions, synced, then renamed over
// whatever is at the path (a symlink there is replaced, never followed).
func (ap *applier) write(f *fstree.File) error {
	if f.Type == fstree.Symlink {
		return ap.symlink(f.Path, f.Target)
	}
	pfd, name, err := ap.parent(f.Path)
	if err != nil {
		return err
	}
	obj, err := ap.store.Open(f.Hash)
	if err != nil {
		return err
	}
	defer obj.Close()
	tmp := tempName()
	fd, err := unix.Openat(pfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	out := os.NewFile(uintptr(fd), tmp)
	fail := func(err error) error {
		out.Close()
		unix.Unlinkat(pfd, tmp, 0)
		return err
	}
	h := sha256.New()
	for {
		k, rerr := obj.Read(ap.buf)
		if k > 0 {
			h.Write(ap.buf[:k])
			if _, err := out.Write(ap.buf[:k]); err != nil {
				return fail(err)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fail(fmt.Errorf("read object %s: %w", fstree.Hex(f.Hash), rerr))
		}
	}
	var got fstree.Hash
	h.Sum(got[:0])
	if got != f.Hash {
		return fail(&IntegrityError{fmt.Errorf("object %s is corrupt (its content hashes to %s); nothing was replaced", fstree.Hex(f.Hash), fstree.Hex(got))})
	}
	if err := unix.Fchmod(fd, f.Mode&0o7777); err != nil {
		return fail(err)
	}
	if err := out.Sync(); err != nil {
		return fail(err)
	}
	if err := out.Close(); err != nil {
		unix.Unlinkat(pfd, tmp, 0)
		return err
	}
	if err := unix.Renameat(pfd, tmp, pfd, name); err != nil {
		unix.Unlinkat(pfd, tmp, 0)
		return err
	}
	return nil
}

// symlink creates a symlink under a temporary name and renames it into
// place.
func (ap *applier) symlink(p, target string) error {
	pfd, name, err := ap.parent(p)
	if err != nil {
		return err
	}
	tmp := tempName()
	if err := unix.Symlinkat(target, pfd, tmp); err != nil {
		return err
	}
	if err := unix.Renameat(pfd, tmp, pfd, name); err != nil {
		unix.Unlinkat(pfd, tmp, 0)
		return err
	}
	return nil
}

// chmodDir sets a directory's permissions without following a symlink:
// it opens the entry itself with O_PATH and changes the inode that
// descriptor names (a directory has no hard links to share it).
func (ap *applier) chmodDir(p string, mode uint32) error {
	pfd, name, err := ap.parent(p)
	if err != nil {
		return err
	}
	fd, err := fstree.OpenBeneath(pfd, name, unix.O_PATH, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return errors.New("changed type while restoring")
	}
	err = unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), mode&0o7777, 0)
	if !errors.Is(err, unix.ENOENT) {
		return err
	}
	// No /proc: open the directory itself (it was just checked to be no
	// symlink, and O_NOFOLLOW keeps it so).
	rfd, err := fstree.OpenBeneath(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(rfd)
	return unix.Fchmod(rfd, mode&0o7777)
}

// ActionCounts tally what a restore did.
type ActionCounts struct {
	Created, Modified, Deleted, Permissions int
}

func countActions(done []Action) ActionCounts {
	var c ActionCounts
	for _, a := range done {
		switch a.Symbol() {
		case "+":
			c.Created++
		case "~":
			c.Modified++
		case "-":
			c.Deleted++
		case "p":
			c.Permissions++
		}
	}
	return c
}
