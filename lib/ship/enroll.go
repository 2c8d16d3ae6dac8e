// Package ship is the client side of audit-delivery v1: enrolling this
// machine with a receiver, the durable outbox of envelopes waiting to
// leave, delivering them with signed requests, and what was delivered.
// The protocol's bytes come from lib/delivery and lib/envelope.
package ship

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/platform"
)

// CheckURL validates a receiver's base URL: HTTPS, or plain HTTP to a
// loopback address (a receiver on this machine, as in tests). It returns
// the URL without a trailing slash, query or fragment.
func CheckURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("--url: %w", err)
	}
	if u.Host == "" || u.User != nil {
		return "", fmt.Errorf("--url %q: want https://HOST[:PORT][/PATH]", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return "", fmt.Errorf("--url %q: plain http is allowed only to this machine (127.0.0.1, ::1, localhost); use https", raw)
		}
	default:
		return "", fmt.Errorf("--url %q: want an https:// URL", raw)
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// EnrollOptions are the inputs of Enroll.
type EnrollOptions struct {
	URL    string
	Token  string
	Name   *string // display name; nil for none
	CAFile string  // PEM roots to trust for the receiver, copied into the state directory
	Cwd    string  // refused as the home of the key when it is a project
	Home   string
	Now    func() time.Time
}

// Enroll exchanges a one-time token for a subject identity: it makes (or
// reuses, after an unenroll that kept it) the device's P-256 key under
// the state directory, sends its public half, and records the answer.
func Enroll(ctx context.Context, p platform.Paths, o EnrollOptions) (*platform.State, error) {
	base, err := CheckURL(o.URL)
	if err != nil {
		return nil, err
	}
	if o.Token == "" {
		return nil, errors.New("--token: an enrollment token is required (nono-collect token create)")
	}
	if _, err := os.Lstat(p.State); err == nil {
		return nil, fmt.Errorf("already enrolled (%s); run `nono platform unenroll` first", p.State)
	}
	if err := p.CheckOutsideProject(o.Cwd, o.Home); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p.Base, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", p.Base, err)
	}
	caFile := ""
	if o.CAFile != "" {
		pemData, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pemData) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", o.CAFile)
		}
		if err := atomicfile.WriteFile(p.CA, pemData, 0o600); err != nil {
			return nil, err
		}
		caFile = p.CA
	}
	key, err := deviceKey(p.Key)
	if err != nil {
		return nil, err
	}
	pub, err := delivery.EncodePublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	hc, err := httpClient(caFile)
	if err != nil {
		return nil, err
	}
	req := &delivery.EnrollRequest{Token: o.Token, SubjectKind: delivery.SubjectDevice, DisplayName: o.Name, PublicKey: pub}
	body, status, err := post(ctx, hc, base+delivery.EnrollPath, req.Encode(), nil, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("enrollment: %w", err)
	}
	if status/100 != 2 {
		return nil, fmt.Errorf("enrollment refused: %s", refusal(status, body))
	}
	en, err := delivery.ParseEnrollment(body)
	if err != nil {
		return nil, err
	}
	st := &platform.State{
		URL: base, TenantID: en.TenantID, SubjectID: en.SubjectID, SubjectKind: en.SubjectKind,
		ManagementMode: en.ManagementMode, DisplayName: o.Name, EnrolledAt: en.EnrolledAt,
		KeyFile: p.Key, CAFile: caFile,
	}
	if err := platform.Save(p, st); err != nil {
		return nil, err
	}
	return st, nil
}

// deviceKey loads the key at path, or makes one (0600, never through a
// symlink) when there is none.
func deviceKey(path string) (*ecdsa.PrivateKey, error) {
	if k, err := loadKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err := dsse.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := dsse.WriteKeyPair(path, k, false); err != nil {
		return nil, err
	}
	return k, nil
}

func loadKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := dsse.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("device key %s: %w", path, err)
	}
	return k, nil
}

// UnenrollReport says what Unenroll removed and what stays.
type UnenrollReport struct {
	State      *platform.State
	KeyDeleted bool
	Queued     int // envelopes still in the outbox
}

// Unenroll forgets the enrollment, and the device key with deleteKey.
// The receiver keeps the subject until its operator revokes it (a device
// key must not be able to erase its own registration); the outbox keeps
// its envelopes for the next enrollment.
func Unenroll(p platform.Paths, deleteKey bool) (*UnenrollReport, error) {
	st, err := platform.Load(p)
	if err != nil {
		return nil, err
	}
	r := &UnenrollReport{State: st}
	if deleteKey {
		for _, f := range []string{st.KeyFile, dsse.PublicKeyPath(st.KeyFile)} {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("delete device key: %w", err)
			}
		}
		r.KeyDeleted = true
	}
	if st.CAFile != "" {
		os.Remove(st.CAFile)
	}
	if err := os.Remove(p.State); err != nil {
		return nil, fmt.Errorf("remove enrollment: %w", err)
	}
	items, _ := ListOutbox(p)
	r.Queued = len(items)
	return r, nil
}

// httpClient makes the client every request uses: the system roots plus
// caFile, TLS 1.2 or later, no redirects (a signed request goes where it
// was addressed or nowhere).
func httpClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		data, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("receiver CA: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("receiver CA %s: no PEM certificate in it", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// post sends body and returns the answer's body (at most
// delivery.MaxMessage bytes) and status.
func post(ctx context.Context, hc *http.Client, target string, body []byte, h *delivery.RequestHeaders, timeout time.Duration) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if h != nil {
		h.Set(req.Header.Set)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, delivery.MaxMessage+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("read the answer: %w", err)
	}
	if len(data) > delivery.MaxMessage {
		return nil, resp.StatusCode, fmt.Errorf("the answer is larger than %d bytes", delivery.MaxMessage)
	}
	return data, resp.StatusCode, nil
}

// refusal describes an answer that was not a success.
func refusal(status int, body []byte) string {
	code, msg := delivery.ParseErrorBody(body)
	if code != "" {
		return fmt.Sprintf("HTTP %d %s: %s", status, code, msg)
	}
	if msg = strings.TrimSpace(msg); msg == "" {
		msg = http.StatusText(status)
	}
	return fmt.Sprintf("HTTP %d: %s", status, msg)
}
