package ship

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/platform"
)

// ReceiptFileName is where a delivered session keeps its receipt, beside
// session.json (as upstream keeps it).
const ReceiptFileName = "platform-ingest-receipt.json"

// Client delivers envelopes for an enrollment.
type Client struct {
	Paths platform.Paths
	State *platform.State
	Key   *ecdsa.PrivateKey
	HTTP  *http.Client
	// Now is the clock requests are signed with.
	Now func() time.Time
}

// Open loads the enrollment and its key.
func Open(p platform.Paths) (*Client, error) {
	st, err := platform.Load(p)
	if err != nil {
		return nil, err
	}
	key, err := loadKey(st.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	hc, err := httpClient(st.CAFile)
	if err != nil {
		return nil, err
	}
	return &Client{Paths: p, State: st, Key: key, HTTP: hc, Now: time.Now}, nil
}

// DeliveryError is a failed attempt. Permanent says the receiver refused
// the envelope itself (a retry sends the same bytes and will be refused
// again until something changes on either side), as opposed to a
// network failure or a receiver that is down.
type DeliveryError struct {
	Status    int // 0 when no answer came
	Permanent bool
	Err       error
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// Deliver sends one item and, once the receiver accepts it, keeps the
// receipt beside the session and removes the item. The body and request
// ID are the queued ones; only the timestamp and signature are new.
func (c *Client) Deliver(ctx context.Context, it *Item) (*delivery.Receipt, error) {
	env, body, err := it.Body()
	if err != nil {
		return nil, &DeliveryError{Permanent: true, Err: err}
	}
	if env.ShipperID != c.State.SubjectID || env.TenantID != c.State.TenantID {
		return nil, &DeliveryError{Permanent: true, Err: fmt.Errorf(
			"queued for subject %s of tenant %s, but this machine is enrolled as %s of %s",
			env.ShipperID, env.TenantID, c.State.SubjectID, c.State.TenantID)}
	}
	h, err := delivery.SignRequest(c.Key, http.MethodPost, c.ingestPath(), c.State.SubjectID, env.IngestID, body, c.Now())
	if err != nil {
		return nil, err
	}
	// Generous for large logs: a minute, and a second per MiB on top.
	timeout := time.Minute + time.Duration(len(body)>>20)*time.Second
	answer, status, err := post(ctx, c.HTTP, c.State.URL+delivery.IngestPath, body, h, timeout)
	if err != nil {
		return nil, &DeliveryError{Err: fmt.Errorf("deliver session %s: %w", env.SessionID, err)}
	}
	if status/100 != 2 {
		permanent := status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
		return nil, &DeliveryError{Status: status, Permanent: permanent,
			Err: fmt.Errorf("the receiver refused session %s: %s", env.SessionID, refusal(status, answer))}
	}
	rc, err := delivery.ParseReceipt(answer)
	if err != nil {
		return nil, &DeliveryError{Status: status, Err: fmt.Errorf("session %s: %w", env.SessionID, err)}
	}
	if rc.IngestID != env.IngestID || rc.SessionID != env.SessionID || rc.VerificationStatus != delivery.StatusPending {
		return nil, &DeliveryError{Status: status, Err: fmt.Errorf(
			"session %s: the receipt names ingest %s, session %s, status %q: not this envelope's",
			env.SessionID, rc.IngestID, rc.SessionID, rc.VerificationStatus)}
	}
	if err := keepReceipt(it.SessionDir, env.SessionID, rc); err != nil {
		return nil, err
	}
	if err := it.remove(); err != nil {
		return nil, fmt.Errorf("session %s delivered, but its outbox item stays: %w", env.SessionID, err)
	}
	return rc, nil
}

// ingestPath is the path the signature covers: the receiver URL's own
// path (a receiver may live under a prefix) and the endpoint.
func (c *Client) ingestPath() string { return c.endpointPath(delivery.IngestPath) }

func (c *Client) endpointPath(endpoint string) string {
	u, err := url.Parse(c.State.URL)
	if err != nil {
		return endpoint
	}
	return u.Path + endpoint
}

// keepReceipt writes the receipt beside session.json when the session
// directory is still there (a session deleted after queueing is still
// delivered; its receipt then has nowhere to go).
func keepReceipt(dir, sessionID string, rc *delivery.Receipt) error {
	if dir == "" {
		return nil
	}
	if fi, err := os.Stat(filepath.Join(dir, "session.json")); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	path := filepath.Join(dir, ReceiptFileName)
	if err := atomicfile.WriteFile(path, canon.Pretty(rc.Value()), 0o600); err != nil {
		return fmt.Errorf("session %s delivered, but its receipt was not kept: %w", sessionID, err)
	}
	return nil
}

// ReadReceipt reads a session's receipt; (nil, nil) when it has none.
func ReadReceipt(dir string) (*delivery.Receipt, error) {
	data, err := os.ReadFile(filepath.Join(dir, ReceiptFileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return delivery.ParseReceipt(data)
}
