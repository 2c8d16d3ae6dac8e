package dsse

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func FuzzParseBundle(f *testing.F) {
	f.Add(readTestdata(f, "attestation-example.bundle"))
	f.Add([]byte(`{"verificationMaterial":{"publicKey":{"hint":""}},"messageSignature":{}}`))
	f.Add([]byte(`{"verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payloadType":"t","payload":"AA==","signatures":[{"sig":"AA==","keyid":"k"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			return
		}
		// What parses re-encodes to a fixed point.
		enc := b.Encode()
		b2, err := ParseBundle(enc)
		if err != nil {
			t.Fatalf("re-encoded bundle does not parse: %v\n%s", err, enc)
		}
		if !bytes.Equal(b2.Encode(), enc) {
			t.Fatalf("bundle encoding is not a fixed point:\n%s", enc)
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	f.Add(readTestdata(f, "attestation-example.statement.json"))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStatement(data)
		if err != nil {
			return
		}
		enc := st.Encode()
		st2, err := ParseStatement(enc)
		if err != nil {
			t.Fatalf("re-encoded statement does not parse: %v\n%s", err, enc)
		}
		if !bytes.Equal(st2.Encode(), enc) {
			t.Fatalf("statement encoding is not a fixed point:\n%s", enc)
		}
	})
}

func FuzzDecodeKeyText(f *testing.F) {
	f.Add("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
	f.Add("AB-_ =\n")
	f.Add("AAE")
	f.Fuzz(func(t *testing.T, s string) {
		out, err := DecodeKeyText(s)
		if err != nil {
			return
		}
		// Accepted text decodes like its canonical standard form.
		canonical := base64.StdEncoding.EncodeToString(out)
		back, err := DecodeKeyText(canonical)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("canonical form %q of %q does not decode back: %v", canonical, s, err)
		}
	})
}

func FuzzParsePrivateKey(f *testing.F) {
	k, err := GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	text, _ := encodePrivateKey(k)
	f.Add([]byte(text))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n" + text + "\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateKey(data)
		if err != nil {
			return
		}
		text, err := encodePrivateKey(k)
		if err != nil {
			t.Fatalf("parsed key does not encode: %v", err)
		}
		if back, err := ParsePrivateKey([]byte(text)); err != nil || !back.Equal(k) {
			t.Fatalf("key does not round-trip: %v", err)
		}
	})
}

func FuzzPublicKey(f *testing.F) {
	f.Add(readTestdata(f, "attestation-example.pub"))
	f.Add(readTestdata(f, "attestation-example.pub.pem"))
	f.Fuzz(func(t *testing.T, data []byte) {
		der, err := DecodePublicKeyText(data)
		if err != nil {
			return
		}
		pub, err := ParsePublicKey(der)
		if err != nil {
			return
		}
		// ParsePublicKey accepts only canonical DER, so the key id of the
		// bytes is the key id of the key.
		if KeyIDOf(der) != KeyID(pub) {
			t.Fatalf("key id of bytes and key differ")
		}
	})
}
