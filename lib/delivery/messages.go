package delivery

import (
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
)

// MaxMessage bounds the JSON messages other than the envelope
// (enrollment, receipts, errors).
const MaxMessage = 1 << 20

// EnrollRequest is the body of POST /api/v1/enrollment/exchange.
type EnrollRequest struct {
	Token       string
	SubjectKind string
	DisplayName *string
	PublicKey   string // EncodePublicKey's form
}

// Encode returns the request body, keys in upstream's order.
func (r *EnrollRequest) Encode() []byte {
	name := canon.NullValue()
	if r.DisplayName != nil {
		name = canon.StringValue(*r.DisplayName)
	}
	return canon.Compact(canon.ObjectValue(
		canon.Member{Key: "protocol_version", Value: canon.StringValue(ProtocolVersion)},
		canon.Member{Key: "token", Value: canon.StringValue(r.Token)},
		canon.Member{Key: "subject_kind", Value: canon.StringValue(r.SubjectKind)},
		canon.Member{Key: "display_name", Value: name},
		canon.Member{Key: "key_algorithm", Value: canon.StringValue(KeyAlgorithm)},
		canon.Member{Key: "public_key", Value: canon.StringValue(r.PublicKey)},
	))
}

// ParseEnrollRequest reads an enrollment request, refusing other
// protocol versions and key algorithms.
func ParseEnrollRequest(data []byte) (*EnrollRequest, error) {
	f, err := newFields(data, "enrollment request")
	if err != nil {
		return nil, err
	}
	r := &EnrollRequest{
		Token:       f.str("token"),
		SubjectKind: f.str("subject_kind"),
		DisplayName: f.optStr("display_name"),
		PublicKey:   f.str("public_key"),
	}
	version, alg := f.str("protocol_version"), f.str("key_algorithm")
	if f.err != nil {
		return nil, f.err
	}
	switch {
	case version != ProtocolVersion:
		return nil, fmt.Errorf("enrollment request: unsupported protocol_version %q (this receiver speaks %q)", version, ProtocolVersion)
	case alg != KeyAlgorithm:
		return nil, fmt.Errorf("enrollment request: unsupported key_algorithm %q (want %q)", alg, KeyAlgorithm)
	}
	return r, nil
}

// Enrollment is the answer to an enrollment: the subject and tenant the
// key is now bound to.
type Enrollment struct {
	TenantID       string
	SubjectID      string
	SubjectKind    string
	ManagementMode string
	EnrolledAt     string // RFC 3339
}

// Encode returns the response body.
func (e *Enrollment) Encode() []byte {
	s := canon.StringValue
	return canon.Compact(canon.ObjectValue(
		canon.Member{Key: "protocol_version", Value: s(ProtocolVersion)},
		canon.Member{Key: "tenant_id", Value: s(e.TenantID)},
		canon.Member{Key: "subject_id", Value: s(e.SubjectID)},
		canon.Member{Key: "subject_kind", Value: s(e.SubjectKind)},
		canon.Member{Key: "management_mode", Value: s(e.ManagementMode)},
		canon.Member{Key: "enrolled_at", Value: s(e.EnrolledAt)},
	))
}

// ParseEnrollment reads an enrollment response and checks what a client
// relies on: version 1, audit-only, identifiers safe to put in headers.
func ParseEnrollment(data []byte) (*Enrollment, error) {
	f, err := newFields(data, "enrollment response")
	if err != nil {
		return nil, err
	}
	e := &Enrollment{
		TenantID:       f.str("tenant_id"),
		SubjectID:      f.str("subject_id"),
		SubjectKind:    f.str("subject_kind"),
		ManagementMode: f.str("management_mode"),
		EnrolledAt:     f.str("enrolled_at"),
	}
	version := f.str("protocol_version")
	if f.err != nil {
		return nil, f.err
	}
	switch {
	case version != ProtocolVersion || e.ManagementMode != ManagementMode:
		return nil, fmt.Errorf("enrollment response: unsupported contract (protocol_version %q, management_mode %q; want %q, %q)",
			version, e.ManagementMode, ProtocolVersion, ManagementMode)
	case !ValidIdentifier(e.TenantID):
		return nil, fmt.Errorf("enrollment response: tenant_id %q is not 1-200 characters of [A-Za-z0-9._-]", e.TenantID)
	case !ValidIdentifier(e.SubjectID):
		return nil, fmt.Errorf("enrollment response: subject_id %q is not 1-200 characters of [A-Za-z0-9._-]", e.SubjectID)
	}
	return e, nil
}

// Receipt is the receiver's acceptance of one envelope: authenticated and
// stored durably, not yet verified (verification_status "pending").
type Receipt struct {
	IngestID            string
	SessionID           string
	AcceptedAt          string
	PlatformAttestation string
	EventCount          uint64
	VerificationStatus  string
	ObjectPath          string
}

// Value is the receipt as ordered JSON, keys in upstream's order.
func (r *Receipt) Value() canon.Value {
	s := canon.StringValue
	return canon.ObjectValue(
		canon.Member{Key: "ingest_id", Value: s(r.IngestID)},
		canon.Member{Key: "session_id", Value: s(r.SessionID)},
		canon.Member{Key: "accepted_at", Value: s(r.AcceptedAt)},
		canon.Member{Key: "platform_attestation", Value: s(r.PlatformAttestation)},
		canon.Member{Key: "event_count", Value: canon.UintValue(r.EventCount)},
		canon.Member{Key: "verification_status", Value: s(r.VerificationStatus)},
		canon.Member{Key: "object_path", Value: s(r.ObjectPath)},
	)
}

// Encode returns the receipt compact, as sent.
func (r *Receipt) Encode() []byte { return canon.Compact(r.Value()) }

// ParseReceipt reads a receipt (unknown keys ignored).
func ParseReceipt(data []byte) (*Receipt, error) {
	f, err := newFields(data, "receipt")
	if err != nil {
		return nil, err
	}
	r := &Receipt{
		IngestID:            f.str("ingest_id"),
		SessionID:           f.str("session_id"),
		AcceptedAt:          f.str("accepted_at"),
		PlatformAttestation: f.str("platform_attestation"),
		EventCount:          f.uint("event_count"),
		VerificationStatus:  f.str("verification_status"),
		ObjectPath:          f.str("object_path"),
	}
	return r, f.err
}

// ErrorBody is the JSON body of a refusal: a stable code and a sentence
// for the person reading the client's output.
func ErrorBody(code, message string) []byte {
	return canon.Compact(canon.ObjectValue(
		canon.Member{Key: "error", Value: canon.StringValue(code)},
		canon.Member{Key: "message", Value: canon.StringValue(message)},
	))
}

// ParseErrorBody returns the code and message of a refusal, or "" and
// the raw text (cut short) when the body is not ErrorBody's form.
func ParseErrorBody(data []byte) (code, message string) {
	if v, err := canon.Parse(data); err == nil {
		c, _ := v.Get("error")
		m, _ := v.Get("message")
		if c.Kind == canon.String && m.Kind == canon.String {
			return c.Str, m.Str
		}
	}
	text := string(data)
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return "", text
}

// fields reads typed members of a JSON object, keeping the first error.
type fields struct {
	obj  canon.Value
	what string
	err  error
}

func newFields(data []byte, what string) (*fields, error) {
	if len(data) > MaxMessage {
		return nil, fmt.Errorf("%s: larger than %d bytes", what, MaxMessage)
	}
	v, err := canon.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if v.Kind != canon.Object {
		return nil, fmt.Errorf("%s: want a JSON object", what)
	}
	return &fields{obj: v, what: what}, nil
}

func (f *fields) get(key string) (canon.Value, bool) {
	v, ok := f.obj.Get(key)
	if !ok && f.err == nil {
		f.err = fmt.Errorf("%s: missing %q", f.what, key)
	}
	return v, ok
}

func (f *fields) str(key string) string {
	v, ok := f.get(key)
	if ok && v.Kind != canon.String && f.err == nil {
		f.err = fmt.Errorf("%s: %q: want a string", f.what, key)
	}
	return v.Str
}

func (f *fields) optStr(key string) *string {
	v, ok := f.obj.Get(key)
	if !ok || v.Kind == canon.Null {
		return nil
	}
	if v.Kind != canon.String && f.err == nil {
		f.err = fmt.Errorf("%s: %q: want a string or null", f.what, key)
	}
	s := v.Str
	return &s
}

func (f *fields) uint(key string) uint64 {
	v, ok := f.get(key)
	n, isUint := v.Uint()
	if ok && !isUint && f.err == nil {
		f.err = fmt.Errorf("%s: %q: want a non-negative integer", f.what, key)
	}
	return n
}
