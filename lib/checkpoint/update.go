package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
)

// Options tune Update.
type Options struct {
	Wait  time.Duration // longest wait for the ledger lock; ledger.DefaultWait when 0
	Force bool          // sign even when the ledger no longer extends the last checkpoint
	Full  bool          // read the whole ledger even when the saved tree could be extended
}

// Result says what Update did.
type Result struct {
	Checkpoint *Checkpoint
	Note       []byte      // the signed checkpoint
	Path       string      // where it is kept
	Previous   *Checkpoint // the checkpoint found there before, when it verified
	Unchanged  bool        // the ledger had not grown: Note is the previous note, nothing was signed
	Extended   bool        // only the records after the previous checkpoint were read
	Warnings   []string
}

// Update signs a checkpoint of the ledger of auditRoot as it is now with
// key and keeps it beside the ledger (FileName), replacing the previous
// one. It holds the exclusive ledger lock throughout, so checkpoints are
// written in the order of the ledger's growth.
//
// A new checkpoint must extend the previous one (when that one verifies
// with key): the ledger's first Previous.Size records must still have
// its root. Otherwise the ledger was rewritten or repaired since, and
// Update refuses (an error matching ErrInvalid) unless opts.Force.
//
// When the state saved with the previous checkpoint still matches the
// ledger, only the records appended since are read; the whole ledger is
// read (and every record checked) otherwise, or with opts.Full.
func Update(auditRoot string, key *Key, opts Options) (*Result, error) {
	if opts.Wait == 0 {
		opts.Wait = ledger.DefaultWait
	}
	ledgerPath := filepath.Join(auditRoot, ledger.FileName)
	if _, err := os.Lstat(ledgerPath); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no ledger at %s: nothing to checkpoint", ledgerPath)
		}
		return nil, err
	}
	release, err := ledger.Lock(auditRoot, true, opts.Wait)
	if err != nil {
		return nil, err
	}
	defer release()

	res := &Result{Path: filepath.Join(auditRoot, FileName)}
	prevNote := res.previous(key)
	t, err := res.extend(auditRoot, opts)
	if err != nil {
		return nil, err
	}
	if t == nil {
		if t, err = res.readAll(auditRoot, opts); err != nil {
			return nil, err
		}
	}
	root, ok := t.root()
	if !ok {
		return nil, fmt.Errorf("the ledger %s is empty: nothing to checkpoint", ledgerPath)
	}
	res.Checkpoint = &Checkpoint{Origin: key.Name(), Size: t.b.Size(), Root: root}
	if res.Previous != nil && *res.Previous == *res.Checkpoint {
		res.Note, res.Unchanged = prevNote, true
	} else {
		if res.Note, err = res.Checkpoint.Sign(key.Signer); err != nil {
			return nil, err
		}
		if err := atomicfile.Replace(res.Path, res.Note, 0o600); err != nil {
			return nil, err
		}
	}
	if !(res.Unchanged && res.Extended) {
		if err := t.saveState(auditRoot); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the checkpoint is written, but not the state that lets the next one read only new records: %v", err))
		}
	}
	return res, nil
}

// previous reads the checkpoint kept beside the ledger, if it verifies
// with key.
func (res *Result) previous(key *Key) []byte {
	data, err := ReadFile(res.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var cp *Checkpoint
	if err == nil {
		cp, _, err = Open(data, key.Verifier)
	}
	if err != nil {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s does not verify with the key of %s (%v); replacing it", res.Path, key.Name(), err))
		return nil
	}
	res.Previous = cp
	return data
}

// extend returns the previous checkpoint's tree extended by the records
// appended since, or nil when the saved state does not allow it.
func (res *Result) extend(auditRoot string, opts Options) (*tree, error) {
	if opts.Full || res.Previous == nil {
		return nil, nil
	}
	t := loadState(auditRoot)
	if t == nil || t.pos.Count != res.Previous.Size {
		return nil, nil
	}
	if root, _ := t.root(); root != res.Previous.Root {
		return nil, nil
	}
	err := t.read(auditRoot, nil)
	if errors.Is(err, ledger.ErrMoved) {
		return nil, nil // read it all, which says what changed
	}
	if err != nil {
		return nil, err
	}
	res.Extended = true
	return t, nil
}

// readAll builds the tree of the whole ledger, checking that it extends
// the previous checkpoint.
func (res *Result) readAll(auditRoot string, opts Options) (*tree, error) {
	t := &tree{}
	var rootAt *merkle.Hash // the root at the previous checkpoint's size
	prev := res.Previous
	err := t.read(auditRoot, func(*ledger.Record) {
		if prev != nil && t.b.Size() == prev.Size {
			h, _ := t.root()
			rootAt = &h
		}
	})
	if err != nil {
		return nil, err
	}
	if prev == nil || rootAt != nil && *rootAt == prev.Root {
		return t, nil
	}
	var msg string
	if rootAt == nil {
		msg = fmt.Sprintf("the ledger holds %d records, fewer than the %d of the last checkpoint (%s)", t.b.Size(), prev.Size, res.Path)
	} else {
		msg = fmt.Sprintf("the ledger's first %d records no longer have the root of the last checkpoint (%s): %s, not %s", prev.Size, res.Path, merkle.Hex(*rootAt), merkle.Hex(prev.Root))
	}
	msg += ": it was rewritten or repaired since"
	if !opts.Force {
		return nil, invalid("%s; a witness holding that checkpoint will refuse a new one (sign one anyway with --force)", msg)
	}
	res.Warnings = append(res.Warnings, msg+"; signed a new checkpoint anyway (--force)")
	return t, nil
}
