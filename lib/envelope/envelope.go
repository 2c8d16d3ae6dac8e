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
	Events        string  // audit-events.ndjson, verbatim
	Bundle        *string // audit-attestation.bundle, verbatim
	// Extra holds keys this version does not know, in their order; they
	// are kept so that re-encoding a received envelope loses nothing.
	Extra []canon.Member
}

// Legacy reports whether e is the early v1 form, without the session
// metadata and its digest.
func (e *Envelope) Legacy() bool { return e.Metadata == nil }

// Value is the envelope as an ordered JSON object: the wire keys in
// order, the legacy pair only when present, the bundle last but one
// before any unknown keys.
func (e *Envelope) Value() canon.Value {
	str := canon.StringValue
	opt := func(p *string) canon.Value {
		if p == nil {
			return canon.NullValue()
		}
		return str(*p)
	}
	m := []canon.Member{
		{Key: KeyIngestID, Value: str(e.IngestID)},
		{Key: KeyTenantID, Value: str(e.TenantID)},
		{Key: KeySessionID, Value: str(e.SessionID)},
		{Key: KeyShipperID, Value: str(e.ShipperID)},
		{Key: KeyPrincipalID, Value: opt(e.PrincipalID)},
		{Key: KeyProfileRef, Value: opt(e.ProfileRef)},
		{Key: KeyMerkleRoot, Value: str(e.MerkleRoot)},
		{Key: KeyHashChainHead, Value: opt(e.HashChainHead)},
		{Key: KeyStartedAt, Value: str(e.StartedAt)},
		{Key: KeyEndedAt, Value: opt(e.EndedAt)},
	}
	if e.Metadata != nil {
		m = append(m,
			canon.Member{Key: KeyMetadata, Value: str(*e.Metadata)},
			canon.Member{Key: KeySessionDigest, Value: opt(e.SessionDigest)})
	}
	m = append(m, canon.Member{Key: KeyEvents, Value: str(e.Events)})
	if e.Bundle != nil {
		m = append(m, canon.Member{Key: KeyBundle, Value: str(*e.Bundle)})
	}
	m = append(m, e.Extra...)
	return canon.ObjectValue(m...)
}

// Encode returns the wire bytes: compact JSON, strings escaped as
// upstream's serde_json does, no trailing newline. Every string must be
// valid UTF-8, which Build guarantees.
func (e *Envelope) Encode() []byte { return canon.Compact(e.Value()) }

// ParseError is an envelope that cannot be read at all: not JSON, or a
// key missing or of the wrong type. Nothing can be said about its
// integrity.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return "not an audit envelope: " + e.Msg }

// Parse reads an envelope with the project's strict JSON reader
// (duplicate keys, invalid UTF-8 and deep nesting are refused). It
// accepts the legacy form, keys in any order, and unknown keys (kept in
// Extra); it refuses a metadata string without its digest or the reverse.
func Parse(data []byte) (*Envelope, error) {
	v, err := canon.Parse(data)
	if err != nil {
		return nil, &ParseError{Msg: err.Error()}
	}
	if v.Kind != canon.Object {
		return nil, &ParseError{Msg: "want a JSON object, got " + v.Kind.String()}
	}
	r := reader{obj: v, seen: map[string]bool{}}
	e := &Envelope{
		IngestID:      r.str(KeyIngestID),
		TenantID:      r.str(KeyTenantID),
		SessionID:     r.str(KeySessionID),
		ShipperID:     r.str(KeyShipperID),
		PrincipalID:   r.optStr(KeyPrincipalID, true),
		ProfileRef:    r.optStr(KeyProfileRef, true),
		MerkleRoot:    r.str(KeyMerkleRoot),
		HashChainHead: r.optStr(KeyHashChainHead, true),
		StartedAt:     r.str(KeyStartedAt),
		EndedAt:       r.optStr(KeyEndedAt, true),
		Metadata:      r.optStr(KeyMetadata, false),
		SessionDigest: r.optStr(KeySessionDigest, false),
		Events:        r.str(KeyEvents),
		Bundle:        r.optStr(KeyBundle, false),
	}
	if r.err != nil {
		return nil, r.err
	}
	_, hasMeta := v.Get(KeyMetadata)
	_, hasDigest := v.Get(KeySessionDigest)
	switch {
	case hasMeta && !hasDigest:
		return nil, &ParseError{Msg: KeyMetadata + " without " + KeySessionDigest + " (they come together)"}
	case hasDigest && !hasMeta:
		return nil, &ParseError{Msg: KeySessionDigest + " without " + KeyMetadata + " (they come together)"}
	case hasMeta && (e.Metadata == nil || e.SessionDigest == nil):
		return nil, &ParseError{Msg: KeyMetadata + " and " + KeySessionDigest + " must be strings"}
	}
	for _, m := range v.Members {
		if !r.seen[m.Key] {
			e.Extra = append(e.Extra, m)
		}
	}
	return e, nil
}

// reader takes typed members of the envelope object, keeping the first error.
type reader struct {
	obj  canon.Value
	seen map[string]bool
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &ParseError{Msg: fmt.Sprintf(format, args...)}
	}
}

func (r *reader) str(key string) string {
	r.seen[key] = true
	v, ok := r.obj.Get(key)
	switch {
	case !ok:
		r.fail("missing %q", key)
	case v.Kind != canon.String:
		r.fail("%q: want a string, got %s", key, v.Kind)
	}
	return v.Str
}

// optStr reads a string or null; required says whether the key must be
// present (as null at least).
func (r *reader) optStr(key string, required bool) *string {
	r.seen[key] = true
	v, ok := r.obj.Get(key)
	switch {
	case !ok:
		if required {
			r.fail("missing %q", key)
		}
		return nil
	case v.Kind == canon.Null:
		return nil
	case v.Kind != canon.String:
		r.fail("%q: want a string or null, got %s", key, v.Kind)
		return nil
	}
	s := v.Str
	return &s
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
