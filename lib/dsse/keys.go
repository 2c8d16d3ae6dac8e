package dsse

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Object identifiers of a P-256 SubjectPublicKeyInfo.
var (
	oidPublicKeyECDSA = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidNamedCurveP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
)

// GenerateKey returns a fresh ECDSA P-256 signing key.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate P-256 key: %w", err)
	}
	return k, nil
}

// KeyID is the key's fingerprint: lowercase hex SHA-256 of its DER
// SubjectPublicKeyInfo (91 bytes for P-256). The bundle hint, the
// predicate's signer.key_id and session.json's key_id all carry it.
// It returns "" for a key that has no SPKI encoding (not a NIST curve).
func KeyID(pub *ecdsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	return KeyIDOf(der)
}

// KeyIDOf is the key id of DER SubjectPublicKeyInfo bytes.
func KeyIDOf(spki []byte) string {
	sum := sha256.Sum256(spki)
	return hex.EncodeToString(sum[:])
}

// marshalPublicKey returns the DER SubjectPublicKeyInfo of a P-256 key.
func marshalPublicKey(pub *ecdsa.PublicKey) ([]byte, error) {
	if pub == nil || pub.Curve != elliptic.P256() {
		return nil, errors.New("public key is not ECDSA P-256")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return der, nil
}

// EncodePublicKey is the .pub file and session.json form of a public key:
// standard padded base64 of the SPKI DER, one line, no newline.
func EncodePublicKey(pub *ecdsa.PublicKey) (string, error) {
	der, err := marshalPublicKey(pub)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// encodePrivateKey is the key file form of a private key: standard padded
// base64 of the PKCS#8 DER, one line, no newline, no PEM armour.
func encodePrivateKey(priv *ecdsa.PrivateKey) (string, error) {
	if priv == nil || priv.Curve != elliptic.P256() {
		return "", errors.New("private key is not ECDSA P-256")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", fmt.Errorf("encode private key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// PublicKeyPEM is the public key as upstream prints it: a PUBLIC KEY PEM
// block, 64-column body, CRLF line endings including after the END line.
// Go's, OpenSSL's and cosign's PEM readers all accept CRLF.
func PublicKeyPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := marshalPublicKey(pub)
	if err != nil {
		return nil, err
	}
	lf := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n")), nil
}

// ParsePrivateKey reads a signing key: base64 PKCS#8 DER (the form
// upstream writes, read leniently) or, as an extension, a PEM
// "PRIVATE KEY" block. The key must be ECDSA P-256. Errors never quote
// the key material.
func ParsePrivateKey(text []byte) (*ecdsa.PrivateKey, error) {
	var der []byte
	trimmed := bytes.TrimSpace(text)
	if bytes.HasPrefix(trimmed, []byte("-----BEGIN")) {
		block, rest := pem.Decode(trimmed)
		switch {
		case block == nil:
			return nil, errors.New("invalid PEM private key: no PEM block")
		case block.Type == "EC PRIVATE KEY":
			return nil, errors.New("EC PRIVATE KEY (SEC 1) is not supported: convert it with `openssl pkcs8 -topk8 -nocrypt`")
		case block.Type == "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted private keys are not supported")
		case block.Type != "PRIVATE KEY":
			return nil, fmt.Errorf("invalid PEM private key: want a PRIVATE KEY block, got %s", block.Type)
		case len(block.Headers) > 0:
			return nil, errors.New("invalid PEM private key: unexpected PEM headers")
		case len(bytes.TrimSpace(rest)) > 0:
			return nil, errors.New("invalid PEM private key: data after the PEM block")
		}
		der = block.Bytes
	} else {
		var err error
		der, err = DecodeKeyText(string(text))
		if err != nil {
			return nil, fmt.Errorf("invalid base64 PKCS#8 signing key: %w", err)
		}
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("invalid PKCS#8 key data: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("invalid PKCS#8 key data: want an ECDSA P-256 key, got %T", k)
	}
	if ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("invalid PKCS#8 key data: want curve P-256, got %s", ec.Curve.Params().Name)
	}
	return ec, nil
}

// DecodePublicKeyText turns the text of a public key file into DER bytes
// without interpreting them, as upstream's --public-key-file reader does:
// a PEM "PUBLIC KEY" block (LF or CRLF) or base64 DER (the .pub form),
// both decoded leniently.
func DecodePublicKeyText(text []byte) ([]byte, error) {
	s := strings.TrimSpace(string(text))
	if !strings.HasPrefix(s, "-----BEGIN") {
		der, err := DecodeKeyText(s)
		if err != nil {
			return nil, fmt.Errorf("invalid base64 DER public key: %w", err)
		}
		return der, nil
	}
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if strings.TrimSpace(lines[0]) != "-----BEGIN PUBLIC KEY-----" {
		return nil, fmt.Errorf("invalid PEM public key: want a PUBLIC KEY block, got %q", strings.TrimSpace(lines[0]))
	}
	var body strings.Builder
	ended := false
	for _, line := range lines[1:] {
		line = strings.TrimSpace(line)
		switch {
		case ended:
			if line != "" {
				return nil, errors.New("invalid PEM public key: data after the END line")
			}
		case line == "-----END PUBLIC KEY-----":
			ended = true
		case strings.HasPrefix(line, "-----"):
			return nil, fmt.Errorf("invalid PEM public key: unexpected line %q", line)
		default:
			body.WriteString(line)
		}
	}
	if !ended {
		return nil, errors.New("invalid PEM public key: missing END line")
	}
	der, err := DecodeKeyText(body.String())
	if err != nil {
		return nil, fmt.Errorf("invalid PEM public key: %w", err)
	}
	return der, nil
}

// subjectPublicKeyInfo is the SPKI envelope: the algorithm left raw for
// the caller to judge, and the key bits.
type subjectPublicKeyInfo struct {
	Algorithm asn1.RawValue
	PublicKey asn1.BitString
}

func unmarshalSPKI(der []byte) (*subjectPublicKeyInfo, error) {
	var spki subjectPublicKeyInfo
	rest, err := asn1.Unmarshal(der, &spki)
	if err != nil {
		return nil, fmt.Errorf("invalid SubjectPublicKeyInfo: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("invalid SubjectPublicKeyInfo: trailing data")
	}
	return &spki, nil
}

// ParsePublicKey parses DER SubjectPublicKeyInfo bytes that must name
// id-ecPublicKey on P-256 and be the canonical DER encoding (so that the
// key id of the bytes is the key id of the key).
func ParsePublicKey(der []byte) (*ecdsa.PublicKey, error) {
	spki, err := unmarshalSPKI(der)
	if err != nil {
		return nil, err
	}
	var alg pkix.AlgorithmIdentifier
	if rest, err := asn1.Unmarshal(spki.Algorithm.FullBytes, &alg); err != nil || len(rest) > 0 {
		return nil, errors.New("invalid SubjectPublicKeyInfo: bad algorithm identifier")
	}
	if !alg.Algorithm.Equal(oidPublicKeyECDSA) {
		return nil, fmt.Errorf("public key algorithm is %s, want id-ecPublicKey (%s)", alg.Algorithm, oidPublicKeyECDSA)
	}
	var curve asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, &curve); err != nil || len(rest) > 0 {
		return nil, errors.New("public key curve parameter is not a named curve")
	}
	if !curve.Equal(oidNamedCurveP256) {
		return nil, fmt.Errorf("public key curve is %s, want P-256 (%s)", curve, oidNamedCurveP256)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("invalid SubjectPublicKeyInfo: %w", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is %T, want ECDSA P-256", pub)
	}
	canonical, err := x509.MarshalPKIXPublicKey(ec)
	if err != nil || !bytes.Equal(canonical, der) {
		return nil, errors.New("SubjectPublicKeyInfo is not in canonical DER form")
	}
	return ec, nil
}
