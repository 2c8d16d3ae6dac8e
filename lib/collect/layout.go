// Package collect is a receiver of audit-delivery v1 that keeps
// everything in one S3 bucket: enrollment tokens, enrolled subjects, one
// object per accepted envelope (with Object Lock retention when the
// bucket has it), the record of each request ID, and the verdict of the
// independent verification that follows acceptance. It keeps no state of
// its own, so any number of collectors can serve one bucket; the only
// coordination they need is S3's write-if-absent.
//
// Layout (docs/DELIVERY.md §6):
//
//	<tenant>/<shipper>/<session>/<ingest>.json               the envelope, byte for byte as received
//	<tenant>/<shipper>/<session>/<ingest>.verification.json  the verdict of the verification after acceptance
//	_nono/requests/<tenant>/<shipper>/<ingest>.json          the request ID's record: body digest and receipt
//	_nono/subjects/<subject>.json                            an enrolled subject and its public key
//	_nono/tokens/<sha256 of token>.json, .claimed            an enrollment token, and its one use
package collect

import (
	"fmt"
	"strings"

	"github.com/nono-audit/nono/lib/delivery"
)

// ControlPrefix holds everything but envelopes and verdicts. Tenant IDs
// cannot start with "_", so no tenant's objects live under it.
const ControlPrefix = "_nono/"

const (
	envelopeExt = ".json"
	verdictExt  = ".verification.json"
)

// EnvelopeKey is where an accepted envelope is stored.
func EnvelopeKey(tenant, shipper, session, ingest string) string {
	return tenant + "/" + shipper + "/" + session + "/" + ingest + envelopeExt
}

// VerdictKey is the verdict object of the envelope at envelopeKey.
func VerdictKey(envelopeKey string) string {
	return strings.TrimSuffix(envelopeKey, envelopeExt) + verdictExt
}

// RequestKey is the record of a request ID.
func RequestKey(tenant, shipper, ingest string) string {
	return ControlPrefix + "requests/" + tenant + "/" + shipper + "/" + ingest + ".json"
}

func subjectKey(id string) string      { return ControlPrefix + "subjects/" + id + ".json" }
func tokenKey(hash string) string      { return ControlPrefix + "tokens/" + hash + ".json" }
func tokenClaimKey(hash string) string { return ControlPrefix + "tokens/" + hash + ".claimed" }

// EnvelopeName is an envelope key taken apart.
type EnvelopeName struct {
	Tenant, Shipper, Session, Ingest string
}

// ParseEnvelopeKey recognises an envelope object's key: four parts, the
// last an ingest ID with ".json" (not a verdict).
func ParseEnvelopeKey(key string) (EnvelopeName, bool) {
	if strings.HasPrefix(key, ControlPrefix) || strings.HasSuffix(key, verdictExt) {
		return EnvelopeName{}, false
	}
	parts := strings.Split(key, "/")
	if len(parts) != 4 {
		return EnvelopeName{}, false
	}
	ingest, ok := strings.CutSuffix(parts[3], envelopeExt)
	if !ok || !delivery.ValidUUID(ingest) {
		return EnvelopeName{}, false
	}
	return EnvelopeName{Tenant: parts[0], Shipper: parts[1], Session: parts[2], Ingest: ingest}, true
}

// ValidTenant reports whether t can name a tenant: an identifier that
// does not start with "_" or ".".
func ValidTenant(t string) error {
	if !delivery.ValidIdentifier(t) || t[0] == '_' || t[0] == '.' {
		return fmt.Errorf("tenant %q: want 1-200 characters of [A-Za-z0-9._-], not starting with _ or .", t)
	}
	return nil
}
