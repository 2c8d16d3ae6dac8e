package envelope

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// digest is the session digest of metadata bytes as given:
// SHA-256("nono.audit.session-digest.alpha\n" ‖ metadata). A verifier
// never re-serialises the metadata before hashing it.
func digest(metadata []byte) merkle.Hash {
	h := sha256.New()
	h.Write([]byte(chain.SessionDigestDomain))
	h.Write(metadata)
	var out merkle.Hash
	h.Sum(out[:0])
	return out
}

// Options tune Verify.
type Options struct {
	// PublicKey pins the signer: the envelope must carry a bundle signed
	// by this key. nil: a bundle is checked against the key the metadata
	// names (self-attested), and its absence is not a failure.
	PublicKey *ecdsa.PublicKey
}

// What Result.Metadata and Result.Attestation say.
const (
	MetadataVerified     = "verified"
	MetadataMismatch     = "mismatch"
	MetadataUnverifiable = "unverifiable" // the legacy form carries none

	AttestationNone         = "none"
	AttestationSelfAttested = "self-attested" // against the key the metadata names
	AttestationPinned       = "pinned"        // against Options.PublicKey
	AttestationUnverified   = "unverified"    // a bundle, but no key to check it with
	AttestationInvalid      = "invalid"
)

// Result is the verdict on one envelope. Every check runs; Problems says
// in words what failed, Notes what could not be checked.
type Result struct {
	IngestID, SessionID string
	Events              *chain.Result // nil when the events did not verify
	RootMatches         bool
	HeadMatches         bool
	Metadata            string
	DigestMatches       bool
	ComputedDigest      string // "" for the legacy form
	Attestation         string
	AttestationKeyID    string
	Problems            []string
	Notes               []string
}

// OK reports whether everything that could be checked verified.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

func (r *Result) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// Verify checks an envelope with nothing else: the events against
// merkle_root, hash_chain_head and the metadata's count; the digest
// against the metadata bytes as given; the metadata's audit_integrity,
// identity and times against the events and the envelope; and the
// attestation bundle, if any, against the root and the signer's key.
func Verify(e *Envelope, opts Options) *Result {
	r := &Result{IngestID: e.IngestID, SessionID: e.SessionID, Attestation: AttestationNone}
	if err := session.ValidateID(e.SessionID); err != nil {
		r.problem("session_id: %v", err)
	}
	r.verifyEvents(e)
	meta := r.verifyMetadata(e)
	r.verifyBundle(e, meta, opts)
	return r
}

// verifyEvents runs the log verifier over events_ndjson and compares the
// totals with the envelope's root and head.
func (r *Result) verifyEvents(e *Envelope) {
	res, err := chain.Verify(bytes.NewReader(e.Events), chain.Options{})
	if err != nil {
		r.problem("events_ndjson: %v", err)
		return
	}
	r.Events = res
	if res.EventCount == 0 {
		r.problem("events_ndjson holds no records")
		return
	}
	if res.MissingEventJSON {
		r.problem("events_ndjson: some records lack event_json, so their leaves are not the recorded bytes")
	}
	r.RootMatches = hashEqual(e.MerkleRoot, res.MerkleRoot)
	if !r.RootMatches {
		r.problem("merkle_root is %s but the events give %s", e.MerkleRoot, merkle.Hex(*res.MerkleRoot))
	}
	if e.HashChainHead == nil {
		r.HeadMatches = true
		r.note("hash_chain_head is null: the chain head was not pinned")
	} else if r.HeadMatches = hashEqual(*e.HashChainHead, res.ChainHead); !r.HeadMatches {
		r.problem("hash_chain_head is %s but the events give %s", *e.HashChainHead, merkle.Hex(*res.ChainHead))
	}
	first, last, err := edgeTypes(e.Events)
	if err != nil {
		r.problem("events_ndjson: %v", err)
		return
	}
	if first != "session_started" {
		r.problem("the events start with %q, not session_started", first)
	}
	if e.EndedAt != nil && last != "session_ended" {
		r.problem("the events end with %q, not session_ended: the recording stopped early", last)
	}
}

// verifyMetadata checks the digest over the metadata bytes, then what the
// metadata says against the events and the envelope. It returns the
// parsed metadata (the zero Value when absent or unreadable).
func (r *Result) verifyMetadata(e *Envelope) canon.Value {
	if e.legacy() {
		r.Metadata = MetadataUnverifiable
		r.note("legacy envelope without session_metadata_json: the events verify, the session metadata is unverifiable")
		return canon.Value{}
	}
	r.Metadata = MetadataVerified
	mismatch := func(format string, args ...any) {
		r.Metadata = MetadataMismatch
		r.problem(format, args...)
	}
	computed := digest([]byte(*e.Metadata))
	r.ComputedDigest = merkle.Hex(computed)
	given, err := merkle.ParseHash(*e.SessionDigest)
	r.DigestMatches = err == nil && given == computed && *e.SessionDigest == strings.ToLower(*e.SessionDigest)
	if !r.DigestMatches {
		mismatch("session_digest is %q but the metadata bytes hash to %s", *e.SessionDigest, r.ComputedDigest)
	}
	meta, err := canon.Parse([]byte(*e.Metadata))
	if err != nil || meta.Kind != canon.Object {
		if err == nil {
			err = errors.New("not a JSON object")
		}
		mismatch("session_metadata_json: %v", err)
		return canon.Value{}
	}
	str := func(key string) (string, bool) {
		v, ok := meta.Get(key)
		return v.Str, ok && v.Kind == canon.String
	}
	if id, ok := str("session_id"); !ok || id != e.SessionID {
		mismatch("the metadata names session %q, the envelope %q", id, e.SessionID)
	}
	if started, ok := str("started"); !ok || started != e.StartedAt {
		mismatch("the metadata's started %q differs from started_at %q", started, e.StartedAt)
	}
	ended, _ := meta.Get("ended")
	if !optEqual(ended, e.EndedAt) {
		mismatch("the metadata's ended differs from ended_at")
	}
	res := r.Events
	if res == nil {
		return meta
	}
	if n, ok := uintMember(meta, "audit_event_count"); !ok || n != res.EventCount {
		mismatch("the metadata's audit_event_count is not the %d records of the events", res.EventCount)
	}
	sum, _ := meta.Get("audit_integrity")
	if sum.Kind != canon.Object {
		mismatch("the metadata has no audit_integrity, so nothing binds it to these events")
		return meta
	}
	if alg, _ := sum.Get("hash_algorithm"); alg.Kind != canon.String || alg.Str != "sha256" {
		mismatch("audit_integrity.hash_algorithm is not \"sha256\"")
	}
	if n, ok := uintMember(sum, "event_count"); !ok || n != res.EventCount {
		mismatch("audit_integrity.event_count is not the %d records of the events", res.EventCount)
	}
	if h, _ := sum.Get("chain_head"); h.Kind != canon.String || !hashEqual(h.Str, res.ChainHead) {
		mismatch("audit_integrity.chain_head is not the events' chain head %s", merkle.Hex(*res.ChainHead))
	}
	if h, _ := sum.Get("merkle_root"); h.Kind != canon.String || !hashEqual(h.Str, res.MerkleRoot) {
		mismatch("audit_integrity.merkle_root is not the events' Merkle root %s", merkle.Hex(*res.MerkleRoot))
	}
	return meta
}

// verifyBundle checks the attestation bundle against the computed totals
// and the signer's key: the pinned one, else the one the metadata names.
func (r *Result) verifyBundle(e *Envelope, meta canon.Value, opts Options) {
	att, _ := meta.Get("audit_attestation")
	signed := att.Kind == canon.Object
	if e.Bundle == nil {
		switch {
		case opts.PublicKey != nil:
			r.Attestation = AttestationInvalid
			r.problem("the envelope carries no attestation bundle to check against the pinned public key")
		case signed:
			r.note("the session was signed, but the envelope carries no attestation bundle")
		}
		return
	}
	pub, trust := opts.PublicKey, AttestationPinned
	if pub == nil {
		if !signed {
			r.Attestation = AttestationUnverified
			r.note("attestation bundle not verified: the metadata names no signer; give the signer's public key")
			return
		}
		var err error
		if pub, err = metadataKey(att); err != nil {
			r.Attestation = AttestationInvalid
			r.problem("audit_attestation: %v", err)
			return
		}
		trust = AttestationSelfAttested
	}
	r.AttestationKeyID = dsse.KeyID(pub)
	if r.Events == nil {
		r.Attestation = AttestationInvalid
		r.problem("attestation bundle not checked: the events did not verify")
		return
	}
	res := r.Events
	count := res.EventCount
	br := attest.VerifyBundle([]byte(*e.Bundle), pub, attest.Expect{
		SessionID:  e.SessionID,
		MerkleRoot: merkle.Hex(*res.MerkleRoot),
		EventCount: &count,
		ChainHead:  merkle.Hex(*res.ChainHead),
	})
	if !br.Valid() {
		r.Attestation = AttestationInvalid
		r.problem("attestation bundle: %s", br.Error)
		return
	}
	r.Attestation = trust
	if meta.Kind != canon.Object {
		return
	}
	// The signed predicate must describe the session the metadata describes.
	p := br.Statement.Predicate
	started, _ := meta.Get("started")
	ended, _ := meta.Get("ended")
	command, _ := meta.Get("command")
	cmd, _ := command.Strings()
	if started.Str != p.Started || !optEqual(ended, p.Ended) || !slices.Equal(cmd, p.Command) {
		r.Attestation = AttestationInvalid
		r.problem("the attestation's started, ended or command differ from the metadata's")
	}
}

// metadataKey is the public key the metadata's audit_attestation names,
// checked against its key_id.
func metadataKey(att canon.Value) (*ecdsa.PublicKey, error) {
	text, _ := att.Get("public_key")
	keyID, _ := att.Get("key_id")
	if text.Kind != canon.String || keyID.Kind != canon.String {
		return nil, errors.New("want public_key and key_id strings")
	}
	der, err := dsse.DecodePublicKeyText([]byte(text.Str))
	if err != nil {
		return nil, fmt.Errorf("public_key: %w", err)
	}
	pub, err := dsse.ParsePublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("public_key: %w", err)
	}
	if id := dsse.KeyID(pub); id != keyID.Str {
		return nil, fmt.Errorf("key_id %s is not the id %s of its public_key", keyID.Str, id)
	}
	return pub, nil
}

// edgeTypes returns the event types of the first and the last record of
// a log that has already verified, reading only those two lines.
func edgeTypes(events []byte) (first, last string, err error) {
	typ := func(line []byte) (string, error) {
		rec, err := canon.Parse(line)
		if err != nil {
			return "", err
		}
		ev, _ := rec.Get("event")
		t, _ := ev.Get("type")
		return t.Str, nil
	}
	rest := bytes.TrimLeft(events, " \t\r\n")
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	if first, err = typ(line); err != nil {
		return "", "", err
	}
	rest = bytes.TrimRight(rest, " \t\r\n")
	last, err = typ(rest[bytes.LastIndexByte(rest, '\n')+1:])
	return first, last, err
}

func uintMember(obj canon.Value, key string) (uint64, bool) {
	v, ok := obj.Get(key)
	if !ok {
		return 0, false
	}
	return v.Uint()
}

// optEqual compares a JSON string-or-null with an optional string.
func optEqual(v canon.Value, s *string) bool {
	if s == nil {
		return v.Kind == canon.Null
	}
	return v.Kind == canon.String && v.Str == *s
}

// hashEqual reports whether hex names the computed hash; the wire form
// is lower-case hex, and anything else does not match.
func hashEqual(hex string, computed *merkle.Hash) bool {
	return computed != nil && hex == merkle.Hex(*computed)
}

// Value is the verdict as ordered JSON, for --json: valid, the envelope's
// ingest and session IDs, the computed totals and whether the envelope's
// match them, the metadata and digest verdicts, the attestation's trust,
// then problems and notes.
func (r *Result) Value() canon.Value {
	null := canon.NullValue()
	count, head, root := null, null, null
	if res := r.Events; res != nil {
		count = canon.UintValue(res.EventCount)
		if res.ChainHead != nil {
			head, root = canon.StringValue(merkle.Hex(*res.ChainHead)), canon.StringValue(merkle.Hex(*res.MerkleRoot))
		}
	}
	digest, digestOK := null, null
	if r.ComputedDigest != "" {
		digest, digestOK = canon.StringValue(r.ComputedDigest), canon.BoolValue(r.DigestMatches)
	}
	keyID := null
	if r.AttestationKeyID != "" {
		keyID = canon.StringValue(r.AttestationKeyID)
	}
	m := func(k string, v canon.Value) canon.Member { return canon.Member{Key: k, Value: v} }
	return canon.ObjectValue(
		m("valid", canon.BoolValue(r.OK())),
		m("ingest_id", canon.StringValue(r.IngestID)),
		m("session_id", canon.StringValue(r.SessionID)),
		m("event_count", count),
		m("computed_chain_head", head),
		m("computed_merkle_root", root),
		m("events_verified", canon.BoolValue(r.Events != nil)),
		m("merkle_root_matches", canon.BoolValue(r.RootMatches)),
		m("chain_head_matches", canon.BoolValue(r.HeadMatches)),
		m("metadata", canon.StringValue(r.Metadata)),
		m("session_digest", digest),
		m("session_digest_matches", digestOK),
		m("attestation", canon.StringValue(r.Attestation)),
		m("attestation_key_id", keyID),
		m("problems", canon.StringsValue(r.Problems)),
		m("notes", canon.StringsValue(r.Notes)),
	)
}
