package ledger

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/ndjson"
	"github.com/nono-audit/nono/lib/session"
)

// Result is the outcome of Verify, the ledger part of `nono audit verify`.
type Result struct {
	Path                 string       // the ledger file
	EntryCount           uint64       // records checked
	SessionDigest        *merkle.Hash // recomputed from session.json; nil without a session
	SessionFound         bool         // some record names the session
	SessionDigestMatches bool         // the last such record has SessionDigest
	SessionSequence      uint64       // sequence of that record, when found
	LedgerChainVerified  bool         // the file exists and every record chains
	LedgerHead           *merkle.Hash // chain hash of the last record
	SessionIDs           []string     // the session of each record, in order
}

// Value returns the result as upstream prints it, keys in its order.
func (r *Result) Value() canon.Value {
	hash := func(h *merkle.Hash) canon.Value {
		if h == nil {
			return canon.NullValue()
		}
		return canon.StringValue(merkle.Hex(*h))
	}
	return canon.ObjectValue(
		canon.Member{Key: "hash_algorithm", Value: canon.StringValue("sha256")},
		canon.Member{Key: "entry_count", Value: canon.UintValue(r.EntryCount)},
		canon.Member{Key: "session_digest", Value: hash(r.SessionDigest)},
		canon.Member{Key: "session_found", Value: canon.BoolValue(r.SessionFound)},
		canon.Member{Key: "session_digest_matches", Value: canon.BoolValue(r.SessionDigestMatches)},
		canon.Member{Key: "ledger_chain_verified", Value: canon.BoolValue(r.LedgerChainVerified)},
		canon.Member{Key: "ledger_head", Value: hash(r.LedgerHead)},
	)
}

// OK reports a verified chain that, when a session was given, holds that
// session with a matching digest.
func (r *Result) OK() bool {
	return r.LedgerChainVerified && (r.SessionDigest == nil || r.SessionFound && r.SessionDigestMatches)
}

// Verify checks the whole ledger of auditRoot and, when s is not nil,
// whether it commits to s as it is now. A missing ledger is a result with
// no entries and every boolean false. A record that does not parse or
// breaks the sequence or the chain is a *damagedError naming its line.
// It holds a shared lock while reading, so an append is never seen half
// written, and reads the file once, in constant memory.
func Verify(auditRoot string, s *session.Session) (*Result, error) {
	res := &Result{Path: filepath.Join(auditRoot, FileName)}
	if s != nil {
		d, err := SessionDigest(s)
		if err != nil {
			return nil, err
		}
		res.SessionDigest = &d
	}
	if _, err := os.Stat(auditRoot); errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	release, err := lockFile(auditRoot, false, false, DefaultWait)
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := os.OpenFile(res.Path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	defer f.Close()

	var c checker
	err = c.scan(f, res.Path, func(rec *Record) {
		res.SessionIDs = append(res.SessionIDs, rec.SessionID)
		if s != nil && rec.SessionID == s.SessionID {
			res.SessionFound = true
			res.SessionDigestMatches = rec.SessionDigest == *res.SessionDigest
			res.SessionSequence = rec.Sequence
		}
	})
	if err != nil {
		return nil, err
	}
	res.EntryCount = c.count
	res.LedgerHead = c.head
	res.LedgerChainVerified = true
	return res, nil
}

// checker follows the chain record by record.
type checker struct {
	count    uint64
	head     *merkle.Hash
	lastLine int // physical line of the last good record
	lines    int // physical lines before what scan reads next
}

// check verifies that rec is the next record of the chain.
func (c *checker) check(rec *Record) error {
	if rec.Sequence != c.count {
		return fmt.Errorf("sequence mismatch: expected %d, got %d", c.count, rec.Sequence)
	}
	if (rec.PrevChain == nil) != (c.head == nil) || rec.PrevChain != nil && *rec.PrevChain != *c.head {
		return errors.New("prev_chain mismatch: it is not the chain_hash of the record before")
	}
	if rec.Link() != rec.ChainHash {
		return errors.New("chain hash mismatch: chain_hash does not match the record's fields")
	}
	h := rec.ChainHash
	c.head = &h
	c.count++
	return nil
}

// scan checks every record of r, calling each for the good ones, and
// returns a *damagedError at the first bad line. A last record without
// its newline is accepted when it is whole (upstream's reader accepts it).
func (c *checker) scan(r io.Reader, path string, each func(*Record)) error {
	lines := ndjson.NewReader(r)
	base := c.lines
	defer func() { c.lines = base + lines.Line() }()
	for {
		line, err := lines.Next()
		if err == io.EOF {
			return nil
		}
		var le *ndjson.Error
		if err != nil && !errors.Is(err, ndjson.ErrTruncated) {
			if errors.As(err, &le) && errors.Is(err, ndjson.ErrTooLong) {
				return &damagedError{Path: path, Line: base + le.Line, Reason: "line too long"}
			}
			return fmt.Errorf("read ledger %s: %w", path, err)
		}
		n := base + lines.Line()
		rec, perr := ParseRecord(line)
		if perr != nil {
			reason := "cannot parse record: " + perr.Error()
			if err != nil {
				reason = "truncated last record (no newline, does not parse)"
			}
			return &damagedError{Path: path, Line: n, Reason: reason}
		}
		if cerr := c.check(rec); cerr != nil {
			return &damagedError{Path: path, Line: n, Reason: cerr.Error()}
		}
		c.lastLine = n
		if each != nil {
			each(rec)
		}
		if err != nil {
			return nil
		}
	}
}
