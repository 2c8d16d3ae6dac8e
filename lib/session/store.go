package session

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/atomicfile"
)

// Names of the files in a session directory.
const (
	EventsFileName = "audit-events.ndjson"
	BundleFileName = "audit-attestation.bundle"
)

// Env is how the store reads the environment; tests substitute it.
type Env func(string) string

// ValidateID checks a session ID given by a user or found on disk: 1–64
// bytes of [A-Za-z0-9_-], which also excludes `/`, `..` and NUL.
func ValidateID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("invalid session ID %q: want 1-64 characters of [A-Za-z0-9_-]", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("invalid session ID %q: want 1-64 characters of [A-Za-z0-9_-]", id)
		}
	}
	return nil
}

// newID returns a fresh session ID: 16 lowercase hex digits (8 random bytes).
func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate session ID: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// EnsureRoot creates root (and missing parents) with mode 0700, after
// refusing a root another user could change (CheckRoot).
func EnsureRoot(root string) error {
	if err := CheckRoot(root); err != nil {
		return err
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", root, err)
	}
	return nil
}

// Create makes a new session directory (0700) under root with a fresh ID.
func Create(root string) (id, dir string, err error) {
	if err := EnsureRoot(root); err != nil {
		return "", "", err
	}
	for range 8 {
		if id, err = newID(); err != nil {
			return "", "", err
		}
		dir = filepath.Join(root, id)
		err = os.Mkdir(dir, 0o700)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("create session directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil { // umask may have narrowed it
			return "", "", fmt.Errorf("create session directory: %w", err)
		}
		return id, dir, nil
	}
	return "", "", errors.New("create session directory: too many ID collisions")
}

// Dir returns the directory of session id under root, validating id.
func Dir(root, id string) (string, error) {
	if err := ValidateID(id); err != nil {
		return "", err
	}
	return filepath.Join(root, id), nil
}

// Read loads dir/session.json.
func Read(dir string) (*Session, error) {
	p := filepath.Join(dir, FileName)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read session record: %w", err)
	}
	s, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", p, err)
	}
	return s, nil
}

// Write atomically replaces dir/session.json (mode 0600). The content is
// on disk before the rename, but the rename is made durable only by Sync:
// a session's record is rewritten by several stages, and one directory
// fsync at the end (before the ledger commits to it) serves them all.
func Write(dir string, s *Session) error {
	return atomicfile.ReplaceWith(filepath.Join(dir, FileName), 0o600, s.fill)
}

// WriteDraft is Write without the fsync before the rename, so after a
// power loss the file may be empty: for a session.json that a Write
// replaces before anything depends on it (the plan's first, which the
// supervisor's replaces before the command runs; the end hashes of
// --audit-integrity, which nono run's last recorder stage replaces when
// the stream ends).
func WriteDraft(dir string, s *Session) error {
	return atomicfile.Draft(filepath.Join(dir, FileName), 0o600, s.fill)
}

func (s *Session) fill(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := s.encodeTo(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// Sync makes every earlier Write in dir durable.
func Sync(dir string) error { return atomicfile.SyncDir(dir) }

// Update reads dir/session.json, lets change modify it, and writes it back
// atomically. Each finalisation stage owns its own fields and uses this.
func Update(dir string, change func(*Session) error) error {
	return update(dir, change, Write)
}

// UpdateDraft is Update with WriteDraft: for a version that a later stage
// rewrites with Update before anything depends on it being on disk.
func UpdateDraft(dir string, change func(*Session) error) error {
	return update(dir, change, WriteDraft)
}

func update(dir string, change func(*Session) error, write func(string, *Session) error) error {
	s, err := Read(dir)
	if err != nil {
		return err
	}
	if err := change(s); err != nil {
		return err
	}
	return write(dir, s)
}

// HoldRunning marks dir's session as running until release is called or
// the process dies: an exclusive flock on the directory itself. The kernel
// drops the lock with the process, so a crash can never leave a session
// that looks alive, and no lock file litters the session.
func HoldRunning(dir string) (release func(), err error) {
	f, err := openDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mark session running: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("mark session running: %w", err)
	}
	return func() { f.Close() }, nil
}

// IsRunning reports whether a live process holds dir's running lock.
func IsRunning(dir string) bool {
	f, err := openDir(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	return false
}

func openDir(dir string) (*os.File, error) {
	return os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

// DiskSize is the total size of the regular files under dir, not
// following symbolic links.
func DiskSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total, err
}

// IsTemp reports whether name is a temporary file of an atomic write.
func IsTemp(name string) bool { return strings.HasPrefix(name, atomicfile.TempPrefix) }
