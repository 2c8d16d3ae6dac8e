package collect

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/objstore"
)

// Bucket is what the collector needs of a bucket; *objstore.Store is one.
type Bucket interface {
	Put(ctx context.Context, key string, data []byte, o objstore.PutOptions) (string, error)
	Get(ctx context.Context, key, versionID string, max int64) (*objstore.Object, error)
	Exists(ctx context.Context, key string) (bool, error)
	List(ctx context.Context, prefix string, versions bool, each func(objstore.Entry) bool) error
}

// tokenPrefix marks enrollment tokens, so one pasted into the wrong place
// is recognisable.
const tokenPrefix = "nct_"

// CreateToken makes a one-time enrollment token for tenant, valid for
// ttl, and stores only its hash. The token itself is shown once.
func CreateToken(ctx context.Context, b Bucket, tenant string, ttl time.Duration, now time.Time) (string, error) {
	if err := ValidTenant(tenant); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", errors.New("--ttl must be positive")
	}
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	rec := canon.ObjectValue(
		canon.Member{Key: "tenant_id", Value: canon.StringValue(tenant)},
		canon.Member{Key: "created_at", Value: canon.StringValue(stamp(now))},
		canon.Member{Key: "expires_at", Value: canon.StringValue(stamp(now.Add(ttl)))},
	)
	if _, err := b.Put(ctx, tokenKey(hashToken(token)), canon.Pretty(rec), objstore.PutOptions{IfAbsent: true}); err != nil {
		return "", err
	}
	return token, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Subject is an enrolled device or workload.
type Subject struct {
	ID          string
	TenantID    string
	Kind        string
	DisplayName *string
	PublicKey   string // delivery.EncodePublicKey's form
	EnrolledAt  string
	RevokedAt   string // "" while active
	key         *ecdsa.PublicKey
}

func (s *Subject) value() canon.Value {
	name, revoked := canon.NullValue(), canon.NullValue()
	if s.DisplayName != nil {
		name = canon.StringValue(*s.DisplayName)
	}
	if s.RevokedAt != "" {
		revoked = canon.StringValue(s.RevokedAt)
	}
	return canon.ObjectValue(
		canon.Member{Key: "subject_id", Value: canon.StringValue(s.ID)},
		canon.Member{Key: "tenant_id", Value: canon.StringValue(s.TenantID)},
		canon.Member{Key: "subject_kind", Value: canon.StringValue(s.Kind)},
		canon.Member{Key: "display_name", Value: name},
		canon.Member{Key: "key_algorithm", Value: canon.StringValue(delivery.KeyAlgorithm)},
		canon.Member{Key: "public_key", Value: canon.StringValue(s.PublicKey)},
		canon.Member{Key: "enrolled_at", Value: canon.StringValue(s.EnrolledAt)},
		canon.Member{Key: "revoked_at", Value: revoked},
	)
}

// Value is the subject as listed.
func (s *Subject) Value() canon.Value { return s.value() }

func parseSubject(data []byte) (*Subject, error) {
	v, err := canon.Parse(data)
	if err != nil || v.Kind != canon.Object {
		return nil, fmt.Errorf("subject record: %v", err)
	}
	str := func(k string) string { m, _ := v.Get(k); return m.Str }
	s := &Subject{ID: str("subject_id"), TenantID: str("tenant_id"), Kind: str("subject_kind"),
		PublicKey: str("public_key"), EnrolledAt: str("enrolled_at"), RevokedAt: str("revoked_at")}
	if n, ok := v.Get("display_name"); ok && n.Kind == canon.String {
		s.DisplayName = &n.Str
	}
	if s.key, err = delivery.ParsePublicKey(s.PublicKey); err != nil {
		return nil, fmt.Errorf("subject %s: %w", s.ID, err)
	}
	return s, nil
}

// Enroll redeems a token: the token must exist, be unexpired and unused
// (its claim object is written if absent, so of two collectors racing
// for one token exactly one wins), and the subject is stored with its key.
func Enroll(ctx context.Context, b Bucket, req *delivery.EnrollRequest, now time.Time) (*delivery.Enrollment, error) {
	if req.SubjectKind != delivery.SubjectDevice && req.SubjectKind != "workload" {
		return nil, refuse(400, "invalid_request", "subject_kind %q: want device or workload", req.SubjectKind)
	}
	if _, err := delivery.ParsePublicKey(req.PublicKey); err != nil {
		return nil, refuse(400, "invalid_request", "%v", err)
	}
	hash := hashToken(req.Token)
	tok, err := b.Get(ctx, tokenKey(hash), "", delivery.MaxMessage)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, refuse(401, "invalid_token", "unknown enrollment token")
	}
	if err != nil {
		return nil, err
	}
	tv, err := canon.Parse(tok.Data)
	if err != nil {
		return nil, fmt.Errorf("token record: %w", err)
	}
	tenant, _ := tv.Get("tenant_id")
	expires, _ := tv.Get("expires_at")
	if t, err := time.Parse(time.RFC3339Nano, expires.Str); err != nil || now.After(t) {
		return nil, refuse(401, "expired_token", "the enrollment token expired at %s", expires.Str)
	}
	id, err := delivery.NewUUIDv7(now)
	if err != nil {
		return nil, err
	}
	claim := canon.ObjectValue(
		canon.Member{Key: "subject_id", Value: canon.StringValue(id)},
		canon.Member{Key: "claimed_at", Value: canon.StringValue(stamp(now))},
	)
	if _, err := b.Put(ctx, tokenClaimKey(hash), canon.Pretty(claim), objstore.PutOptions{IfAbsent: true}); err != nil {
		if errors.Is(err, objstore.ErrExists) {
			return nil, refuse(401, "token_used", "the enrollment token has already been used")
		}
		return nil, err
	}
	s := &Subject{ID: id, TenantID: tenant.Str, Kind: req.SubjectKind, DisplayName: req.DisplayName,
		PublicKey: req.PublicKey, EnrolledAt: stamp(now)}
	if _, err := b.Put(ctx, subjectKey(id), canon.Pretty(s.value()), objstore.PutOptions{IfAbsent: true}); err != nil {
		return nil, err
	}
	return &delivery.Enrollment{TenantID: s.TenantID, SubjectID: id, SubjectKind: s.Kind,
		ManagementMode: delivery.ManagementMode, EnrolledAt: s.EnrolledAt}, nil
}

// LoadSubject reads an enrolled subject; ErrNotFound wrapped when unknown.
func LoadSubject(ctx context.Context, b Bucket, id string) (*Subject, error) {
	if !delivery.ValidIdentifier(id) {
		return nil, fmt.Errorf("subject %q: %w", id, objstore.ErrNotFound)
	}
	o, err := b.Get(ctx, subjectKey(id), "", delivery.MaxMessage)
	if err != nil {
		return nil, err
	}
	return parseSubject(o.Data)
}

// RevokeSubject marks a subject revoked: its requests are refused from
// then on (by every collector within its subject cache's lifetime).
func RevokeSubject(ctx context.Context, b Bucket, id string, now time.Time) (*Subject, error) {
	s, err := LoadSubject(ctx, b, id)
	if err != nil {
		return nil, err
	}
	if s.RevokedAt == "" {
		s.RevokedAt = stamp(now)
		if _, err := b.Put(ctx, subjectKey(id), canon.Pretty(s.value()), objstore.PutOptions{}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ListSubjects returns every enrolled subject.
func ListSubjects(ctx context.Context, b Bucket) ([]*Subject, error) {
	var out []*Subject
	var ferr error
	err := b.List(ctx, ControlPrefix+"subjects/", false, func(e objstore.Entry) bool {
		s, err := LoadSubject(ctx, b, subjectIDOf(e.Key))
		if err != nil {
			ferr = err
			return false
		}
		out = append(out, s)
		return true
	})
	if err == nil {
		err = ferr
	}
	return out, err
}

func subjectIDOf(key string) string {
	name := key[len(ControlPrefix+"subjects/"):]
	if len(name) > 5 {
		return name[:len(name)-5]
	}
	return name
}

// DefaultSubjectCache bounds how long a collector trusts what it read
// of a subject: a revocation reaches every collector within it.
const DefaultSubjectCache = 10 * time.Second

// subjectCache spares one bucket read per request.
type subjectCache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cachedSubject
}

type cachedSubject struct {
	s    *Subject
	read time.Time
}

func (c *subjectCache) load(ctx context.Context, b Bucket, id string, now time.Time) (*Subject, error) {
	c.mu.Lock()
	if cs, ok := c.m[id]; ok && now.Sub(cs.read) < c.ttl {
		c.mu.Unlock()
		return cs.s, nil
	}
	c.mu.Unlock()
	s, err := LoadSubject(ctx, b, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedSubject{}
	}
	c.m[id] = cachedSubject{s, now}
	c.mu.Unlock()
	return s, nil
}
