package ledger

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultWait is how long a command waits for another process's hold on
// the ledger lock before giving up.
const DefaultWait = 30 * time.Second

// lockFile takes a flock on <root>/ledger.lock: exclusive for writers,
// shared for readers. The lock is a file of its own, never the ledger, so
// that repair can replace ledger.ndjson while others wait for the lock:
// whoever gets it next opens the new file.
//
// It polls with LOCK_NB until wait has passed instead of blocking: a
// process stuck holding the lock must not hang every later session.
// When the lock file cannot be created (a read-only copy of an audit
// root), a reader (create false) proceeds without a lock; nobody can be
// writing there either.
func lockFile(root string, exclusive, create bool, wait time.Duration) (release func(), err error) {
	path := filepath.Join(root, lockName)
	flags := os.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	if create {
		flags = os.O_RDWR | os.O_CREATE | unix.O_NOFOLLOW | unix.O_CLOEXEC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil && !create && errors.Is(err, os.ErrNotExist) {
		// A reader may create it, if it can, so that its view is protected.
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return func() {}, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger lock: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	deadline := time.Now().Add(wait)
	pause := 2 * time.Millisecond
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			f.Close()
			return nil, &lockTimeoutError{Path: path, Wait: wait}
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// lockTimeoutError means another process held the ledger lock for longer
// than the caller was willing to wait.
type lockTimeoutError struct {
	Path string
	Wait time.Duration
}

func (e *lockTimeoutError) Error() string {
	return fmt.Sprintf("the ledger lock %s is still held by another process after waiting %v; retry when it is done (or wait longer)", e.Path, e.Wait)
}

// ErrDamaged matches every *damagedError (errors.Is).
var ErrDamaged = errors.New("ledger damaged")

// damagedError is a ledger line that cannot be trusted: it does not parse,
// is cut short, or breaks the sequence or the chain. Line is the 1-based
// physical line number.
type damagedError struct {
	Path   string
	Line   int
	Reason string
}

func (e *damagedError) Error() string {
	return fmt.Sprintf("ledger %s line %d: %s (inspect it, then run `nono audit ledger repair`, which moves the damaged tail aside)", e.Path, e.Line, e.Reason)
}

func (e *damagedError) Is(target error) bool { return target == ErrDamaged }

// Verdict reports true: the ledger is invalid (exit status 1, lib/cli).
func (e *damagedError) Verdict() bool { return true }
