package dsse

import (
	"errors"
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
)

// Statement is the in-toto statement (the DSSE payload) of an audit-session
// attestation: one subject naming the session, whose sha256 digest is the
// Merkle root of its event log, and the nono predicate.
type Statement struct {
	Subject   Subject
	Predicate Predicate
}

// Subject is the statement's only subject.
type Subject struct {
	Name   string // audit-session:<session_id>
	SHA256 string // lowercase hex Merkle root
}

// Predicate is the audit-session predicate, fields in upstream order.
// Its version is always predicateVersion.
type Predicate struct {
	SessionID string
	Started   string
	Ended     *string
	Command   []string
	// RedactionPolicy is the recorded redaction policy diff, kept as
	// opaque JSON; the zero Value (null) means absent: the secure default.
	RedactionPolicy canon.Value
	AuditLog        AuditLog
	Signer          Signer
}

// AuditLog is the event-log summary the statement attests to.
type AuditLog struct {
	HashAlgorithm string
	EventCount    uint64
	ChainHead     string
	MerkleRoot    string
}

// Signer names the key that signed: kind "keyed" and its key id.
type Signer struct {
	Kind  string
	KeyID string
}

// NewStatement wraps p in a statement whose subject is derived from it.
func NewStatement(p Predicate) *Statement {
	return &Statement{
		Subject:   Subject{Name: subjectPrefix + p.SessionID, SHA256: p.AuditLog.MerkleRoot},
		Predicate: p,
	}
}

// Value is the statement as ordered JSON, keys in upstream's order.
func (s *Statement) Value() canon.Value {
	p := &s.Predicate
	ended := canon.NullValue()
	if p.Ended != nil {
		ended = canon.StringValue(*p.Ended)
	}
	pred := []canon.Member{
		{Key: "version", Value: canon.UintValue(predicateVersion)},
		{Key: "session_id", Value: canon.StringValue(p.SessionID)},
		{Key: "started", Value: canon.StringValue(p.Started)},
		{Key: "ended", Value: ended},
		{Key: "command", Value: canon.StringsValue(p.Command)},
	}
	if p.RedactionPolicy.Kind != canon.Null {
		pred = append(pred, canon.Member{Key: "redaction_policy", Value: p.RedactionPolicy})
	}
	pred = append(pred,
		canon.Member{Key: "audit_log", Value: canon.ObjectValue(
			canon.Member{Key: "hash_algorithm", Value: canon.StringValue(p.AuditLog.HashAlgorithm)},
			canon.Member{Key: "event_count", Value: canon.UintValue(p.AuditLog.EventCount)},
			canon.Member{Key: "chain_head", Value: canon.StringValue(p.AuditLog.ChainHead)},
			canon.Member{Key: "merkle_root", Value: canon.StringValue(p.AuditLog.MerkleRoot)},
		)},
		canon.Member{Key: "signer", Value: canon.ObjectValue(
			canon.Member{Key: "kind", Value: canon.StringValue(p.Signer.Kind)},
			canon.Member{Key: "key_id", Value: canon.StringValue(p.Signer.KeyID)},
		)},
	)
	return canon.ObjectValue(
		canon.Member{Key: "_type", Value: canon.StringValue(StatementType)},
		canon.Member{Key: "subject", Value: canon.ArrayValue(canon.ObjectValue(
			canon.Member{Key: "name", Value: canon.StringValue(s.Subject.Name)},
			canon.Member{Key: "digest", Value: canon.ObjectValue(
				canon.Member{Key: "sha256", Value: canon.StringValue(s.Subject.SHA256)},
			)},
		))},
		canon.Member{Key: "predicateType", Value: canon.StringValue(PredicateType)},
		canon.Member{Key: "predicate", Value: canon.ObjectValue(pred...)},
	)
}

// Encode is the statement's payload bytes: serde_json's compact form
// (no spaces, no trailing newline, `&` `<` `>` U+2028 U+2029 raw).
func (s *Statement) Encode() []byte { return canon.Compact(s.Value()) }

// ParseStatement parses a payload strictly as a nono audit-session
// statement: `_type` Statement/v1, exactly one subject named
// audit-session:<predicate session_id> whose sha256 digest equals the
// predicate's audit_log.merkle_root, the alpha predicate type, predicate
// version 1, a keyed signer, hashes and key id as 64 lowercase hex digits.
// Unknown keys are ignored. Upstream's own verifier is looser; lib/attest
// runs its checks first and this one after them.
func ParseStatement(payload []byte) (*Statement, error) {
	v, err := canon.Parse(payload)
	if err != nil {
		return nil, fmt.Errorf("statement is not valid JSON: %w", err)
	}
	r := reader{}
	r.expectString(v, "_type", StatementType)
	subjects := r.field(v, "subject", canon.Array)
	var st Statement
	if r.err == nil && len(subjects.Elems) != 1 {
		r.failf("statement has %d subjects, want exactly 1", len(subjects.Elems))
	}
	if r.err == nil {
		sub := subjects.Elems[0]
		if sub.Kind != canon.Object {
			r.failf("subject[0] is %s, want an object", sub.Kind)
		}
		st.Subject.Name = r.str(sub, "name", "subject[0].")
		digest := r.field(sub, "digest", canon.Object)
		st.Subject.SHA256 = r.str(digest, "sha256", "subject[0].digest.")
	}
	r.expectString(v, "predicateType", PredicateType)
	pred := r.field(v, "predicate", canon.Object)
	if r.err != nil {
		return nil, r.err
	}
	p := &st.Predicate
	if ver, ok := pred.Get("version"); !ok || ver.Kind != canon.Number || ver.Num != "1" {
		r.failf("predicate.version must be %d", predicateVersion)
	}
	p.SessionID = r.str(pred, "session_id", "predicate.")
	p.Started = r.str(pred, "started", "predicate.")
	if e, ok := pred.Get("ended"); ok && e.Kind != canon.Null {
		if e.Kind != canon.String {
			r.failf("predicate.ended is %s, want a string or null", e.Kind)
		}
		s := e.Str
		p.Ended = &s
	}
	if cmd, ok := pred.Get("command"); !ok {
		r.failf("predicate.command is missing")
	} else if p.Command, ok = cmd.Strings(); !ok {
		r.failf("predicate.command must be an array of strings")
	}
	if rp, ok := pred.Get("redaction_policy"); ok && rp.Kind != canon.Null {
		if rp.Kind != canon.Object {
			r.failf("predicate.redaction_policy is %s, want an object", rp.Kind)
		}
		p.RedactionPolicy = rp
	}
	log := r.field(pred, "audit_log", canon.Object)
	p.AuditLog.HashAlgorithm = r.str(log, "hash_algorithm", "predicate.audit_log.")
	if r.err == nil {
		n, _ := log.Get("event_count") // absent reads as null, refused below
		var ok bool
		if p.AuditLog.EventCount, ok = n.Uint(); !ok {
			r.failf("predicate.audit_log.event_count must be a non-negative integer")
		}
	}
	p.AuditLog.ChainHead = r.str(log, "chain_head", "predicate.audit_log.")
	p.AuditLog.MerkleRoot = r.str(log, "merkle_root", "predicate.audit_log.")
	signer := r.field(pred, "signer", canon.Object)
	p.Signer.Kind = r.str(signer, "kind", "predicate.signer.")
	p.Signer.KeyID = r.str(signer, "key_id", "predicate.signer.")
	if r.err != nil {
		return nil, r.err
	}
	switch {
	case st.Subject.Name != subjectPrefix+p.SessionID:
		return nil, fmt.Errorf("subject name %q does not name the predicate's session %q", st.Subject.Name, p.SessionID)
	case p.AuditLog.HashAlgorithm != "sha256":
		return nil, fmt.Errorf("predicate.audit_log.hash_algorithm is %q, want \"sha256\"", p.AuditLog.HashAlgorithm)
	case p.Signer.Kind != SignerKeyed:
		return nil, fmt.Errorf("predicate.signer.kind is %q, want %q", p.Signer.Kind, SignerKeyed)
	}
	for _, h := range []struct{ name, val string }{
		{"subject[0].digest.sha256", st.Subject.SHA256},
		{"predicate.audit_log.chain_head", p.AuditLog.ChainHead},
		{"predicate.audit_log.merkle_root", p.AuditLog.MerkleRoot},
		{"predicate.signer.key_id", p.Signer.KeyID},
	} {
		if !isLowerHex64(h.val) {
			return nil, fmt.Errorf("%s is %q, want 64 lowercase hex digits", h.name, h.val)
		}
	}
	if st.Subject.SHA256 != p.AuditLog.MerkleRoot {
		return nil, errors.New("subject digest differs from predicate.audit_log.merkle_root")
	}
	return &st, nil
}

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// reader reads typed members of JSON objects, keeping the first error.
type reader struct{ err error }

func (r *reader) failf(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) field(obj canon.Value, key string, kind canon.Kind) canon.Value {
	if r.err != nil {
		return canon.Value{}
	}
	v, ok := obj.Get(key)
	switch {
	case obj.Kind != canon.Object:
		r.failf("want an object holding %q, got %s", key, obj.Kind)
	case !ok:
		r.failf("%q is missing", key)
	case v.Kind != kind:
		r.failf("%q is %s, want %s", key, v.Kind, kind)
	}
	return v
}

func (r *reader) str(obj canon.Value, key, prefix string) string {
	if r.err != nil {
		return ""
	}
	v, ok := obj.Get(key)
	switch {
	case !ok:
		r.failf("%s%s is missing", prefix, key)
	case v.Kind != canon.String:
		r.failf("%s%s is %s, want a string", prefix, key, v.Kind)
	}
	return v.Str
}

func (r *reader) expectString(obj canon.Value, key, want string) {
	if s := r.str(obj, key, ""); r.err == nil && s != want {
		r.failf("%s is %q, want %q", key, s, want)
	}
}
