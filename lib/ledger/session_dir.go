package ledger

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nono-audit/nono/lib/session"
)

// NotRecordedError refuses the automatic append of a session whose
// recording did not finish (session.Recorded): only a user who knows
// adds it, by hand.
type NotRecordedError struct {
	SessionID string
	Err       error
}

func (e *NotRecordedError) Error() string {
	return fmt.Sprintf("session %s: its recording failed, so it is not added to the ledger: %v\n`nono audit verify %s` shows what is missing; to add it as it is, knowingly: nono audit ledger append %s", e.SessionID, e.Err, e.SessionID, e.SessionID)
}

// Verdict reports true: exit status 1 (lib/cli).
func (e *NotRecordedError) Verdict() bool { return true }

// NameError: session.json names another session than its directory.
type NameError struct{ Path, SessionID, Dir string }

func (e *NameError) Error() string {
	return fmt.Sprintf("%s: session_id %q does not match the directory name %q", e.Path, e.SessionID, e.Dir)
}

// Verdict reports true: exit status 1 (lib/cli).
func (e *NameError) Verdict() bool { return true }

// AppendDir adds the session in dir to the ledger of the audit root
// holding dir, after making its session.json durable (the ledger commits
// to it as it is now). With recordedOnly, a session whose recording did
// not finish is refused (*NotRecordedError), as `nono run` does. The
// session is returned whenever it could be read, for the caller's
// messages; ErrDamaged (wrapped) means the ledger needs a repair first.
func AppendDir(dir string, wait time.Duration, recordedOnly bool) (*Record, *session.Session, error) {
	s, err := session.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	// An invalid id is refused by the ledger itself, with its own message.
	if name := filepath.Base(dir); session.ValidateID(s.SessionID) == nil && name != s.SessionID {
		return nil, s, &NameError{Path: filepath.Join(dir, session.FileName), SessionID: s.SessionID, Dir: name}
	}
	if recordedOnly {
		if err := session.Recorded(dir, s); err != nil {
			return nil, s, &NotRecordedError{SessionID: s.SessionID, Err: err}
		}
	}
	if err := session.Sync(dir); err != nil {
		return nil, s, err
	}
	rec, err := Append(filepath.Dir(dir), s, wait)
	return rec, s, err
}

// DamagedHint is what to tell the user when AppendDir found the ledger
// damaged: the session is recorded, and how to add it after the repair.
func DamagedHint(err error, id, dir string) error {
	if !errors.Is(err, ErrDamaged) {
		return err
	}
	return fmt.Errorf("%w\nsession %s is recorded in %s but not yet in the ledger; after the repair, add it with `nono audit ledger append %s`", err, id, dir, dir)
}
