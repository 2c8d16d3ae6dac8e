// Package delivery is the wire protocol both ends of audit-delivery v1
// share (docs/DELIVERY.md): the endpoints and headers, the request
// signature, enrollment messages, receipts and identifiers. The client
// (lib/ship) and the receiver (lib/collect) build on it; neither defines
// a byte of the protocol itself.
package delivery

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Protocol constants.
const (
	ProtocolVersion = "1"
	EnrollPath      = "/api/v1/enrollment/exchange"
	IngestPath      = "/api/v1/audit/ingest"
	// WitnessPath takes a C2SP tlog-witness add-checkpoint body: a
	// ledger checkpoint for the collector to witness (docs/DELIVERY.md).
	WitnessPath = "/api/v1/ledger/add-checkpoint"
	// SizeType is the content type of a witness's answer that it holds
	// another size (409), as tlog-witness has it: the size and a newline.
	SizeType       = "text/x.tlog.size"
	KeyAlgorithm   = "ecdsa_p256_sha256_fixed"
	ManagementMode = "audit_only"
	SubjectDevice  = "device"
	StatusPending  = "pending" // a receipt's verification_status

	HeaderVersion   = "X-Nono-Protocol-Version"
	HeaderSubject   = "X-Nono-Subject-Id"
	HeaderTimestamp = "X-Nono-Timestamp"
	HeaderRequestID = "X-Nono-Request-Id"
	HeaderDigest    = "X-Nono-Content-SHA256"
	HeaderSignature = "X-Nono-Signature"
	// HeaderLogKey carries the ledger's note verifier key with an
	// add-checkpoint request; the collector pins it per origin.
	HeaderLogKey = "X-Nono-Log-Key"

	// signedDomain opens the signed bytes of every request.
	signedDomain = "nono-request-v1"
	digestPrefix = "sha256:"
	sigScheme    = "p256-sha256"
)

// SignedBytes is what a request's signature covers, UTF-8, one field a
// line, no trailing newline:
//
//	nono-request-v1 \n METHOD \n PATH \n subject \n timestamp_ms \n request_id \n sha256:HEX
func SignedBytes(method, path, subject, timestampMS, requestID, bodyDigest string) []byte {
	return []byte(strings.Join([]string{signedDomain, method, path, subject, timestampMS, requestID, bodyDigest}, "\n"))
}

// BodyDigest is the X-Nono-Content-SHA256 value of body: "sha256:" and
// the lower-case hex SHA-256 of the exact bytes.
func BodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return digestPrefix + hex.EncodeToString(sum[:])
}

// Sign signs msg with ECDSA P-256 over SHA-256 and returns the header
// value: "p256-sha256:" and base64url (no padding) of r‖s, 32 bytes each.
func Sign(priv *ecdsa.PrivateKey, msg []byte) (string, error) {
	h := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, priv, h[:])
	if err != nil {
		return "", fmt.Errorf("sign request: %w", err)
	}
	var sig [64]byte
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sigScheme + ":" + base64.RawURLEncoding.EncodeToString(sig[:]), nil
}

// VerifySignature checks a header value made by Sign. Upstream's client
// writes the scheme as "p256-sha256=" although its protocol text says
// "p256-sha256:", so both separators are accepted.
func VerifySignature(pub *ecdsa.PublicKey, msg []byte, header string) error {
	rest, ok := strings.CutPrefix(header, sigScheme)
	if !ok || rest == "" || (rest[0] != ':' && rest[0] != '=') {
		return fmt.Errorf("%s: want %s:<base64url r||s>", HeaderSignature, sigScheme)
	}
	sig, err := base64.RawURLEncoding.DecodeString(rest[1:])
	if err != nil || len(sig) != 64 {
		return fmt.Errorf("%s: want 64 bytes of base64url (no padding)", HeaderSignature)
	}
	h := sha256.Sum256(msg)
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, h[:], r, s) {
		return errors.New("the signature does not verify under the subject's enrolled key")
	}
	return nil
}

// EncodePublicKey is the enrollment form of a P-256 public key: base64url,
// no padding, of the uncompressed point 04‖X‖Y.
func EncodePublicKey(pub *ecdsa.PublicKey) (string, error) {
	b, err := pub.Bytes()
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ParsePublicKey reads EncodePublicKey's form, checking the point is on
// the curve.
func ParsePublicKey(text string) (*ecdsa.PublicKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(b) != 65 || b[0] != 4 {
		return nil, errors.New("public_key: want base64url (no padding) of an uncompressed P-256 point (65 bytes, 04||X||Y)")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), b)
	if err != nil {
		return nil, fmt.Errorf("public_key: %w", err)
	}
	return pub, nil
}

// RequestHeaders are the authentication headers of an ingest request.
type RequestHeaders struct {
	Version   string
	Subject   string
	Timestamp string // Unix milliseconds, decimal
	RequestID string
	Digest    string // sha256:HEX of the body
	Signature string
}

// SignRequest makes the headers of a request of body by subject, signed
// at now.
func SignRequest(priv *ecdsa.PrivateKey, method, path, subject, requestID string, body []byte, now time.Time) (*RequestHeaders, error) {
	h := &RequestHeaders{
		Version:   ProtocolVersion,
		Subject:   subject,
		Timestamp: strconv.FormatInt(now.UnixMilli(), 10),
		RequestID: requestID,
		Digest:    BodyDigest(body),
	}
	sig, err := Sign(priv, SignedBytes(method, path, subject, h.Timestamp, requestID, h.Digest))
	if err != nil {
		return nil, err
	}
	h.Signature = sig
	return h, nil
}

// Set writes the headers with set (an http.Header's Set).
func (h *RequestHeaders) Set(set func(key, value string)) {
	set(HeaderVersion, h.Version)
	set(HeaderSubject, h.Subject)
	set(HeaderTimestamp, h.Timestamp)
	set(HeaderRequestID, h.RequestID)
	set(HeaderDigest, h.Digest)
	set(HeaderSignature, h.Signature)
}

// ReadHeaders takes the authentication headers of a request from values
// (an http.Header's Values). Each must appear exactly once; the values
// are checked for shape only.
func ReadHeaders(values func(key string) []string) (*RequestHeaders, error) {
	get := func(name string) (string, error) {
		v := values(name)
		switch len(v) {
		case 0:
			return "", fmt.Errorf("missing header %s", name)
		case 1:
			return v[0], nil
		}
		return "", fmt.Errorf("header %s given %d times", name, len(v))
	}
	var h RequestHeaders
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{HeaderVersion, &h.Version}, {HeaderSubject, &h.Subject}, {HeaderTimestamp, &h.Timestamp},
		{HeaderRequestID, &h.RequestID}, {HeaderDigest, &h.Digest}, {HeaderSignature, &h.Signature},
	} {
		v, err := get(f.name)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	return &h, nil
}

// Time parses the timestamp header.
func (h *RequestHeaders) Time() (time.Time, error) {
	ms, err := strconv.ParseInt(h.Timestamp, 10, 64)
	if err != nil || ms < 0 || strconv.FormatInt(ms, 10) != h.Timestamp {
		return time.Time{}, fmt.Errorf("%s: want Unix milliseconds, got %q", HeaderTimestamp, h.Timestamp)
	}
	return time.UnixMilli(ms), nil
}

// ValidIdentifier reports whether a tenant or subject ID can travel in a
// header and a signed line: 1–200 bytes of [A-Za-z0-9._-].
func ValidIdentifier(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// NewUUIDv7 returns a UUIDv7 (RFC 9562): 48 bits of Unix milliseconds,
// then version and variant bits around 74 random bits, so IDs made later
// sort later.
func NewUUIDv7(now time.Time) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		return "", fmt.Errorf("generate UUID: %w", err)
	}
	ms := uint64(now.UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = 0x70 | b[6]&0x0f // version 7
	b[8] = 0x80 | b[8]&0x3f // variant 10
	return formatUUID(b), nil
}

func formatUUID(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ValidUUID reports whether s is a UUID in canonical lower-case text
// form (8-4-4-4-12 hex digits).
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
