package ledger

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/merkle"
)

// Position is a place in the ledger between two records: how far a reader
// that stopped there has come. The zero Position is the start. Keeping
// one lets a later reader go on from there instead of reading the whole
// ledger again.
type Position struct {
	Count  uint64       // records before it
	Head   *merkle.Hash // chain_hash of the last of them; nil at the start
	Offset int64        // bytes of the file before it
	Line   int          // physical lines before it
}

// ErrMoved matches a Position that is no longer a place in the ledger:
// the file is shorter than its offset, or the record before it is not the
// one it names. The ledger was repaired or rewritten since.
var ErrMoved = errors.New("the ledger no longer holds the records read before")

// Lock takes the ledger lock of auditRoot, waiting at most wait: exclusive
// for whoever changes the ledger or writes what is derived from it,
// shared for readers. Call release when done.
func Lock(auditRoot string, exclusive bool, wait time.Duration) (release func(), err error) {
	return lockFile(auditRoot, exclusive, exclusive, wait)
}

// ReadFrom reads the records of the ledger of auditRoot that follow from,
// checking each as Verify does (sequence, prev_chain, chain_hash), calls
// each for every good one in order, and returns the position after the
// last. The caller holds the ledger lock (Lock), so that no append is
// seen half written. A missing ledger reads as empty.
//
// A from past the start must still be a place in the ledger: the last
// record before from.Offset must be record from.Count-1 with chain hash
// from.Head. Otherwise the error wraps ErrMoved and nothing is read. A
// bad record after from is a *damagedError naming its line.
func ReadFrom(auditRoot string, from Position, each func(*Record)) (Position, error) {
	path := filepath.Join(auditRoot, FileName)
	start := from.Count > 0 || from.Offset > 0
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		if start {
			return from, fmt.Errorf("%w: %s is gone", ErrMoved, path)
		}
		return from, nil
	}
	if err != nil {
		return from, fmt.Errorf("open ledger: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return from, fmt.Errorf("stat ledger %s: %w", path, err)
	}
	size := st.Size()

	c := checker{count: from.Count, head: from.Head, lines: from.Line}
	if start {
		if size < from.Offset || from.Count == 0 || from.Head == nil {
			return from, fmt.Errorf("%w: %s holds %d bytes, fewer than the %d read before", ErrMoved, path, size, from.Offset)
		}
		last, unterminated, err := lastRecord(f, path, from.Offset)
		if err != nil {
			return from, fmt.Errorf("%w: %v", ErrMoved, err)
		}
		if last == nil || last.Sequence != from.Count-1 || last.ChainHash != *from.Head {
			return from, fmt.Errorf("%w: the record before byte %d of %s is not record %d with chain hash %s", ErrMoved, from.Offset, path, from.Count-1, merkle.Hex(*from.Head))
		}
		if unterminated && size > from.Offset {
			// The next append finished that line with a newline, which
			// the reader below sees as a line of its own.
			c.lines--
		}
	}
	if err := c.scan(io.NewSectionReader(f, from.Offset, size-from.Offset), path, each); err != nil {
		return from, err
	}
	return Position{Count: c.count, Head: c.head, Offset: size, Line: c.lines}, nil
}
