package session

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/stores"
)

// Status is the state of a recorded session as found on disk.
type Status string

const (
	// Completed sessions have an end time and no live recorder.
	Completed Status = "completed"
	// Running sessions have a live process holding the running lock.
	Running Status = "running"
	// Incomplete sessions never ended and nothing holds them: the
	// recorder crashed or was killed.
	Incomplete Status = "incomplete"
	// Damaged sessions have a missing or unreadable session.json.
	Damaged Status = "damaged"
)

// ErrNotFound means no session of that ID exists in the store.
var ErrNotFound = errors.New("session not found")

// maxRecordSize bounds how much of a session.json is read: far above any
// real record (network events included), far below what would hurt.
const maxRecordSize = 64 << 20

// Side is which copy of its sessions a command works on. A session run
// with --rollback has two directories: the audit directory (its log, the
// record the ledger covers) and the rollback directory (its snapshots and
// a copy of session.json).
type Side int

const (
	// AuditSide is every session of the audit root, read from its audit
	// directory, and every session that survives only in a rollback
	// directory (its audit directory was removed), read from there.
	AuditSide Side = iota
	// RollbackSide is every session of the rollback directories, read
	// from the rollback directory's own copy of session.json.
	RollbackSide
)

// Store is where sessions are kept: the audit root and the directories
// holding rollback sessions.
type Store struct {
	AuditRoot string
	// RollbackRoots are the rollback root, then the --rollback-dest
	// directories registered in its dests file, then any given
	// explicitly. A session found in two is taken from the first.
	RollbackRoots []string
}

// Open finds the store from the environment (see AuditRoot and
// RollbackRoot); rollbackDirs are further rollback directories to search
// (unregistered --rollback-dest values). A root another user could change
// is refused (CheckRoot).
func Open(getenv Env, rollbackDirs ...string) (*Store, error) {
	audit, err := stores.AuditRoot(getenv)
	if err != nil {
		return nil, err
	}
	root, err := stores.RollbackRoot(getenv)
	if err != nil {
		return nil, err
	}
	st := &Store{AuditRoot: audit, RollbackRoots: []string{root}}
	dests, err := ReadDests(root)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(root, DestsFileName), err)
	}
	for _, d := range append(dests, rollbackDirs...) {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("rollback directory %q is not an absolute path", d)
		}
		if d = filepath.Clean(d); !slices.Contains(st.RollbackRoots, d) {
			st.RollbackRoots = append(st.RollbackRoots, d)
		}
	}
	for _, r := range append([]string{st.AuditRoot}, st.RollbackRoots...) {
		if err := CheckRoot(r); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// Entry is one session found on disk.
type Entry struct {
	ID          string   // the directory name, a valid session ID
	Side        Side     // the copy Dir is
	Dir         string   // the directory whose session.json was read
	AuditDir    string   // <audit root>/<ID>; "" when there is none
	RollbackDir string   // the rollback directory holding the session; "" when none
	Session     *Session // nil when Damaged
	Err         error    // why the entry is Damaged
	Status      Status

	started   time.Time
	startedOK bool
}

// Started returns the session's parsed start time (event.ParseTime); false
// when the entry is damaged or its time cannot be parsed.
func (e *Entry) Started() (time.Time, bool) { return e.started, e.startedOK }

// List finds every session of side, newest first (SortNewestFirst). On
// the audit side a directory of the audit root whose name is a valid
// session ID but whose session.json is missing or unreadable is listed as
// Damaged rather than hidden. In a rollback directory only directories
// holding a session.json count, since the rollback store keeps other
// directories of its own; one whose record cannot be read is Damaged.
func (st *Store) List(side Side) ([]*Entry, error) {
	var out []*Entry
	seen := map[string]bool{}
	if side == AuditSide {
		names, err := readDirNames(st.AuditRoot)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if ValidateID(name) != nil {
				continue
			}
			if e := st.auditEntry(name); e != nil {
				out = append(out, e)
				seen[name] = true
			}
		}
	}
	for _, root := range st.RollbackRoots {
		names, err := readDirNames(root)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if seen[name] || ValidateID(name) != nil {
				continue
			}
			if e := st.rollbackEntry(side, root, name); e != nil {
				out = append(out, e)
				seen[name] = true
			}
		}
	}
	SortNewestFirst(out)
	return out, nil
}

// Find looks session id (validated first) up on side: in the audit root,
// else in the rollback directories. The error wraps ErrNotFound when none
// holds it. A session whose record cannot be read is returned Damaged.
func (st *Store) Find(side Side, id string) (*Entry, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if side == AuditSide && st.AuditRoot != "" {
		dir := filepath.Join(st.AuditRoot, id)
		if _, err := os.Lstat(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("session %s: %w", id, err)
		}
		if e := st.auditEntry(id); e != nil {
			return e, nil
		}
	}
	for _, root := range st.RollbackRoots {
		if e := st.rollbackEntry(side, root, id); e != nil {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%w: %s (looked in %s)", ErrNotFound, id, st.where(side))
}

// where names the directories Find searched, for its error.
func (st *Store) where(side Side) string {
	var dirs []string
	if side == AuditSide && st.AuditRoot != "" {
		dirs = append(dirs, st.AuditRoot)
	}
	dirs = append(dirs, st.RollbackRoots...)
	s := ""
	for i, d := range dirs {
		switch {
		case i == 0:
		case i == len(dirs)-1:
			s += " or "
		default:
			s += ", "
		}
		s += d
	}
	return s
}

// auditEntry is the session in the audit root's directory name, nil when
// there is no such directory (or it is something else, a plain file).
func (st *Store) auditEntry(name string) *Entry {
	if st.AuditRoot == "" {
		return nil
	}
	dir := filepath.Join(st.AuditRoot, name)
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // removed while we looked
	case err != nil:
		return damaged(name, dir, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return damaged(name, dir, fmt.Errorf("%s is a symbolic link, not a session directory", dir))
	case !fi.IsDir():
		return nil
	}
	e := &Entry{ID: name, Side: AuditSide, Dir: dir, AuditDir: dir, RollbackDir: st.rollbackDir(name)}
	e.load()
	return e
}

// rollbackEntry is the session in root/name when that directory holds a
// session.json, else nil. On the audit side it is a session whose audit
// directory is gone.
func (st *Store) rollbackEntry(side Side, root, name string) *Entry {
	if !holdsRecord(root, name) {
		return nil
	}
	dir := filepath.Join(root, name)
	e := &Entry{ID: name, Side: side, Dir: dir, RollbackDir: dir}
	if side == RollbackSide {
		e.AuditDir = realDir(st.AuditRoot, name)
	}
	e.load()
	return e
}

// holdsRecord reports whether root/name is a directory (not a symbolic
// link) holding a session.json: a session of a rollback directory.
func holdsRecord(root, name string) bool {
	if realDir(root, name) == "" {
		return false
	}
	_, err := os.Lstat(filepath.Join(root, name, FileName))
	return err == nil
}

// auditSlot reports whether root/name is listed as a session of the audit
// root: a directory, or something that stands in its place (a symbolic
// link, an entry that cannot be examined), but not a plain file.
func auditSlot(root, name string) bool {
	fi, err := os.Lstat(filepath.Join(root, name))
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	return fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0
}

// rollbackDir is the first rollback directory holding session id.
func (st *Store) rollbackDir(id string) string {
	for _, root := range st.RollbackRoots {
		if dir := realDir(root, id); dir != "" {
			return dir
		}
	}
	return ""
}

// realDir is root/name when that is a directory (not a symbolic link).
func realDir(root, name string) string {
	if root == "" {
		return ""
	}
	dir := filepath.Join(root, name)
	if fi, err := os.Lstat(dir); err == nil && fi.IsDir() {
		return dir
	}
	return ""
}

// Load reads the session in dir, which need not be in the store (a
// copied session, say). Its name must still be a valid session ID.
func Load(dir string) (*Entry, error) {
	dir = filepath.Clean(dir)
	id := filepath.Base(dir)
	if err := ValidateID(id); err != nil {
		return nil, fmt.Errorf("%s: directory name is not a session ID: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("session directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	e := &Entry{ID: id, Dir: dir, AuditDir: dir}
	e.load()
	return e, nil
}

// SortNewestFirst orders entries by parsed start time, newest first, so
// mixed UTC offsets and epoch-second times sort chronologically. Entries
// without a parseable time go last; ties are broken by ID.
func SortNewestFirst(entries []*Entry) {
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.startedOK != b.startedOK {
			return a.startedOK
		}
		if a.startedOK && !a.started.Equal(b.started) {
			return a.started.After(b.started)
		}
		return a.ID < b.ID
	})
}

// load reads e.Dir's session.json and works out the status.
func (e *Entry) load() {
	s, err := readRecord(e.Dir)
	if err != nil {
		e.Status, e.Err = Damaged, err
		return
	}
	e.Session = s
	e.started, err = event.ParseTime(s.Started)
	e.startedOK = err == nil
	switch {
	case e.running():
		// Checked first: a recorder still finalising an ended session
		// holds the lock until its last write.
		e.Status = Running
	case s.Ended == nil:
		e.Status = Incomplete
	case e.Side == AuditSide && e.AuditDir != "":
		// session.json says it ended; the log must agree, or the recording
		// failed (a stage killed, a disk full) after the command ran.
		e.Status, e.Err = recordingStatus(e.AuditDir)
	default:
		e.Status = Completed
	}
}

// running reports whether a live recorder holds either of the session's
// directories.
func (e *Entry) running() bool {
	return e.AuditDir != "" && IsRunning(e.AuditDir) || e.RollbackDir != "" && IsRunning(e.RollbackDir)
}

func damaged(id, dir string, err error) *Entry {
	return &Entry{ID: id, Side: AuditSide, Dir: dir, AuditDir: dir, Status: Damaged, Err: err}
}

// readRecord reads dir/session.json without following a symlink in its
// place and without reading more than maxRecordSize.
func readRecord(dir string) (*Session, error) {
	p := filepath.Join(dir, FileName)
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link", p)
		}
		return nil, fmt.Errorf("read session record: %w", err)
	}
	defer f.Close()
	data, err := canon.ReadAll(f, maxRecordSize, p)
	if err != nil {
		return nil, err
	}
	s, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	return s, nil
}

// readDirNames lists root's entries; a missing root (or "") has none.
func readDirNames(root string) ([]string, error) {
	if root == "" {
		return nil, nil
	}
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}
