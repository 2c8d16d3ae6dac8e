// Package envelope is the body of an audit-delivery v1 request: one
// finished session, self-contained, as compact JSON with its keys in a
// fixed order (docs/DELIVERY.md §2). It carries the event log verbatim,
// the exact session-digest payload and the digest over it, so a receiver
// or anyone holding the envelope later can verify the session with
// nothing else: the log against its root and head, the digest against the
// metadata bytes as given, the metadata against the log, and the
// attestation bundle, which this project appends as an extra last key.
package envelope

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/nono-audit/nono/lib/canon"
)

// The envelope's keys, in wire order. KeyBundle is ours: upstream's
// envelope ends with KeyEvents, and its receivers ignore unknown keys.
const (
	KeyIngestID      = "ingest_id"
	KeyTenantID      = "tenant_id"
	KeySessionID     = "session_id"
	KeyShipperID     = "shipper_id"
	KeyPrincipalID   = "principal_id"
	KeyProfileRef    = "profile_ref"
	KeyMerkleRoot    = "merkle_root"
	KeyHashChainHead = "hash_chain_head"
	KeyStartedAt     = "started_at"
	KeyEndedAt       = "ended_at"
	KeyMetadata      = "session_metadata_json"
	KeySessionDigest = "session_digest"
	KeyEvents        = "events_ndjson"
	KeyBundle        = "attestation_bundle"
)

// MaxSize bounds an envelope read from a file or a request body: far
// above any session this project records by default, far below what
// would exhaust memory. Callers may choose a smaller bound.
const MaxSize = 1 << 30

// Envelope is one session as shipped. Optional values are nil when the
// JSON holds null (or, for Metadata, SessionDigest and Bundle, when the
// key is absent).
type Envelope struct {
	IngestID      string
	TenantID      string
	SessionID     string
	ShipperID     string
	PrincipalID   *string
	ProfileRef    *string
	MerkleRoot    string
	HashChainHead *string
	StartedAt     string
	EndedAt       *string
	// Metadata is session_metadata_json: the exact bytes the session
	// digest hashes. nil in the legacy form (early v1 clients).
	Metadata      *string
	SessionDigest *string
	Events        []byte // audit-events.ndjson, verbatim; nil after ParseHead
	// EventLines is the number of lines of Events (a last line without its
	// newline counts), known after Parse and ParseHead alike.
	EventLines uint64
	Bundle     *string // audit-attestation.bundle, verbatim
	// Extra holds keys this version does not know, in their order; they
	// are kept so that re-encoding a received envelope loses nothing.
	Extra []canon.Member
}

// legacy reports whether e is the early v1 form, without the session
// metadata and its digest.
func (e *Envelope) legacy() bool { return e.Metadata == nil }

// Encode returns the wire bytes: compact JSON, keys in order (the legacy
// pair only when present, the bundle after the events, unknown keys
// last), strings escaped as upstream's serde_json does, no trailing
// newline. Every string must be valid UTF-8, which Build guarantees.
func (e *Envelope) Encode() []byte {
	size := len(e.Events) + len(e.IngestID) + 1024
	for _, p := range []*string{e.Metadata, e.Bundle} {
		if p != nil {
			size += len(*p) * 5 / 4
		}
	}
	b := make([]byte, 0, size+len(e.Events)/8)
	b = append(b, '{')
	member := func(key string) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = canon.AppendString(b, key)
		b = append(b, ':')
	}
	str := func(key, v string) {
		member(key)
		b = canon.AppendString(b, v)
	}
	opt := func(key string, v *string) {
		member(key)
		if v == nil {
			b = append(b, "null"...)
		} else {
			b = canon.AppendString(b, *v)
		}
	}
	str(KeyIngestID, e.IngestID)
	str(KeyTenantID, e.TenantID)
	str(KeySessionID, e.SessionID)
	str(KeyShipperID, e.ShipperID)
	opt(KeyPrincipalID, e.PrincipalID)
	opt(KeyProfileRef, e.ProfileRef)
	str(KeyMerkleRoot, e.MerkleRoot)
	opt(KeyHashChainHead, e.HashChainHead)
	str(KeyStartedAt, e.StartedAt)
	opt(KeyEndedAt, e.EndedAt)
	if e.Metadata != nil {
		opt(KeyMetadata, e.Metadata)
		opt(KeySessionDigest, e.SessionDigest)
	}
	member(KeyEvents)
	b = canon.AppendStringBytes(b, e.Events)
	if e.Bundle != nil {
		opt(KeyBundle, e.Bundle)
	}
	for _, m := range e.Extra {
		member(m.Key)
		b = canon.AppendCompact(b, m.Value)
	}
	return append(b, '}')
}

// ParseError is an envelope that cannot be read at all: not JSON, or a
// key missing or of the wrong type. Nothing can be said about its
// integrity.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return "not an audit envelope: " + e.Msg }

// Parse reads an envelope with the project's strict JSON scanner
// (duplicate keys, invalid UTF-8 and deep nesting are refused). It
// accepts the legacy form, keys in any order, and unknown keys (kept in
// Extra); it refuses a metadata string without its digest or the
// reverse. The events are decoded once, into a buffer of their size.
func Parse(data []byte) (*Envelope, error) { return parse(data, true) }

// ParseHead reads what identifies an envelope (every key but the events,
// the metadata and the bundle, which are checked as JSON strings and
// skipped): enough to route and authenticate it without decoding a large
// log.
func ParseHead(data []byte) (*Envelope, error) { return parse(data, false) }

func parse(data []byte, full bool) (*Envelope, error) {
	sc := canon.NewScanner(data)
	sc.SetLimits(canon.Limits{MaxSize: max(MaxSize, len(data))})
	fail := func(err error) (*Envelope, error) { return nil, &ParseError{Msg: err.Error()} }
	if err := sc.Object(); err != nil {
		return fail(err)
	}
	e := &Envelope{}
	seen := map[string]bool{}
	for {
		k, more, err := sc.NextMember()
		if err != nil {
			return fail(err)
		}
		if !more {
			break
		}
		key := string(k)
		seen[key] = true
		switch key {
		case KeyIngestID, KeyTenantID, KeySessionID, KeyShipperID, KeyMerkleRoot, KeyStartedAt:
			var v []byte
			if v, err = sc.String(); err == nil {
				*map[string]*string{KeyIngestID: &e.IngestID, KeyTenantID: &e.TenantID, KeySessionID: &e.SessionID,
					KeyShipperID: &e.ShipperID, KeyMerkleRoot: &e.MerkleRoot, KeyStartedAt: &e.StartedAt}[key] = string(v)
			}
		case KeyPrincipalID:
			e.PrincipalID, err = optString(sc, true)
		case KeyProfileRef:
			e.ProfileRef, err = optString(sc, true)
		case KeyHashChainHead:
			e.HashChainHead, err = optString(sc, true)
		case KeyEndedAt:
			e.EndedAt, err = optString(sc, true)
		case KeySessionDigest:
			e.SessionDigest, err = optString(sc, false)
		case KeyMetadata, KeyBundle:
			var v *string
			if full {
				v, err = optString(sc, false)
			} else {
				err = skipString(sc)
				v = new(string)
			}
			if key == KeyMetadata {
				e.Metadata = v
			} else {
				e.Bundle = v
			}
		case KeyEvents:
			if full {
				// Decoded in one pass into a buffer the rest of the
				// document bounds (unused capacity is never touched).
				if e.Events, err = sc.AppendString(make([]byte, 0, len(data)-sc.Offset())); err == nil {
					e.EventLines = uint64(bytes.Count(e.Events, []byte("\n")))
					if len(e.Events) > 0 && e.Events[len(e.Events)-1] != '\n' {
						e.EventLines++
					}
				}
			} else {
				var raw []byte
				if raw, err = sc.RawString(); err == nil {
					e.EventLines = countLines(raw)
				}
			}
		default:
			var v canon.Value
			if v, err = sc.Value(); err == nil {
				e.Extra = append(e.Extra, canon.Member{Key: key, Value: v})
			}
		}
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return nil, err
			}
			return nil, &ParseError{Msg: fmt.Sprintf("%q: %v", key, err)}
		}
	}
	if err := sc.End(); err != nil {
		return fail(err)
	}
	for _, key := range []string{KeyIngestID, KeyTenantID, KeySessionID, KeyShipperID, KeyPrincipalID,
		KeyProfileRef, KeyMerkleRoot, KeyHashChainHead, KeyStartedAt, KeyEndedAt, KeyEvents} {
		if !seen[key] {
			return nil, &ParseError{Msg: fmt.Sprintf("missing %q", key)}
		}
	}
	switch {
	case seen[KeyMetadata] && !seen[KeySessionDigest]:
		return nil, &ParseError{Msg: KeyMetadata + " without " + KeySessionDigest + " (they come together)"}
	case seen[KeySessionDigest] && !seen[KeyMetadata]:
		return nil, &ParseError{Msg: KeySessionDigest + " without " + KeyMetadata + " (they come together)"}
	}
	return e, nil
}

// countLines counts the lines of the JSON string token raw without
// decoding it: every escape is a backslash and its letter (or \uXXXX), so
// a newline of the content is exactly a `\n` that is not the second half
// of `\\`.
func countLines(raw []byte) uint64 {
	var n uint64
	body := raw[1 : len(raw)-1]
	open := false // a line has started and not ended
	for i := 0; i < len(body); i++ {
		open = true
		if body[i] == '\\' {
			i++
			if i < len(body) && body[i] == 'n' {
				n++
				open = false
			}
		}
	}
	if open {
		n++
	}
	return n
}

// optString reads a string, or null when nullable.
func optString(sc *canon.Scanner, nullable bool) (*string, error) {
	k, err := sc.Peek()
	if err != nil {
		return nil, err
	}
	if k == canon.Null && nullable {
		return nil, sc.Null()
	}
	if k != canon.String {
		want := "a string"
		if nullable {
			want += " or null"
		}
		return nil, &ParseError{Msg: fmt.Sprintf("want %s, got %s", want, k)}
	}
	v, err := sc.String()
	if err != nil {
		return nil, err
	}
	str := string(v)
	return &str, nil
}

// skipString checks a string value without decoding it.
func skipString(sc *canon.Scanner) error {
	k, err := sc.Peek()
	if err != nil {
		return err
	}
	if k != canon.String {
		return &ParseError{Msg: fmt.Sprintf("want a string, got %s", k)}
	}
	_, err = sc.RawString()
	return err
}

// checkUTF8 refuses bytes a JSON string cannot carry unchanged.
func checkUTF8(what string, b []byte) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("%s is not valid UTF-8, so no JSON string can carry it exactly", what)
	}
	return nil
}

// ErrNotShippable wraps every reason a session cannot be put into an
// envelope (still running, never finished, no integrity summary, a log
// that does not verify).
var ErrNotShippable = errors.New("session cannot be shipped")
