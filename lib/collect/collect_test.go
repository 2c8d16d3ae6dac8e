package collect

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/objstore"
	"github.com/nono-audit/nono/lib/session"
)

// memBucket is a versioned bucket in memory with S3's write-if-absent.
type memBucket struct {
	mu       sync.Mutex
	versions map[string][]memVersion // oldest first
	seq      int
	failPut  func(key string) error
}

type memVersion struct {
	id     string
	data   []byte
	marker bool
	until  time.Time
}

func newMem() *memBucket { return &memBucket{versions: map[string][]memVersion{}} }

func (m *memBucket) Put(ctx context.Context, key string, data []byte, o objstore.PutOptions) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPut != nil {
		if err := m.failPut(key); err != nil {
			return "", err
		}
	}
	vs := m.versions[key]
	if o.IfAbsent && len(vs) > 0 && !vs[len(vs)-1].marker {
		return "", fmt.Errorf("%s: %w", key, objstore.ErrExists)
	}
	if o.IfMatch != "" && (len(vs) == 0 || vs[len(vs)-1].marker || vs[len(vs)-1].id != o.IfMatch) {
		return "", fmt.Errorf("%s: %w", key, objstore.ErrModified)
	}
	m.seq++
	id := fmt.Sprintf("v%d", m.seq)
	m.versions[key] = append(vs, memVersion{id: id, data: bytes.Clone(data), until: o.RetainUntil})
	return id, nil
}

func (m *memBucket) Get(ctx context.Context, key, versionID string, max int64) (*objstore.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := m.versions[key]
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if versionID == "" && v.marker {
			break
		}
		if versionID == "" || v.id == versionID {
			o := &objstore.Object{Data: v.data, VersionID: v.id, ETag: v.id, RetainUntil: v.until}
			if !v.until.IsZero() {
				o.RetainMode = "COMPLIANCE"
			}
			return o, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", key, objstore.ErrNotFound)
}

func (m *memBucket) Exists(ctx context.Context, key string) (bool, error) {
	_, err := m.Get(ctx, key, "", 1<<40)
	return err == nil, nil
}

func (m *memBucket) List(ctx context.Context, prefix string, versions bool, each func(objstore.Entry) bool) error {
	m.mu.Lock()
	var keys []string
	for k := range m.versions {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var entries []objstore.Entry
	for _, k := range keys {
		vs := m.versions[k]
		for i := len(vs) - 1; i >= 0; i-- {
			v := vs[i]
			if !versions && (i != len(vs)-1 || v.marker) {
				continue
			}
			entries = append(entries, objstore.Entry{Key: k, Size: int64(len(v.data)), VersionID: v.id, IsLatest: i == len(vs)-1, DeleteMarker: v.marker})
		}
	}
	m.mu.Unlock()
	for _, e := range entries {
		if !each(e) {
			break
		}
	}
	return nil
}

func (m *memBucket) count(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.versions[key])
}

func (m *memBucket) setFailPut(f func(key string) error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failPut = f
}

func (m *memBucket) deleteMarker(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	m.versions[key] = append(m.versions[key], memVersion{id: fmt.Sprintf("v%d", m.seq), marker: true})
}

// fixture is a collector over a memory bucket, one enrolled subject and
// an envelope of a real session.
type fixture struct {
	t    *testing.T
	b    *memBucket
	c    *Collector
	now  time.Time
	key  *ecdsa.PrivateKey
	en   *delivery.Enrollment
	body []byte
	env  *envelope.Envelope
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, b: newMem(), now: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)}
	f.c = &Collector{Bucket: f.b, MaxSkew: 5 * time.Minute, MaxBody: 1 << 20, Retention: time.Hour, Now: func() time.Time { return f.now }}
	f.c.Handler()
	ctx := context.Background()
	tok, err := CreateToken(ctx, f.b, "acme", time.Hour, f.now)
	if err != nil {
		t.Fatal(err)
	}
	f.key, _ = dsse.GenerateKey()
	pub, _ := delivery.EncodePublicKey(&f.key.PublicKey)
	f.en, err = Enroll(ctx, f.b, &delivery.EnrollRequest{Token: tok, SubjectKind: delivery.SubjectDevice, PublicKey: pub}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	f.body, f.env = f.envelope("s1")
	return f
}

// envelope records a session and builds its envelope for the subject.
func (f *fixture) envelope(id string) ([]byte, *envelope.Envelope) {
	t := f.t
	root := t.TempDir()
	dir := filepath.Join(root, id)
	os.MkdirAll(dir, 0o700)
	var log bytes.Buffer
	rec := chain.NewRecorder(&log)
	rec.Append([]byte(`{"type":"session_started","started":"2026-07-01T10:00:00Z","command":["true"]}`))
	rec.Append([]byte(`{"type":"session_ended","ended":"2026-07-01T10:00:01Z","exit_code":0}`))
	os.WriteFile(filepath.Join(dir, session.EventsFileName), log.Bytes(), 0o600)
	res, _ := chain.Verify(bytes.NewReader(log.Bytes()), chain.Options{})
	ended, code := "2026-07-01T10:00:01Z", int32(0)
	s := &session.Session{SessionID: id, Started: "2026-07-01T10:00:00Z", Ended: &ended, Command: []string{"true"},
		TrackedPaths: []string{}, MerkleRoots: []string{}, ExitCode: &code, AuditEventCount: 2,
		AuditIntegrity: &session.Integrity{HashAlgorithm: "sha256", EventCount: 2, ChainHead: merkle.Hex(*res.ChainHead), MerkleRoot: merkle.Hex(*res.MerkleRoot)}}
	session.Write(dir, s)
	if _, err := ledger.Append(root, s, time.Second); err != nil {
		t.Fatal(err)
	}
	e, _ := (&session.Store{AuditRoot: root}).Find(session.AuditSide, id)
	ingest, _ := delivery.NewUUIDv7(f.now)
	env, err := envelope.Build(e, root, envelope.Identity{IngestID: ingest, TenantID: f.en.TenantID, ShipperID: f.en.SubjectID})
	if err != nil {
		t.Fatal(err)
	}
	return env.Encode(), env
}

func (f *fixture) ingest(body []byte, id string, at time.Time) (*delivery.Receipt, error) {
	h, _ := delivery.SignRequest(f.key, "POST", delivery.IngestPath, f.en.SubjectID, id, body, at)
	rc, err := f.c.Ingest(context.Background(), &IngestRequest{Path: delivery.IngestPath, Headers: h, Body: body})
	return rc, err
}

func refusalCode(err error) string {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Code
	}
	return fmt.Sprint(err)
}

func TestIngestAndRetry(t *testing.T) {
	f := newFixture(t)
	rc, err := f.ingest(f.body, f.env.IngestID, f.now)
	if err != nil {
		t.Fatal(err)
	}
	key := EnvelopeKey("acme", f.en.SubjectID, "s1", f.env.IngestID)
	if rc.ObjectPath != key || rc.EventCount != 2 || rc.VerificationStatus != "pending" || rc.PlatformAttestation != delivery.BodyDigest(f.body) {
		t.Errorf("receipt %+v", rc)
	}
	o, err := f.b.Get(context.Background(), key, "", 1<<20)
	if err != nil || !bytes.Equal(o.Data, f.body) || o.RetainMode != "COMPLIANCE" {
		t.Fatalf("stored: %v", err)
	}
	// A retry later gets the original receipt; nothing new is stored.
	f.c.Wait()
	f.now = f.now.Add(time.Minute)
	again, err := f.ingest(f.body, f.env.IngestID, f.now)
	if err != nil || *again != *rc {
		t.Errorf("retry: %v %+v", err, again)
	}
	f.c.Wait()
	if n := f.b.count(key); n != 1 {
		t.Errorf("%d versions", n)
	}
	// The verification after acceptance leaves a verdict, once.
	f.c.Wait()
	v, err := f.b.Get(context.Background(), VerdictKey(key), "", 1<<20)
	if err != nil || !bytes.Contains(v.Data, []byte(`"verification_status": "verified"`)) {
		t.Errorf("verdict: %v", err)
	}
}

func TestIngestRefusals(t *testing.T) {
	f := newFixture(t)
	if _, err := f.ingest(f.body, f.env.IngestID, f.now); err != nil {
		t.Fatal(err)
	}
	f.c.Wait()
	changed := bytes.Replace(f.body, []byte(`"exit_code\":0`), []byte(`"exit_code\":1`), 1)
	other, _ := delivery.NewUUIDv7(f.now)
	for name, tc := range map[string]struct {
		body []byte
		id   string
		at   time.Time
		want string
	}{
		"replay, another body": {changed, f.env.IngestID, f.now, "request_id_reused"},
		"10 minutes behind":    {f.body, f.env.IngestID, f.now.Add(-10 * time.Minute), "stale_timestamp"},
		"10 minutes ahead":     {f.body, f.env.IngestID, f.now.Add(10 * time.Minute), "stale_timestamp"},
		"ingest mismatch":      {f.body, other, f.now, "invalid_envelope"},
		"not an envelope":      {[]byte(`[]`), other, f.now, "invalid_envelope"},
	} {
		if _, err := f.ingest(tc.body, tc.id, tc.at); refusalCode(err) != tc.want {
			t.Errorf("%s: %v, want %s", name, err, tc.want)
		}
	}
	_, err := f.ingest(f.body, f.env.IngestID, f.now.Add(-10*time.Minute))
	if !strings.Contains(err.Error(), "10m0s behind the collector's clock (at most 5m0s allowed): check the sender's clock") {
		t.Errorf("skew message: %v", err)
	}
	// Revoked.
	if _, err := RevokeSubject(context.Background(), f.b, f.en.SubjectID, f.now); err != nil {
		t.Fatal(err)
	}
	f.c.subjects.m = nil
	if _, err := f.ingest(f.body, f.env.IngestID, f.now); refusalCode(err) != "revoked_subject" {
		t.Errorf("revoked: %v", err)
	}
}

// TestIngestAfterCrash: a collector that claimed a request ID and died
// before storing the envelope; the retry stores it.
func TestIngestAfterCrash(t *testing.T) {
	f := newFixture(t)
	key := EnvelopeKey("acme", f.en.SubjectID, "s1", f.env.IngestID)
	f.b.setFailPut(func(k string) error {
		if k == key {
			return errors.New("killed")
		}
		return nil
	})
	if _, err := f.ingest(f.body, f.env.IngestID, f.now); err == nil {
		t.Fatal("accepted without storing")
	}
	f.b.setFailPut(nil)
	rc, err := f.ingest(f.body, f.env.IngestID, f.now.Add(time.Second))
	if err != nil || rc.AcceptedAt != stamp(f.now) {
		t.Fatalf("retry: %v %+v", err, rc)
	}
	if ok, _ := f.b.Exists(context.Background(), key); !ok {
		t.Error("not stored after the retry")
	}
}

// TestConcurrentIngest: many collectors, one request: one object.
func TestConcurrentIngest(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &Collector{Bucket: f.b, MaxSkew: time.Minute, MaxBody: 1 << 20, Now: f.c.Now}
			c.Handler()
			h, _ := delivery.SignRequest(f.key, "POST", delivery.IngestPath, f.en.SubjectID, f.env.IngestID, f.body, f.now)
			_, err := c.Ingest(context.Background(), &IngestRequest{Path: delivery.IngestPath, Headers: h, Body: f.body})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := f.b.count(EnvelopeKey("acme", f.en.SubjectID, "s1", f.env.IngestID)); n != 1 {
		t.Errorf("%d versions", n)
	}
}

func TestEnrollTokens(t *testing.T) {
	b, now, ctx := newMem(), time.Now(), context.Background()
	tok, err := CreateToken(ctx, b, "acme", time.Minute, now)
	if err != nil || !strings.HasPrefix(tok, "nct_") {
		t.Fatal(tok, err)
	}
	for _, bad := range []string{"_nono", ".x", "", "a/b"} {
		if _, err := CreateToken(ctx, b, bad, time.Minute, now); err == nil {
			t.Errorf("tenant %q accepted", bad)
		}
	}
	k, _ := dsse.GenerateKey()
	pub, _ := delivery.EncodePublicKey(&k.PublicKey)
	req := &delivery.EnrollRequest{Token: tok, SubjectKind: "device", PublicKey: pub}
	if _, err := Enroll(ctx, b, req, now.Add(2*time.Minute)); refusalCode(err) != "expired_token" {
		t.Errorf("expired: %v", err)
	}
	en, err := Enroll(ctx, b, req, now)
	if err != nil || en.TenantID != "acme" || !delivery.ValidUUID(en.SubjectID) {
		t.Fatalf("%v %+v", err, en)
	}
	if _, err := Enroll(ctx, b, req, now); refusalCode(err) != "token_used" {
		t.Errorf("reused: %v", err)
	}
	if _, err := Enroll(ctx, b, &delivery.EnrollRequest{Token: "nct_nope", SubjectKind: "device", PublicKey: pub}, now); refusalCode(err) != "invalid_token" {
		t.Errorf("unknown: %v", err)
	}
	subjects, err := ListSubjects(ctx, b)
	if err != nil || len(subjects) != 1 || subjects[0].ID != en.SubjectID {
		t.Errorf("subjects %v %v", subjects, err)
	}
}

func TestSweepAndAudit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var keys []string
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		body, env := f.envelope(id)
		if _, err := f.ingest(body, env.IngestID, f.now); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, EnvelopeKey("acme", f.en.SubjectID, id, env.IngestID))
	}
	f.c.Wait()
	// A collector that died before verifying: the sweep makes up for it.
	delete(f.b.versions, VerdictKey(keys[0]))
	if n, err := f.c.Sweep(ctx); err != nil || n != 1 {
		t.Errorf("sweep: %d %v", n, err)
	}
	rows, err := AuditBucket(ctx, f.b, AuditOptions{})
	if err != nil || len(rows) != 4 {
		t.Fatalf("%v %d rows", err, len(rows))
	}
	for _, r := range rows {
		if !r.OK() || r.Collector != StatusVerified || r.RetainUntil == "" {
			t.Errorf("%s: %q %s", r.Key, r.Problems, r.Collector)
		}
	}
	// Tampering: an overwrite, a delete marker, a lost object, a forged
	// record-less object.
	f.b.Put(ctx, keys[1], []byte(`{}`), objstore.PutOptions{})
	f.b.deleteMarker(keys[2])
	delete(f.b.versions, keys[3])
	forged := EnvelopeKey("acme", f.en.SubjectID, "s9", "0197d04c-c000-7000-8000-000000000009")
	f.b.Put(ctx, forged, f.body, objstore.PutOptions{})
	rows, _ = AuditBucket(ctx, f.b, AuditOptions{Prefix: "acme/"})
	want := map[string]string{
		keys[0]: "", keys[1]: "overwritten after acceptance", keys[2]: "deleted after acceptance",
		keys[3]: "the envelope object is missing", forged: "no request record",
	}
	for _, r := range rows {
		w, ok := want[r.Key]
		if !ok || (w == "") != r.OK() || !strings.Contains(strings.Join(r.Problems, "; "), w) {
			t.Errorf("%s: %q, want %q", r.Key, r.Problems, w)
		}
		delete(want, r.Key)
	}
	if len(want) != 0 {
		t.Errorf("rows missing for %v", want)
	}
}

func TestHTTP(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.c.Handler())
	defer srv.Close()
	post := func(path string, body []byte, h *delivery.RequestHeaders) (int, string) {
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewReader(body))
		if h != nil {
			h.Set(req.Header.Set)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	h, _ := delivery.SignRequest(f.key, "POST", delivery.IngestPath, f.en.SubjectID, f.env.IngestID, f.body, f.now)
	if code, body := post(delivery.IngestPath, f.body, h); code != 200 || !strings.HasPrefix(body, `{"ingest_id":"`+f.env.IngestID) {
		t.Errorf("ingest: %d %s", code, body)
	}
	f.c.Wait()
	if code, body := post(delivery.IngestPath, f.body, nil); code != 401 || !strings.Contains(body, "missing_header") {
		t.Errorf("no headers: %d %s", code, body)
	}
	if code, body := post(delivery.EnrollPath, []byte(`{"protocol_version":"2"}`), nil); code != 400 || !strings.Contains(body, `"error":"invalid_request"`) {
		t.Errorf("enroll: %d %s", code, body)
	}
	f.c.MaxBody = 10
	if code, body := post(delivery.IngestPath, f.body, h); code != 413 {
		t.Errorf("too large: %d %s", code, body)
	}
	f.c.Wait()
}

func TestParseEnvelopeKey(t *testing.T) {
	id := "0197d04c-c000-7000-8000-000000000001"
	if n, ok := ParseEnvelopeKey("t/s/x/" + id + ".json"); !ok || n != (EnvelopeName{"t", "s", "x", id}) {
		t.Errorf("%v %v", n, ok)
	}
	for _, bad := range []string{"t/s/x/" + id + ".verification.json", "_nono/requests/t/s/" + id + ".json", "t/s/" + id + ".json", "t/s/x/y.json"} {
		if _, ok := ParseEnvelopeKey(bad); ok {
			t.Errorf("%s parsed", bad)
		}
	}
}
