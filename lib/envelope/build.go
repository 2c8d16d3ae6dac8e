package envelope

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nono-audit/nono/lib/audit"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// Identity is who ships the envelope: the request ID and the enrolled
// tenant and subject. An export made without an enrollment leaves the
// tenant and shipper empty.
type Identity struct {
	IngestID  string
	TenantID  string
	ShipperID string
}

// Build makes the envelope of a recorded session. Only a session that
// verifies as a whole (`nono audit verify`: finished, its log against
// session.json, its ledger entry, its attestation) and has an integrity
// summary can be shipped; anything else is an error wrapping
// ErrNotShippable that says why. The bytes read are verified once more
// as the envelope that will leave the machine, so what is shipped is
// exactly what was checked.
func Build(e *session.Entry, auditRoot string, id Identity) (*Envelope, error) {
	if err := Shippable(e, auditRoot); err != nil {
		return nil, err
	}
	s := e.Session
	events, err := readBounded(filepath.Join(e.AuditDir, session.EventsFileName), MaxSize)
	if err != nil {
		return nil, err
	}
	if err := checkUTF8(session.EventsFileName, events); err != nil {
		return nil, notShippable(e.ID, err.Error())
	}
	payload, err := ledger.DigestPayload(s)
	if err != nil {
		return nil, notShippable(e.ID, err.Error())
	}
	metadata := string(payload)
	digest := merkle.Hex(digest(payload))
	head := strings.ToLower(s.AuditIntegrity.ChainHead)
	env := &Envelope{
		IngestID:      id.IngestID,
		TenantID:      id.TenantID,
		SessionID:     s.SessionID,
		ShipperID:     id.ShipperID,
		MerkleRoot:    strings.ToLower(s.AuditIntegrity.MerkleRoot),
		HashChainHead: &head,
		StartedAt:     s.Started,
		EndedAt:       s.Ended,
		Metadata:      &metadata,
		SessionDigest: &digest,
		Events:        events,
	}
	if a := s.AuditAttestation; a != nil {
		bundle, err := readBounded(filepath.Join(e.AuditDir, a.BundleFilename), dsse.MaxBundleSize)
		if err != nil {
			return nil, err
		}
		if err := checkUTF8(a.BundleFilename, bundle); err != nil {
			return nil, notShippable(e.ID, err.Error())
		}
		b := string(bundle)
		env.Bundle = &b
	}
	if r := Verify(env, Options{}); !r.OK() {
		return nil, &NotShippableError{SessionID: e.ID, Invalid: true, Reason: "the envelope does not verify: " + strings.Join(r.Problems, "; ")}
	}
	return env, nil
}

// Shippable says whether e may leave the machine: it has finished, has
// an audit integrity summary, and verifies as `nono audit verify` checks
// it. The error wraps ErrNotShippable.
func Shippable(e *session.Entry, auditRoot string) error {
	switch {
	case e.Session == nil:
		return notShippable(e.ID, fmt.Sprintf("unreadable session record: %v", e.Err))
	case e.Status == session.Running:
		return notShippable(e.ID, "it is still running")
	case e.Status != session.Completed:
		return notShippable(e.ID, "it never finished (its recorder crashed or was killed)")
	case e.AuditDir == "":
		return notShippable(e.ID, "it has no audit directory, only a rollback copy")
	case e.Session.AuditIntegrity == nil:
		return notShippable(e.ID, "it has no audit_integrity summary (recorded with --no-audit-integrity)")
	}
	v, err := audit.VerifySession(e, audit.VerifyOptions{AuditRoot: auditRoot})
	if err != nil {
		return notShippable(e.ID, err.Error())
	}
	if !v.OK() {
		return &NotShippableError{SessionID: e.ID, Invalid: true, Reason: "it does not verify: " + strings.Join(v.Problems, "; ")}
	}
	return nil
}

// NotShippableError is why a session cannot be shipped. Invalid says it
// failed verification (as opposed to being unfinished or recorded
// without an integrity summary).
type NotShippableError struct {
	SessionID string
	Reason    string
	Invalid   bool
}

func (e *NotShippableError) Error() string {
	return fmt.Sprintf("session %s cannot be shipped: %s", e.SessionID, e.Reason)
}

func (e *NotShippableError) Is(target error) bool { return target == ErrNotShippable }

func notShippable(id, reason string) error { return &NotShippableError{SessionID: id, Reason: reason} }

// readBounded reads a whole file of at most max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return canon.ReadAll(f, int(max), path)
}

// ReadFile reads an envelope from path ("-" for stdin), at most max
// bytes, and parses it.
func ReadFile(path string, max int64) (*Envelope, []byte, error) {
	var data []byte
	var err error
	if path == "-" || path == "" {
		path = "<stdin>"
		data, err = canon.ReadAll(os.Stdin, int(max), path)
	} else {
		data, err = readBounded(path, max)
	}
	if err != nil {
		return nil, nil, err
	}
	env, err := Parse(data)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, data, fmt.Errorf("%s: %w", path, err)
		}
		return nil, data, err
	}
	return env, data, nil
}
