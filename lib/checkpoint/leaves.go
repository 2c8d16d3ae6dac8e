package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/ndjson"
)

// readLeaves reads the first n leaves of the ledger of auditRoot under
// the shared lock, for a proof against a checkpoint of n records: each
// record's chain hash, and whether the record is session id's (that one
// line is then passed to each as well, to be parsed in full).
//
// Unlike ledger.ReadFrom it does not parse every record into a tree nor
// recompute the chain: each line is only scanned, strictly, for its
// chain_hash and session_id. That is enough because a proof is only
// given once the leaves read have the checkpoint's root (the caller
// checks it), and it is that signed root the proof is verified against;
// a record the proof carries is parsed and checked in full. It is what
// makes a proof cost a scan of the ledger rather than a verification.
func readLeaves(auditRoot string, n uint64, wait time.Duration, id string, each func(leaf merkle.Hash, line []byte)) error {
	if wait == 0 {
		wait = ledger.DefaultWait
	}
	release, err := ledger.Lock(auditRoot, false, wait)
	if err != nil {
		return err
	}
	defer release()
	path := filepath.Join(auditRoot, ledger.FileName)
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open ledger: %w", err)
	}
	defer f.Close()
	lines := ndjson.NewReader(f)
	var s canon.Scanner
	for count := uint64(0); count < n; count++ {
		line, err := lines.Next()
		if err == io.EOF {
			return nil
		}
		last := errors.Is(err, ndjson.ErrTruncated)
		if err != nil && !last {
			return fmt.Errorf("read ledger %s: %w", path, err)
		}
		leaf, mine, serr := scanLeaf(&s, line, id)
		if serr != nil {
			return invalid("%s: line %d: cannot parse record: %v", path, lines.Line(), serr)
		}
		if mine {
			each(leaf, line)
		} else {
			each(leaf, nil)
		}
		if last {
			return nil
		}
	}
	return nil
}

// scanLeaf reads a ledger line's chain_hash and says whether its
// session_id is id.
func scanLeaf(s *canon.Scanner, line []byte, id string) (leaf merkle.Hash, mine bool, err error) {
	s.Reset(line)
	if err := s.Object(); err != nil {
		return leaf, false, err
	}
	found := false
	for {
		key, more, err := s.NextMember()
		if err != nil {
			return leaf, false, err
		}
		if !more {
			break
		}
		switch string(key) {
		case "chain_hash":
			v, err := s.String()
			if err != nil {
				return leaf, false, err
			}
			if leaf, err = merkle.ParseHash(string(v)); err != nil {
				return leaf, false, fmt.Errorf("chain_hash: %w", err)
			}
			found = true
		case "session_id":
			v, err := s.String()
			if err != nil {
				return leaf, false, err
			}
			mine = string(v) == id
		}
	}
	if err := s.End(); err != nil {
		return leaf, false, err
	}
	if !found {
		return leaf, false, errors.New("no chain_hash")
	}
	return leaf, mine, nil
}
