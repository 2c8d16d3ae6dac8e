package session

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/event"
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

// ErrNotFound means no session of that ID exists in either root.
var ErrNotFound = errors.New("session not found")

// maxRecordSize bounds how much of a session.json is read: far above any
// real record (network events included), far below what would hurt.
const maxRecordSize = 64 << 20

// Entry is one session found on disk.
type Entry struct {
	ID          string   // the directory name, a valid session ID
	Dir         string   // the directory whose session.json was read
	AuditDir    string   // <audit root>/<ID>; "" when only in the rollback root
	RollbackDir string   // <rollback root>/<ID> when that directory exists
	Session     *Session // nil when Damaged
	Err         error    // why the entry is Damaged
	Status      Status

	started   time.Time
	startedOK bool
}

// Started returns the session's parsed start time (event.ParseTime); false
// when the entry is damaged or its time cannot be parsed.
func (e *Entry) Started() (time.Time, bool) { return e.started, e.startedOK }

// List finds every session under auditRoot and, for sessions recorded only
// there, under rollbackRoot (either may be "" or missing). A directory of
// the audit root whose name is a valid session ID but whose session.json
// is missing or unreadable is listed as Damaged rather than hidden; in the
// rollback root only directories holding a session.json count, since the
// rollback store keeps other directories of its own. Entries come in no
// particular order; see SortNewestFirst.
func List(auditRoot, rollbackRoot string) ([]*Entry, error) {
	var out []*Entry
	seen := map[string]bool{}
	names, err := readDirNames(auditRoot)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if ValidateID(name) != nil {
			continue
		}
		dir := filepath.Join(auditRoot, name)
		fi, err := os.Lstat(dir)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while we looked
			}
			out = append(out, damaged(name, dir, err))
			seen[name] = true
			continue
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			out = append(out, damaged(name, dir, fmt.Errorf("%s is a symbolic link, not a session directory", dir)))
		case fi.IsDir():
			out = append(out, load(name, dir, rollbackDir(rollbackRoot, name)))
		default:
			continue
		}
		seen[name] = true
	}
	names, err = readDirNames(rollbackRoot)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if seen[name] || ValidateID(name) != nil {
			continue
		}
		if e := loadRollbackOnly(rollbackRoot, name); e != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// Find locates session id (validated first) in auditRoot, else in
// rollbackRoot. The error wraps ErrNotFound when neither holds it.
func Find(auditRoot, rollbackRoot, id string) (*Entry, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if auditRoot != "" {
		dir := filepath.Join(auditRoot, id)
		fi, err := os.Lstat(dir)
		switch {
		case err == nil && fi.Mode()&fs.ModeSymlink != 0:
			return damaged(id, dir, fmt.Errorf("%s is a symbolic link, not a session directory", dir)), nil
		case err == nil && fi.IsDir():
			return load(id, dir, rollbackDir(rollbackRoot, id)), nil
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("session %s: %w", id, err)
		}
	}
	if e := loadRollbackOnly(rollbackRoot, id); e != nil {
		return e, nil
	}
	where := auditRoot
	if rollbackRoot != "" {
		where += " or " + rollbackRoot
	}
	return nil, fmt.Errorf("%w: %s (looked in %s)", ErrNotFound, id, where)
}

// Load reads the session in dir, which need not be under either root (a
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
	return load(id, dir, ""), nil
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

func rollbackDir(rollbackRoot, id string) string {
	if rollbackRoot == "" {
		return ""
	}
	dir := filepath.Join(rollbackRoot, id)
	if fi, err := os.Lstat(dir); err == nil && fi.IsDir() {
		return dir
	}
	return ""
}

// loadRollbackOnly returns the session in rollbackRoot/id when that
// directory holds a session.json, else nil.
func loadRollbackOnly(rollbackRoot, id string) *Entry {
	dir := rollbackDir(rollbackRoot, id)
	if dir == "" {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dir, FileName)); err != nil {
		return nil
	}
	e := load(id, dir, dir)
	e.AuditDir = ""
	return e
}

// load reads dir/session.json and works out the status.
func load(id, dir, rollback string) *Entry {
	e := &Entry{ID: id, Dir: dir, AuditDir: dir, RollbackDir: rollback}
	s, err := readRecord(dir)
	if err != nil {
		e.Status, e.Err = Damaged, err
		return e
	}
	e.Session = s
	e.started, err = event.ParseTime(s.Started)
	e.startedOK = err == nil
	switch {
	case IsRunning(dir):
		// Checked first: a recorder still finalising an ended session
		// holds the lock until its last write.
		e.Status = Running
	case s.Ended != nil:
		e.Status = Completed
	default:
		e.Status = Incomplete
	}
	return e
}

func damaged(id, dir string, err error) *Entry {
	return &Entry{ID: id, Dir: dir, AuditDir: dir, Status: Damaged, Err: err}
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
	data, err := io.ReadAll(io.LimitReader(f, maxRecordSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("read %s: larger than %d bytes", p, maxRecordSize)
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
