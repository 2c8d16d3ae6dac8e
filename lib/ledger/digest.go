// Package ledger is the global, hash-chained list of finished sessions
// (<audit root>/ledger.ndjson): the session digest that commits to a
// session.json, the ledger record and its link hash, and the locked
// append, verification and repair of the file.
//
// Every finished session adds one record; each record's chain_hash covers
// the previous one's, so removing, reordering or editing a record breaks
// every later link. The format is upstream nono's (docs/MERKLE.md).
package ledger

import (
	"crypto/sha256"
	"fmt"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// SessionDigest commits to every field of a session record:
// SHA-256(session-digest domain ‖ DigestPayload(s)).
func SessionDigest(s *session.Session) (merkle.Hash, error) {
	payload, err := DigestPayload(s)
	if err != nil {
		return merkle.Hash{}, err
	}
	h := sha256.New()
	h.Write([]byte(chain.SessionDigestDomain))
	h.Write(payload)
	var out merkle.Hash
	h.Sum(out[:0])
	return out, nil
}

// DigestPayload is the compact JSON the session digest hashes: the fields
// of session.json in file order, nulls kept, except that paths become
// arrays of their raw bytes (so a path that is not UTF-8 is still
// committed to exactly) and network events take upstream's typed form
// (declared key order, unknown keys dropped), as upstream's digest does.
func DigestPayload(s *session.Session) ([]byte, error) {
	exe := canon.NullValue()
	if e := s.ExecutableIdentity; e != nil {
		exe = canon.ObjectValue(
			canon.Member{Key: "resolved_path", Value: pathBytes(e.ResolvedPath)},
			canon.Member{Key: "sha256", Value: canon.StringValue(e.SHA256)},
		)
	}
	tracked := make([]canon.Value, len(s.TrackedPaths))
	for i, p := range s.TrackedPaths {
		tracked[i] = pathBytes(p)
	}
	ended := canon.NullValue()
	if s.Ended != nil {
		ended = canon.StringValue(*s.Ended)
	}
	exitCode := canon.NullValue()
	if s.ExitCode != nil {
		exitCode = canon.IntValue(int64(*s.ExitCode))
	}
	network := make([]canon.Value, len(s.NetworkEvents))
	for i, ev := range s.NetworkEvents {
		v, err := event.CanonicalizeNetworkEvent(ev)
		if err != nil {
			return nil, fmt.Errorf("session %s: network_events[%d]: %w", s.SessionID, i, err)
		}
		network[i] = v
	}
	v := canon.ObjectValue(
		canon.Member{Key: "session_id", Value: canon.StringValue(s.SessionID)},
		canon.Member{Key: "started", Value: canon.StringValue(s.Started)},
		canon.Member{Key: "ended", Value: ended},
		canon.Member{Key: "command", Value: canon.StringsValue(s.Command)},
		canon.Member{Key: "executable_identity", Value: exe},
		canon.Member{Key: "tracked_paths", Value: canon.ArrayValue(tracked...)},
		canon.Member{Key: "snapshot_count", Value: canon.UintValue(uint64(s.SnapshotCount))},
		canon.Member{Key: "exit_code", Value: exitCode},
		canon.Member{Key: "merkle_roots", Value: canon.StringsValue(s.MerkleRoots)},
		canon.Member{Key: "network_events", Value: canon.ArrayValue(network...)},
		canon.Member{Key: "audit_event_count", Value: canon.UintValue(s.AuditEventCount)},
		canon.Member{Key: "audit_integrity", Value: s.AuditIntegrity.Value()},
		canon.Member{Key: "audit_attestation", Value: s.AuditAttestation.Value()},
	)
	// Strings other than paths must be UTF-8: the encoder would write
	// U+FFFD for bad bytes, and two different records would share a digest.
	if err := checkUTF8(v, ""); err != nil {
		return nil, fmt.Errorf("session %s: %w", s.SessionID, err)
	}
	return canon.Compact(v), nil
}

// pathBytes is a path as a JSON array of its bytes' decimal values.
func pathBytes(p string) canon.Value {
	elems := make([]canon.Value, len(p))
	for i := 0; i < len(p); i++ {
		elems[i] = canon.UintValue(uint64(p[i]))
	}
	return canon.ArrayValue(elems...)
}

func checkUTF8(v canon.Value, at string) error {
	switch v.Kind {
	case canon.String:
		if !utf8.ValidString(v.Str) {
			return fmt.Errorf("%s: %.60q is not valid UTF-8", at, v.Str)
		}
	case canon.Array:
		for i, e := range v.Elems {
			if err := checkUTF8(e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case canon.Object:
		for _, m := range v.Members {
			if !utf8.ValidString(m.Key) {
				return fmt.Errorf("%s: key %.60q is not valid UTF-8", at, m.Key)
			}
			name := m.Key
			if at != "" {
				name = at + "." + m.Key
			}
			if err := checkUTF8(m.Value, name); err != nil {
				return err
			}
		}
	}
	return nil
}
