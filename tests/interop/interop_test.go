// Package interop checks nono's attestation bundles with an independent
// implementation, sigstore-go, following the recipe of docs/SIGNING.md:
// a bare public key as trusted material, no transparency log, no
// timestamps, the session's Merkle root as the artifact digest.
//
// It is a separate module so that sigstore-go's large dependency tree
// stays out of the main module; run it with `cd tests/interop && go test ./...`.
package interop

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/session"
)

const (
	predicateType = "https://nono.sh/attestation/audit-session/alpha"
	exampleRoot   = "2222222222222222222222222222222222222222222222222222222222222222"
)

// sigstoreVerify verifies the bundle file at path with sigstore-go against
// pub and the artifact digest root (hex), returning the predicate type of
// the verified statement.
func sigstoreVerify(t *testing.T, path string, pub *ecdsa.PublicKey, root string) (string, error) {
	t.Helper()
	b, err := bundle.LoadJSONFromPath(path)
	if err != nil {
		return "", err
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	material := rootMaterial(v)
	verifier, err := verify.NewVerifier(material, verify.WithNoObserverTimestamps())
	if err != nil {
		t.Fatal(err)
	}
	digest, err := hex.DecodeString(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := verifier.Verify(b, verify.NewPolicy(verify.WithArtifactDigest("sha256", digest), verify.WithKey()))
	if err != nil {
		return "", err
	}
	if res.Statement == nil {
		t.Fatal("verified without a statement")
	}
	return res.Statement.PredicateType, nil
}

// rootMaterial trusts exactly one key, whatever hint the bundle carries.
func rootMaterial(v signature.Verifier) root.TrustedMaterial {
	return root.NewTrustedPublicKeyMaterial(func(hint string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(v, time.Time{}, time.Time{}), nil
	})
}

// exampleDir is the main module's golden vectors (this module lives
// two levels below it).
const exampleDir = "../../testdata/vectors/"

func examplePub(t *testing.T) *ecdsa.PublicKey {
	t.Helper()
	_, pub, err := dsse.ReadPublicKeyFile(exampleDir + "attestation-example.pub.pem")
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestExampleBundle(t *testing.T) {
	pt, err := sigstoreVerify(t, exampleDir+"attestation-example.bundle", examplePub(t), exampleRoot)
	if err != nil {
		t.Fatalf("sigstore-go rejects the example: %v", err)
	}
	if pt != predicateType {
		t.Errorf("predicate type %q", pt)
	}
	// A wrong digest and a tampered payload are refused.
	if _, err := sigstoreVerify(t, exampleDir+"attestation-example.bundle", examplePub(t), strings.Repeat("3", 64)); err == nil ||
		!strings.Contains(err.Error(), "provided artifact digest does not match any digest in statement") {
		t.Errorf("wrong digest: %v", err)
	}
	data, _ := os.ReadFile(exampleDir + "attestation-example.bundle")
	b, _ := dsse.ParseBundle(data)
	b.Envelope.Payload = bytes.Replace(b.Envelope.Payload, []byte(`"event_count":2`), []byte(`"event_count":3`), 1)
	tampered := filepath.Join(t.TempDir(), "tampered.bundle")
	os.WriteFile(tampered, b.Encode(), 0o600)
	if _, err := sigstoreVerify(t, tampered, examplePub(t), exampleRoot); err == nil || !strings.Contains(err.Error(), "threshold") {
		t.Errorf("tampered payload: %v", err)
	}
}

// TestFreshBundle signs a session with nono's own code and has sigstore-go
// verify the result, so the bytes nono writes are what sigstore expects.
func TestFreshBundle(t *testing.T) {
	key, err := dsse.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ended := "2026-04-21T20:00:01.987654321+00:00"
	code := int32(0)
	root := "13fa59ccb16fb6aa9e3f6fafe75188970c8c8bd7586bd9af4f53dc72c71a3daa"
	s := &session.Session{
		SessionID: "0123456789abcdef", Started: "2026-04-21T20:00:00.123456789+00:00", Ended: &ended,
		Command:      []string{"curl", "--private-token=[REDACTED]", "https://example.com/callback?state=visible&token=[REDACTED]"},
		TrackedPaths: []string{"/tmp/work"}, ExitCode: &code, MerkleRoots: []string{}, AuditEventCount: 2,
		AuditIntegrity: &session.Integrity{HashAlgorithm: "sha256", EventCount: 2,
			ChainHead: "e5bbdfbc983183ee6e8f228af46b5117d70bd0af6fd18bb1787272b879d2e734", MerkleRoot: root},
	}
	policy := canon.ObjectValue(
		canon.Member{Key: "added_flags", Value: canon.StringsValue([]string{"--private-token"})},
		canon.Member{Key: "removed_query_keys", Value: canon.StringsValue([]string{"state"})},
	)
	b, att, err := attest.Sign(s, policy, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), session.BundleFileName)
	if err := os.WriteFile(path, b.Encode(), 0o600); err != nil {
		t.Fatal(err)
	}
	pt, err := sigstoreVerify(t, path, &key.PublicKey, root)
	if err != nil {
		t.Fatalf("sigstore-go rejects a fresh nono bundle: %v", err)
	}
	if pt != predicateType {
		t.Errorf("predicate type %q", pt)
	}
	// The key sigstore-go trusted is the one session.json names.
	der, _ := base64.StdEncoding.DecodeString(att.PublicKey)
	if dsse.KeyIDOf(der) != att.KeyID {
		t.Error("summary key id is not the key's")
	}
	other, _ := dsse.GenerateKey()
	if _, err := sigstoreVerify(t, path, &other.PublicKey, root); err == nil {
		t.Error("sigstore-go accepts the bundle under another key")
	}
}
