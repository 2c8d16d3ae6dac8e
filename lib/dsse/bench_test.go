package dsse

import (
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"
)

func BenchmarkParseBundle(b *testing.B) {
	data := readTestdata(b, "attestation-example.bundle")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseBundle(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	k, err := GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	payload := readTestdata(b, "attestation-example.statement.json")
	for b.Loop() {
		if _, err := Sign(k, PayloadType, payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	bundle := exampleBundle(b)
	_, pub, err := ReadPublicKeyFile(vectors.Path("attestation-example.pub"))
	if err != nil {
		b.Fatal(err)
	}
	e := bundle.Envelope
	for b.Loop() {
		if !Verify(pub, PayloadType, e.Payload, e.Signatures[0].Sig) {
			b.Fatal("does not verify")
		}
	}
}
