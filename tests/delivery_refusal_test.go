package tests

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/platform"
)

// sender signs requests with an enrolled user's key and clock of its own.
type sender struct {
	t     *testing.T
	url   string
	state *platform.State
	key   *ecdsa.PrivateKey
	hc    *http.Client
}

func newSender(t *testing.T, u *user, hc *http.Client) *sender {
	p, err := platform.Locate(func(k string) string {
		for _, kv := range u.env {
			if v, ok := strings.CutPrefix(kv, k+"="); ok {
				return v
			}
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := platform.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(st.KeyFile)
	key, err := dsse.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &sender{t: t, url: st.URL, state: st, key: key, hc: hc}
}

// send posts body as request id, signed at now; it returns the status
// and the answer.
func (s *sender) send(id string, body []byte, now time.Time, edit func(*delivery.RequestHeaders)) (int, string) {
	s.t.Helper()
	h, err := delivery.SignRequest(s.key, "POST", delivery.IngestPath, s.state.SubjectID, id, body, now)
	if err != nil {
		s.t.Fatal(err)
	}
	if edit != nil {
		edit(h)
	}
	req, _ := http.NewRequest("POST", s.url+delivery.IngestPath, bytes.NewReader(body))
	h.Set(req.Header.Set)
	resp, err := s.hc.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(answer)
}

// TestDeliveryRefusals: over HTTPS with the collector's own CA, a sender
// whose clock is 10 minutes off is refused with the reason; a replayed
// request ID with a changed body is refused, the same body gets the
// original receipt; and every other check of the protocol refuses.
func TestDeliveryRefusals(t *testing.T) {
	_, bucket := newBucket(t, true)
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	c := startCollector(t, bucket, "", "--tls-cert", cert, "--tls-key", key, "--subject-cache", "1s")
	u := newUser(t)
	tok := strings.TrimSpace(u.must("nono-collect", "token", "create", "--s3", minioURL(t), "--bucket", bucket, "--tenant", "acme"))
	httpsURL := "https://" + c.addr
	// Without the CA the certificate is not trusted.
	if _, errOut, code := u.run("nono", "platform", "enroll", "--url", httpsURL, "--token", tok); code != 2 || !strings.Contains(errOut, "certificate") {
		t.Fatalf("enroll without the CA: exit %d\n%s", code, errOut)
	}
	u.must("nono", "platform", "enroll", "--url", httpsURL, "--token", tok, "--ca-file", filepath.Join(dir, "ca.pem"))
	// A token is used once.
	u2 := newUser(t)
	if _, errOut, code := u2.run("nono", "platform", "enroll", "--url", httpsURL, "--token", tok, "--ca-file", filepath.Join(dir, "ca.pem")); code != 2 || !strings.Contains(errOut, "token_used") {
		t.Errorf("second use of a token: exit %d\n%s", code, errOut)
	}

	u.record(1)
	id := u.sessions()[0]
	ingest, _ := delivery.NewUUIDv7(time.Now())
	body := []byte(u.must("nono", "audit", "export", id, "--ingest-id", ingest))
	s := newSender(t, u, &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}})

	// A clock 10 minutes off, either way.
	for _, off := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		status, answer := s.send(ingest, body, time.Now().Add(off), nil)
		if status != 401 || !strings.Contains(answer, "stale_timestamp") || !strings.Contains(answer, "check the sender's clock") {
			t.Errorf("clock %s off: %d %s", off, status, answer)
		}
	}
	status, first := s.send(ingest, body, time.Now(), nil)
	if status != 200 {
		t.Fatalf("accept: %d %s", status, first)
	}
	// The same request again: the original receipt.
	if status, again := s.send(ingest, body, time.Now(), nil); status != 200 || again != first {
		t.Errorf("idempotent retry: %d\n%s\nfirst\n%s", status, again, first)
	}
	// The same request ID with a changed body.
	changed := bytes.Replace(body, []byte(`"exit_code\":0`), []byte(`"exit_code\":7`), 1)
	if bytes.Equal(changed, body) {
		t.Fatal("nothing changed")
	}
	if status, answer := s.send(ingest, changed, time.Now(), nil); status != 409 || !strings.Contains(answer, "request_id_reused") {
		t.Errorf("replay with another body: %d %s", status, answer)
	}
	other, _ := delivery.NewUUIDv7(time.Now())
	for name, tc := range map[string]struct {
		id   string
		body []byte
		edit func(*delivery.RequestHeaders)
		want string
	}{
		"version":         {other, body, func(h *delivery.RequestHeaders) { h.Version = "2" }, "unsupported_version"},
		"digest":          {other, body, func(h *delivery.RequestHeaders) { h.Digest = delivery.BodyDigest(nil) }, "digest_mismatch"},
		"signature":       {other, body, func(h *delivery.RequestHeaders) { h.Signature = h.Signature[:20] + "AAAA" + h.Signature[24:] }, "bad_signature"},
		"unknown subject": {other, body, func(h *delivery.RequestHeaders) { h.Subject = "nobody" }, "unknown_subject"},
		"ingest mismatch": {other, body, nil, "is not the request ID"},
		"tenant mismatch": {ingest, bytes.Replace(body, []byte(`"tenant_id":"acme"`), []byte(`"tenant_id":"evil"`), 1), nil, "tenant_mismatch"},
		"not an envelope": {other, []byte(`{}`), nil, "invalid_envelope"},
		"bad timestamp":   {other, body, func(h *delivery.RequestHeaders) { h.Timestamp = "soon" }, "invalid_timestamp"},
	} {
		if status, answer := s.send(tc.id, tc.body, time.Now(), tc.edit); status/100 != 4 || !strings.Contains(answer, tc.want) {
			t.Errorf("%s: %d %s", name, status, answer)
		}
	}
	// The real client, over HTTPS, agrees with the receipt already given.
	u.must("nono", "audit", "sync")
	if keys := envelopeKeys(t, bucket); len(keys) != 2 {
		t.Errorf("objects %q", keys)
	}
	// A revoked subject is refused.
	u.must("nono-collect", "subject", "revoke", "--s3", minioURL(t), "--bucket", bucket, s.state.SubjectID)
	time.Sleep(1100 * time.Millisecond) // the collector's subject cache
	u.record(1)
	if out, errOut, code := u.run("nono", "audit", "sync", "--retries", "0"); code != 1 || !strings.Contains(errOut, "revoked_subject") {
		t.Errorf("revoked: exit %d\n%s%s", code, out, errOut)
	}
}

// selfSigned makes a CA and a certificate for 127.0.0.1 signed by it,
// and returns the certificate and key files and the CA's pool.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "nono test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("ca.pem", "CERTIFICATE", caDER)
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	return write("cert.pem", "CERTIFICATE", der), write("key.pem", "PRIVATE KEY", keyDER), pool
}
