package collect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/objstore"
	"github.com/nono-audit/nono/lib/session"
)

// Refusal is a request the collector turns down: an HTTP status, a
// stable code and a sentence for the sender.
type Refusal struct {
	Status  int
	Code    string
	Message string
}

func (r *Refusal) Error() string { return fmt.Sprintf("%s: %s", r.Code, r.Message) }

func refuse(status int, code, format string, args ...any) *Refusal {
	return &Refusal{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// IngestRequest is one ingest as received.
type IngestRequest struct {
	Path    string // the request path the signature covers
	Headers *delivery.RequestHeaders
	Body    []byte
}

// Ingest authenticates one request and stores its envelope. In order: the
// protocol version; the timestamp within ±MaxSkew of the collector's
// clock; the body digest; the subject (known, not revoked) and its
// signature; the envelope's shape and that it names this request ID,
// subject and tenant. Then the request ID is claimed: a record of the
// body's digest and the receipt is written if absent. A request ID
// already claimed with the same body gets the original receipt (after
// making sure its envelope is stored: the first attempt may have died in
// between); with another body it is refused. Last the envelope is
// stored, locked, and the receipt returned; the envelope's verification
// starts in the background (Wait waits for it). Only what identifies the
// envelope is decoded on the way (envelope.ParseHead): a large log is
// decoded once, by the verification.
func (c *Collector) Ingest(ctx context.Context, req *IngestRequest) (*delivery.Receipt, error) {
	c.init()
	rc, _, err := c.ingest(ctx, req)
	if err != nil {
		return nil, err
	}
	c.verifyLater(rc.ObjectPath, req.Body)
	return rc, nil
}

func (c *Collector) ingest(ctx context.Context, req *IngestRequest) (*delivery.Receipt, *envelope.Envelope, error) {
	h := req.Headers
	now := c.now()
	subj, err := c.authenticate(ctx, req, now)
	if err != nil {
		return nil, nil, err
	}
	env, err := c.checkEnvelope(req.Body, h, subj)
	if err != nil {
		return nil, nil, err
	}
	key := EnvelopeKey(subj.TenantID, subj.ID, env.SessionID, env.IngestID)
	rc := &delivery.Receipt{
		IngestID: env.IngestID, SessionID: env.SessionID, AcceptedAt: stamp(now),
		PlatformAttestation: h.Digest, EventCount: env.EventLines,
		VerificationStatus: delivery.StatusPending, ObjectPath: key,
	}
	rc, err = c.claim(ctx, RequestKey(subj.TenantID, subj.ID, env.IngestID), h.Digest, rc)
	if err != nil {
		return nil, nil, err
	}
	if err := c.store(ctx, key, req.Body, h.Digest); err != nil {
		return nil, nil, err
	}
	return rc, env, nil
}

// authenticate checks a signed request of the protocol, in order: the
// protocol version; the timestamp within ±MaxSkew of the collector's
// clock; the body digest; the subject (known, not revoked) and its
// signature. It returns the subject.
func (c *Collector) authenticate(ctx context.Context, req *IngestRequest, now time.Time) (*Subject, error) {
	h := req.Headers
	if h.Version != delivery.ProtocolVersion {
		return nil, refuse(400, "unsupported_version", "%s %q: this collector speaks protocol %q", delivery.HeaderVersion, h.Version, delivery.ProtocolVersion)
	}
	ts, err := h.Time()
	if err != nil {
		return nil, refuse(400, "invalid_timestamp", "%v", err)
	}
	if skew := ts.Sub(now); skew > c.MaxSkew || -skew > c.MaxSkew {
		dir := "ahead of"
		if skew < 0 {
			dir, skew = "behind", -skew
		}
		return nil, refuse(401, "stale_timestamp", "the request's timestamp is %s %s the collector's clock (at most %s allowed): check the sender's clock", skew.Round(time.Second), dir, c.MaxSkew)
	}
	if digest := delivery.BodyDigest(req.Body); h.Digest != digest {
		return nil, refuse(400, "digest_mismatch", "%s %q is not the body's %s", delivery.HeaderDigest, h.Digest, digest)
	}
	subj, err := c.subjects.load(ctx, c.Bucket, h.Subject, now)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, refuse(401, "unknown_subject", "subject %q is not enrolled here", h.Subject)
	}
	if err != nil {
		return nil, err
	}
	if subj.RevokedAt != "" {
		return nil, refuse(403, "revoked_subject", "subject %s was revoked at %s", subj.ID, subj.RevokedAt)
	}
	msg := delivery.SignedBytes(http.MethodPost, req.Path, h.Subject, h.Timestamp, h.RequestID, h.Digest)
	if err := delivery.VerifySignature(subj.key, msg, h.Signature); err != nil {
		return nil, refuse(401, "bad_signature", "%v", err)
	}
	return subj, nil
}

// checkEnvelope reads the body as an envelope and checks that it names
// what the request authenticated.
func (c *Collector) checkEnvelope(body []byte, h *delivery.RequestHeaders, subj *Subject) (*envelope.Envelope, error) {
	if !delivery.ValidUUID(h.RequestID) {
		return nil, refuse(400, "invalid_request_id", "%s %q: want a lower-case UUID", delivery.HeaderRequestID, h.RequestID)
	}
	env, err := envelope.ParseHead(body)
	if err != nil {
		return nil, refuse(400, "invalid_envelope", "%v", err)
	}
	switch {
	case env.IngestID != h.RequestID:
		return nil, refuse(400, "invalid_envelope", "ingest_id %q is not the request ID %q", env.IngestID, h.RequestID)
	case env.ShipperID != subj.ID:
		return nil, refuse(403, "shipper_mismatch", "shipper_id %q is not the authenticated subject %q", env.ShipperID, subj.ID)
	case env.TenantID != subj.TenantID:
		return nil, refuse(403, "tenant_mismatch", "tenant_id %q is not the subject's tenant %q", env.TenantID, subj.TenantID)
	}
	if err := session.ValidateID(env.SessionID); err != nil {
		return nil, refuse(400, "invalid_envelope", "session_id: %v", err)
	}
	return env, nil
}

// claim writes the request ID's record if absent and returns the receipt
// the request gets: rc, or the original one when the same body was
// accepted before.
func (c *Collector) claim(ctx context.Context, key, digest string, rc *delivery.Receipt) (*delivery.Receipt, error) {
	rec := canon.ObjectValue(
		canon.Member{Key: "body_sha256", Value: canon.StringValue(digest)},
		canon.Member{Key: "receipt", Value: rc.Value()},
	)
	_, err := c.Bucket.Put(ctx, key, canon.Pretty(rec), objstore.PutOptions{IfAbsent: true})
	if err == nil {
		return rc, nil
	}
	if !errors.Is(err, objstore.ErrExists) {
		return nil, err
	}
	prev, err := LoadRequest(ctx, c.Bucket, key)
	if err != nil {
		return nil, err
	}
	if prev.BodyDigest != digest {
		return nil, refuse(409, "request_id_reused", "request ID %s was accepted before with another body (%s); a retry must send the same bytes", rc.IngestID, prev.BodyDigest)
	}
	return prev.Receipt, nil
}

// store writes the envelope, locked when the bucket locks, unless the
// same bytes are already there.
func (c *Collector) store(ctx context.Context, key string, body []byte, digest string) error {
	opts := objstore.PutOptions{IfAbsent: true}
	if c.Retention > 0 {
		opts.RetainUntil = c.now().Add(c.Retention)
	}
	_, err := c.Bucket.Put(ctx, key, body, opts)
	if !errors.Is(err, objstore.ErrExists) {
		return err
	}
	o, err := c.Bucket.Get(ctx, key, "", c.MaxBody)
	if err != nil {
		return err
	}
	if delivery.BodyDigest(o.Data) != digest {
		return refuse(409, "object_conflict", "%s already holds other bytes", key)
	}
	return nil
}

// Request is a request ID's record.
type Request struct {
	BodyDigest string
	Receipt    *delivery.Receipt
}

// LoadRequest reads the record at key.
func LoadRequest(ctx context.Context, b Bucket, key string) (*Request, error) {
	o, err := b.Get(ctx, key, "", delivery.MaxMessage)
	if err != nil {
		return nil, err
	}
	v, err := canon.Parse(o.Data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	d, _ := v.Get("body_sha256")
	r, _ := v.Get("receipt")
	rc, err := delivery.ParseReceipt(canon.Compact(r))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return &Request{BodyDigest: d.Str, Receipt: rc}, nil
}
