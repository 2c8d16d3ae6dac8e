package ledger

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// Names of the ledger's files in the audit root.
const (
	FileName = "ledger.ndjson"
	lockName = "ledger.lock"
)

// errInvalidID matches the error for a session id the ledger refuses.
var errInvalidID error = invalidIDError{}

// invalidIDError is a verdict: the session record names an id no
// session may have (exit status 1, lib/cli).
type invalidIDError struct{}

func (invalidIDError) Error() string { return "invalid audit session id" }
func (invalidIDError) Verdict() bool { return true }

// validateID applies the session id rule (1-64 bytes of [A-Za-z0-9_-]).
func validateID(id string) error {
	if session.ValidateID(id) != nil {
		return fmt.Errorf("%w %.80q: want 1-64 characters of [A-Za-z0-9_-]", errInvalidID, id)
	}
	return nil
}

// Record is one line of the ledger, fields in file order.
type Record struct {
	Sequence      uint64
	PrevChain     *merkle.Hash // nil for the first record
	SessionID     string
	SessionDigest merkle.Hash
	CompletedAt   string // the session's ended, or started when it has none
	ChainHash     merkle.Hash
}

// newRecord makes the record that follows prev (nil for the first) and
// commits to s.
func newRecord(prev *Record, s *session.Session) (*Record, error) {
	if err := validateID(s.SessionID); err != nil {
		return nil, err
	}
	digest, err := SessionDigest(s)
	if err != nil {
		return nil, err
	}
	r := &Record{SessionID: s.SessionID, SessionDigest: digest, CompletedAt: s.Started}
	if s.Ended != nil {
		r.CompletedAt = *s.Ended
	}
	if prev != nil {
		if prev.Sequence == ^uint64(0) {
			return nil, errors.New("ledger is full: sequence would overflow")
		}
		r.Sequence = prev.Sequence + 1
		h := prev.ChainHash
		r.PrevChain = &h
	}
	r.ChainHash = r.Link()
	return r, nil
}

// Link computes the record's chain hash from its other fields:
//
//	SHA-256(ledger domain ‖ prev_chain (32 zero bytes for the first) ‖
//	        {"sequence":…,"session_id":…,"session_digest":…,"completed_at":…})
//
// with the object as compact canonical JSON in that key order.
func (r *Record) Link() merkle.Hash {
	var prev merkle.Hash
	if r.PrevChain != nil {
		prev = *r.PrevChain
	}
	b := make([]byte, 0, 256)
	b = append(b, chain.LedgerDomain...)
	b = append(b, prev[:]...)
	b = append(b, `{"sequence":`...)
	b = strconv.AppendUint(b, r.Sequence, 10)
	b = append(b, `,"session_id":`...)
	b = canon.AppendString(b, r.SessionID)
	b = append(b, `,"session_digest":"`...)
	b = merkle.AppendHex(b, r.SessionDigest)
	b = append(b, `","completed_at":`...)
	b = canon.AppendString(b, r.CompletedAt)
	b = append(b, '}')
	return sha256.Sum256(b)
}

// Check verifies the record on its own: the first record and only the
// first has no prev_chain, and chain_hash is the link of its fields.
func (r *Record) Check() error {
	switch {
	case r.Sequence == 0 && r.PrevChain != nil:
		return errors.New("record 0 has a prev_chain")
	case r.Sequence != 0 && r.PrevChain == nil:
		return fmt.Errorf("record %d has no prev_chain", r.Sequence)
	case r.Link() != r.ChainHash:
		return errors.New("chain_hash does not match the record's fields")
	}
	return nil
}

// Encode returns the record's line, without the newline: compact JSON,
// keys sequence, prev_chain, session_id, session_digest, completed_at,
// chain_hash.
func (r *Record) Encode() []byte {
	b := make([]byte, 0, 320)
	b = append(b, `{"sequence":`...)
	b = strconv.AppendUint(b, r.Sequence, 10)
	b = append(b, `,"prev_chain":`...)
	if r.PrevChain == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = merkle.AppendHex(b, *r.PrevChain)
		b = append(b, '"')
	}
	b = append(b, `,"session_id":`...)
	b = canon.AppendString(b, r.SessionID)
	b = append(b, `,"session_digest":"`...)
	b = merkle.AppendHex(b, r.SessionDigest)
	b = append(b, `","completed_at":`...)
	b = canon.AppendString(b, r.CompletedAt)
	b = append(b, `,"chain_hash":"`...)
	b = merkle.AppendHex(b, r.ChainHash)
	b = append(b, `"}`...)
	return b
}

// ParseRecord reads one ledger line. It is strict: every field but
// prev_chain is required (a missing prev_chain reads as null, as upstream
// reads it), types must match, hashes are 64 hex digits, the session id
// must be valid, and duplicate keys are errors. Keys it does not know (a
// newer writer's) are ignored, as upstream ignores them: the chain hash
// covers only the known fields. It does not check the chain hash (see
// Check).
func ParseRecord(line []byte) (*Record, error) {
	v, err := canon.Parse(line)
	if err != nil {
		return nil, err
	}
	if v.Kind != canon.Object {
		return nil, fmt.Errorf("want a JSON object, got %s", v.Kind)
	}
	r := &Record{}
	seen := 0
	for _, m := range v.Members {
		var err error
		switch m.Key {
		case "sequence":
			n, ok := m.Value.Uint()
			if !ok {
				err = errors.New("want a non-negative integer")
			}
			r.Sequence = n
		case "prev_chain":
			if m.Value.Kind != canon.Null {
				var h merkle.Hash
				h, err = hashValue(m.Value)
				r.PrevChain = &h
			}
		case "session_id":
			if m.Value.Kind != canon.String {
				err = fmt.Errorf("want a string, got %s", m.Value.Kind)
			} else if err = session.ValidateID(m.Value.Str); err == nil {
				r.SessionID = m.Value.Str
			}
		case "session_digest":
			r.SessionDigest, err = hashValue(m.Value)
		case "completed_at":
			if m.Value.Kind != canon.String {
				err = fmt.Errorf("want a string, got %s", m.Value.Kind)
			}
			r.CompletedAt = m.Value.Str
		case "chain_hash":
			r.ChainHash, err = hashValue(m.Value)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Key, err)
		}
		if m.Key != "prev_chain" {
			seen++
		}
	}
	if seen != 5 {
		for _, k := range []string{"sequence", "session_id", "session_digest", "completed_at", "chain_hash"} {
			if _, ok := v.Get(k); !ok {
				return nil, fmt.Errorf("missing field %q", k)
			}
		}
	}
	return r, nil
}

func hashValue(v canon.Value) (merkle.Hash, error) {
	if v.Kind != canon.String {
		return merkle.Hash{}, fmt.Errorf("want a hex string, got %s", v.Kind)
	}
	return merkle.ParseHash(v.Str)
}
