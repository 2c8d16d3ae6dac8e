// Package ledger is the global, hash-chained list of finished sessions
// (<audit root>/ledger.ndjson): the session digest that commits to a
// session.json, the ledger record and its link hash, and the locked
// append, verification and repair of the file.
//
// Every finished session adds one record; each record's chain_hash covers
// the previous one's, so removing, reordering or editing a record breaks
// every later link. The format is upstream nono's (docs/FORMAT.md §15–16).
package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// SessionDigest commits to every field of a session record:
// SHA-256(session-digest domain ‖ DigestPayload(s)), the payload streamed
// into the hash.
func SessionDigest(s *session.Session) (merkle.Hash, error) {
	h := sha256.New()
	h.Write([]byte(chain.SessionDigestDomain))
	if err := writeDigestPayload(h, s); err != nil {
		return merkle.Hash{}, err
	}
	var out merkle.Hash
	h.Sum(out[:0])
	return out, nil
}

// DigestPayload is the compact JSON the session digest hashes: the fields
// of session.json in file order, nulls kept, command_policy_summary last
// and only when present, except that paths become arrays of their raw
// bytes (so a path that is not UTF-8 is still committed to exactly) and
// network events take upstream's typed form (declared key order), as
// upstream's digest does. Keys this version does not know (a newer
// recorder's, in session.json or in a network event) are covered as they
// stand, so that a session a newer recorder wrote still verifies.
func DigestPayload(s *session.Session) ([]byte, error) {
	var b bytes.Buffer
	err := writeDigestPayload(&b, s)
	return b.Bytes(), err
}

// writeDigestPayload writes DigestPayload(s) to w, one network event at a
// time.
func writeDigestPayload(w io.Writer, s *session.Session) error {
	v := s.Value() // session.json's members, in its order
	for i := range v.Members {
		m := &v.Members[i]
		switch m.Key {
		case "executable_identity":
			for k := range m.Value.Members {
				if m.Value.Members[k].Key == "resolved_path" {
					m.Value.Members[k].Value = pathBytes(s.ExecutableIdentity.ResolvedPath)
				}
			}
		case "tracked_paths":
			for j, p := range s.TrackedPaths {
				m.Value.Elems[j] = pathBytes(p)
			}
		}
	}
	// Strings other than paths must be UTF-8: the encoder would write
	// U+FFFD for bad bytes, and two different records would share a digest.
	if err := canon.CheckUTF8(v); err != nil {
		return fmt.Errorf("session %s: %w", s.SessionID, err)
	}
	doc := canon.Compact(v)
	cut, err := session.NetworkEventsSlot(doc)
	if err != nil {
		return err
	}
	if _, err := w.Write(doc[:cut]); err != nil {
		return err
	}
	var c event.Canonicalizer
	var buf []byte
	j := 0
	err = s.NetworkEvents.Each(func(ev []byte) error {
		buf = buf[:0]
		if j > 0 {
			buf = append(buf, ',')
		}
		var err error
		if buf, err = c.AppendCanonicalNetworkEvent(buf, ev); err != nil {
			return fmt.Errorf("session %s: network_events[%d]: %w", s.SessionID, j, err)
		}
		j++
		_, err = w.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	_, err = w.Write(doc[cut:])
	return err
}

// pathBytes is a path as a JSON array of its bytes' decimal values.
func pathBytes(p string) canon.Value {
	elems := make([]canon.Value, len(p))
	for i := 0; i < len(p); i++ {
		elems[i] = canon.UintValue(uint64(p[i]))
	}
	return canon.ArrayValue(elems...)
}
