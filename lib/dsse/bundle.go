package dsse

import (
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
)

// MaxBundleSize bounds what a reader loads as a bundle. A bundle's size is
// dominated by the recorded command, which the kernel limits to a few MiB.
const MaxBundleSize = 32 << 20

// Bundle is a sigstore bundle carrying a DSSE envelope signed with a bare
// public key. Only what nono writes and verifies is kept: a parsed bundle
// re-encodes to nono's bytes, not necessarily to its input's.
type Bundle struct {
	MediaType string // "" when absent (sigstore then assumes v0.1)
	// KeyHint is verificationMaterial.publicKey.hint, the signer's key id.
	// It is not signed, so it only ever serves as a hint.
	KeyHint string
	// HasPublicKey is true when the verification material is a public key
	// (the only kind nono writes); HasCertificate when it is an X.509
	// certificate or chain (keyless signing, which nono refuses).
	HasPublicKey   bool
	HasCertificate bool
	// Envelope is the DSSE envelope, nil when the bundle holds a
	// messageSignature instead, which is then kept as opaque JSON.
	Envelope         *Envelope
	MessageSignature canon.Value
}

// Envelope is a DSSE envelope.
type Envelope struct {
	PayloadType string
	Payload     []byte
	Signatures  []Signature
}

// Signature is one DSSE signature: DER ECDSA bytes and an optional key id
// (nono leaves it empty, so the key is omitted).
type Signature struct {
	Sig   []byte
	KeyID string
}

// NewBundle wraps a signed payload the way upstream does: public-key
// material whose hint is the key id, no transparency log entries, no
// timestamps, one signature.
func NewBundle(keyID string, payload, sig []byte) *Bundle {
	return &Bundle{
		MediaType:    bundleMediaType,
		KeyHint:      keyID,
		HasPublicKey: true,
		Envelope: &Envelope{
			PayloadType: PayloadType,
			Payload:     payload,
			Signatures:  []Signature{{Sig: sig}},
		},
	}
}

// Value is the bundle as ordered JSON in upstream's key order.
func (b *Bundle) Value() canon.Value {
	var root []canon.Member
	if b.MediaType != "" {
		root = append(root, canon.Member{Key: "mediaType", Value: canon.StringValue(b.MediaType)})
	}
	var vm []canon.Member
	if b.HasPublicKey {
		vm = append(vm, canon.Member{Key: "publicKey", Value: canon.ObjectValue(
			canon.Member{Key: "hint", Value: canon.StringValue(b.KeyHint)},
		)})
	}
	vm = append(vm,
		canon.Member{Key: "tlogEntries", Value: canon.ArrayValue()},
		canon.Member{Key: "timestampVerificationData", Value: canon.ObjectValue()},
	)
	root = append(root, canon.Member{Key: "verificationMaterial", Value: canon.ObjectValue(vm...)})
	if e := b.Envelope; e != nil {
		sigs := make([]canon.Value, len(e.Signatures))
		for i, s := range e.Signatures {
			m := []canon.Member{{Key: "sig", Value: canon.StringValue(base64.StdEncoding.EncodeToString(s.Sig))}}
			if s.KeyID != "" {
				m = append(m, canon.Member{Key: "keyid", Value: canon.StringValue(s.KeyID)})
			}
			sigs[i] = canon.ObjectValue(m...)
		}
		root = append(root, canon.Member{Key: "dsseEnvelope", Value: canon.ObjectValue(
			canon.Member{Key: "payloadType", Value: canon.StringValue(e.PayloadType)},
			canon.Member{Key: "payload", Value: canon.StringValue(base64.StdEncoding.EncodeToString(e.Payload))},
			canon.Member{Key: "signatures", Value: canon.ArrayValue(sigs...)},
		)})
	} else if b.MessageSignature.Kind == canon.Object {
		root = append(root, canon.Member{Key: "messageSignature", Value: b.MessageSignature})
	}
	return canon.ObjectValue(root...)
}

// Encode is the bundle file's bytes: serde_json pretty (2-space indent,
// `"key": value`), no trailing newline.
func (b *Bundle) Encode() []byte { return canon.Pretty(b.Value()) }

// ParseBundle parses a bundle as upstream's sigstore-types does:
// verificationMaterial is required and holds a publicKey (whose hint is
// required), a certificate or an x509CertificateChain; tlogEntries and
// timestampVerificationData may be absent (the latter may be null); the
// content is a dsseEnvelope or a messageSignature; payload and sig are
// strict standard base64. Unknown keys are ignored. Duplicate keys and
// invalid UTF-8 are errors.
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > MaxBundleSize {
		return nil, fmt.Errorf("bundle is larger than %d bytes", MaxBundleSize)
	}
	v, err := canon.Parse(data)
	if err != nil {
		return nil, err
	}
	if v.Kind != canon.Object {
		return nil, fmt.Errorf("bundle is %s, want an object", v.Kind)
	}
	b := &Bundle{}
	if mt, ok := v.Get("mediaType"); ok {
		if mt.Kind != canon.String {
			return nil, fmt.Errorf("mediaType is %s, want a string", mt.Kind)
		}
		b.MediaType = mt.Str
	}
	vm, ok := v.Get("verificationMaterial")
	if !ok {
		return nil, errors.New("missing field `verificationMaterial`")
	}
	if err := b.parseMaterial(vm); err != nil {
		return nil, fmt.Errorf("verificationMaterial: %w", err)
	}
	env, hasEnv := v.Get("dsseEnvelope")
	ms, hasMS := v.Get("messageSignature")
	switch {
	case hasEnv && hasMS:
		return nil, errors.New("bundle holds both dsseEnvelope and messageSignature")
	case hasMS:
		if ms.Kind != canon.Object {
			return nil, fmt.Errorf("messageSignature is %s, want an object", ms.Kind)
		}
		b.MessageSignature = ms
	case hasEnv:
		e, err := parseEnvelope(env)
		if err != nil {
			return nil, fmt.Errorf("dsseEnvelope: %w", err)
		}
		b.Envelope = e
	default:
		return nil, errors.New("bundle holds neither dsseEnvelope nor messageSignature")
	}
	return b, nil
}

func (b *Bundle) parseMaterial(vm canon.Value) error {
	if vm.Kind != canon.Object {
		return fmt.Errorf("want an object, got %s", vm.Kind)
	}
	kinds := 0
	if pk, ok := vm.Get("publicKey"); ok {
		kinds++
		hint, ok := pk.Get("hint")
		switch {
		case pk.Kind != canon.Object:
			return fmt.Errorf("publicKey is %s, want an object", pk.Kind)
		case !ok:
			return errors.New("publicKey: missing field `hint`")
		case hint.Kind != canon.String:
			return fmt.Errorf("publicKey.hint is %s, want a string", hint.Kind)
		}
		b.HasPublicKey, b.KeyHint = true, hint.Str
	}
	for _, key := range []string{"certificate", "x509CertificateChain"} {
		if c, ok := vm.Get(key); ok {
			if c.Kind != canon.Object {
				return fmt.Errorf("%s is %s, want an object", key, c.Kind)
			}
			kinds++
			b.HasCertificate = true
		}
	}
	switch {
	case kinds == 0:
		return errors.New("no publicKey, certificate or x509CertificateChain")
	case kinds > 1:
		return errors.New("more than one kind of key material")
	}
	if t, ok := vm.Get("tlogEntries"); ok && t.Kind != canon.Array {
		return fmt.Errorf("tlogEntries is %s, want an array", t.Kind)
	}
	if t, ok := vm.Get("timestampVerificationData"); ok && t.Kind != canon.Object && t.Kind != canon.Null {
		return fmt.Errorf("timestampVerificationData is %s, want an object", t.Kind)
	}
	return nil
}

func parseEnvelope(v canon.Value) (*Envelope, error) {
	if v.Kind != canon.Object {
		return nil, fmt.Errorf("want an object, got %s", v.Kind)
	}
	e := &Envelope{}
	pt, ok := v.Get("payloadType")
	if !ok || pt.Kind != canon.String {
		return nil, errors.New("payloadType: want a string")
	}
	e.PayloadType = pt.Str
	p, ok := v.Get("payload")
	if !ok || p.Kind != canon.String {
		return nil, errors.New("payload: want a base64 string")
	}
	payload, err := decodeStrict(p.Str)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	e.Payload = payload
	sigs, ok := v.Get("signatures")
	if !ok || sigs.Kind != canon.Array {
		return nil, errors.New("signatures: want an array")
	}
	for i, s := range sigs.Elems {
		if s.Kind != canon.Object {
			return nil, fmt.Errorf("signatures[%d] is %s, want an object", i, s.Kind)
		}
		sv, ok := s.Get("sig")
		if !ok || sv.Kind != canon.String {
			return nil, fmt.Errorf("signatures[%d].sig: want a base64 string", i)
		}
		sig, err := decodeStrict(sv.Str)
		if err != nil {
			return nil, fmt.Errorf("signatures[%d].sig: %w", i, err)
		}
		var keyID string
		if k, ok := s.Get("keyid"); ok {
			if k.Kind != canon.String {
				return nil, fmt.Errorf("signatures[%d].keyid is %s, want a string", i, k.Kind)
			}
			keyID = k.Str
		}
		e.Signatures = append(e.Signatures, Signature{Sig: sig, KeyID: keyID})
	}
	return e, nil
}
