package tests

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/objstore"
)

// TestDeliveryLockedBucket: a session deleted locally after delivery
// still verifies from the bucket; MinIO refuses to delete or unlock the
// locked version; a later version written over the key is flagged while
// the locked original still verifies.
func TestDeliveryLockedBucket(t *testing.T) {
	store, bucket := newBucket(t, true)
	c := startCollector(t, bucket, "")
	u := newUser(t)
	u.must("nono", "trust", "keygen", "--keyref", "file://"+filepath.Join(u.dir, "k.key"))
	u.enroll(c, "acme")
	u.must("nono", "run", "--silent", "--allow-cwd", "--audit-sign-key", "file://"+filepath.Join(u.dir, "k.key"), "--", "true")
	u.record(2)
	ids := u.sessions()
	u.must("nono", "audit", "sync")
	keys := envelopeKeys(t, bucket)
	if len(keys) != 3 {
		t.Fatalf("objects %q", keys)
	}

	// Deleted locally: the bucket still has the whole session.
	for _, id := range ids {
		os.RemoveAll(filepath.Join(u.auditRoot(), id))
	}
	pub := filepath.Join(u.dir, "k.key.pub")
	out, errOut, code := u.run("nono-verify", "s3", "--s3", minioURL(t), "--bucket", bucket, "--prefix", "acme/")
	if code != 0 || !strings.Contains(out, "3 session envelope(s): 3 valid, 0 invalid") || !strings.Contains(out, "locked until ") {
		t.Fatalf("nono-verify s3: exit %d\n%s%s", code, out, errOut)
	}
	// Pinning the signer: the two unsigned sessions fail.
	if out, _, code := u.run("nono-verify", "s3", "--s3", minioURL(t), "--bucket", bucket, "--public-key-file", pub); code != 1 || !strings.Contains(out, "1 valid, 2 invalid") {
		t.Errorf("pinned: exit %d\n%s", code, out)
	}
	// One object, downloaded, verifies with nothing else.
	ctx := context.Background()
	obj, err := store.Get(ctx, keys[0], "", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if obj.RetainMode != "COMPLIANCE" || time.Until(obj.RetainUntil) < 23*time.Hour {
		t.Errorf("retention %s until %s", obj.RetainMode, obj.RetainUntil)
	}
	file := filepath.Join(u.dir, "downloaded.json")
	os.WriteFile(file, obj.Data, 0o600)
	u.must("nono-verify", "envelope", file)

	// MinIO refuses to delete the locked version or to shorten its lock.
	if err := store.Remove(ctx, keys[0], obj.VersionID); err == nil || !strings.Contains(err.Error(), "WORM") {
		t.Errorf("delete of the locked version: %v", err)
	}
	if err := store.ShortenRetention(ctx, keys[0], obj.VersionID, time.Now().Add(time.Minute)); err == nil {
		t.Error("the retention was shortened")
	}
	// The verdict is locked too.
	verdict, err := store.Get(ctx, strings.TrimSuffix(keys[0], ".json")+".verification.json", "", 1<<20)
	if err != nil || verdict.RetainMode != "COMPLIANCE" || !strings.Contains(string(verdict.Data), `"verification_status": "verified"`) {
		t.Errorf("verdict: %v %+v", err, verdict)
	}
	if err := store.Remove(ctx, strings.TrimSuffix(keys[0], ".json")+".verification.json", verdict.VersionID); err == nil {
		t.Error("the locked verdict was deleted")
	}
	// A write over the key adds a version (S3 versioning cannot refuse
	// that); the original stays, and the verifier flags the key.
	if _, err := store.Put(ctx, keys[0], []byte(`{"forged":true}`), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := store.Remove(ctx, keys[1], ""); err != nil { // a delete marker
		t.Fatal(err)
	}
	out, _, code = u.run("nono-verify", "s3", "--s3", minioURL(t), "--bucket", bucket)
	if code != 1 || !strings.Contains(out, "overwritten after acceptance: 1 later version(s)") || !strings.Contains(out, "deleted after acceptance: a delete marker hides it") || !strings.Contains(out, "1 valid, 2 invalid") {
		t.Errorf("after tampering: exit %d\n%s", code, out)
	}
	orig, err := store.Get(ctx, keys[0], obj.VersionID, 1<<30)
	if err != nil || string(orig.Data) != string(obj.Data) {
		t.Errorf("the locked version changed: %v", err)
	}
}

// TestDeliveryUnlockedBucketEdit: in a bucket without Object Lock an
// object can be edited; nono-verify s3 flags exactly that one.
func TestDeliveryUnlockedBucketEdit(t *testing.T) {
	store, bucket := newBucket(t, false)
	c := startCollector(t, bucket, "")
	u := newUser(t)
	u.enroll(c, "acme")
	u.record(3)
	u.must("nono", "audit", "sync")
	out := u.must("nono-verify", "s3", "--s3", minioURL(t), "--bucket", bucket)
	if !strings.Contains(out, "3 valid, 0 invalid") || !strings.Contains(out, "not locked") {
		t.Fatalf("before:\n%s", out)
	}
	keys := envelopeKeys(t, bucket)
	ctx := context.Background()
	obj, err := store.Get(ctx, keys[1], "", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(obj.Data), `\"exit_code\":0`, `\"exit_code\":1`, 1)
	if edited == string(obj.Data) {
		t.Fatal("nothing edited")
	}
	if _, err := store.Put(ctx, keys[1], []byte(edited), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	out, _, code := u.run("nono-verify", "s3", "--s3", minioURL(t), "--bucket", bucket, "--json")
	if code != 1 || strings.Count(out, `"valid": false`) != 1 || !strings.Contains(out, "session_digest is") ||
		!strings.Contains(out, "the object's bytes are not the body the collector accepted") {
		t.Errorf("after the edit: exit %d\n%s", code, out)
	}
	name := strings.Split(keys[1], "/")[2]
	out, _, _ = u.run("nono-verify", "s3", "--s3", minioURL(t), "--bucket", bucket)
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "INVALID") && !strings.HasPrefix(line, name) {
			t.Errorf("another session flagged: %s", line)
		}
	}
}
