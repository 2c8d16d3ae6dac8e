package tests

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// specReceiver is a receiver written from the protocol text alone
// (docs/DELIVERY.md, upstream's audit-delivery v1), with the standard
// library only: nothing of this project decides what it accepts.
type specReceiver struct {
	t      *testing.T
	mu     sync.Mutex
	key    *ecdsa.PublicKey
	bodies map[string][]byte // ingest_id -> body as received
	down   bool
}

var specKeys = []string{"ingest_id", "tenant_id", "session_id", "shipper_id", "principal_id", "profile_ref",
	"merkle_root", "hash_chain_head", "started_at", "ended_at", "session_metadata_json", "session_digest", "events_ndjson"}

func (s *specReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(status int, format string, args ...any) {
		s.t.Errorf("spec receiver refused: "+format, args...)
		http.Error(w, fmt.Sprintf(format, args...), status)
	}
	if s.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/api/v1/enrollment/exchange":
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			fail(400, "enrollment: %v", err)
			return
		}
		if req["protocol_version"] != "1" || req["key_algorithm"] != "ecdsa_p256_sha256_fixed" || req["subject_kind"] != "device" || req["token"] != "one-time" {
			fail(400, "enrollment request %s", body)
			return
		}
		point, err := base64.RawURLEncoding.DecodeString(req["public_key"].(string))
		if err != nil || len(point) != 65 || point[0] != 4 {
			fail(400, "public_key")
			return
		}
		s.key = &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(point[1:33]), Y: new(big.Int).SetBytes(point[33:])}
		fmt.Fprint(w, `{"protocol_version":"1","tenant_id":"tenant-a","subject_id":"subject-1","subject_kind":"device","management_mode":"audit_only","enrolled_at":"2026-01-01T00:00:00Z"}`)
	case "/api/v1/audit/ingest":
		h := r.Header
		digest := sha256.Sum256(body)
		if h.Get("X-Nono-Protocol-Version") != "1" || h.Get("X-Nono-Subject-Id") != "subject-1" ||
			h.Get("X-Nono-Content-SHA256") != "sha256:"+hex.EncodeToString(digest[:]) {
			fail(401, "headers %v", h)
			return
		}
		ts := h.Get("X-Nono-Timestamp")
		var ms int64
		fmt.Sscan(ts, &ms)
		if d := time.Since(time.UnixMilli(ms)); d > time.Minute || d < -time.Minute {
			fail(401, "timestamp %s", ts)
			return
		}
		signed := strings.Join([]string{"nono-request-v1", "POST", "/api/v1/audit/ingest", "subject-1", ts,
			h.Get("X-Nono-Request-Id"), h.Get("X-Nono-Content-SHA256")}, "\n")
		sig, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(h.Get("X-Nono-Signature"), "p256-sha256:"))
		sum := sha256.Sum256([]byte(signed))
		if err != nil || len(sig) != 64 || !ecdsa.Verify(s.key, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			fail(401, "signature %q", h.Get("X-Nono-Signature"))
			return
		}
		// Compact JSON, keys in exactly the documented order (ours may add
		// attestation_bundle last).
		var compact bytes.Buffer
		json.Compact(&compact, body)
		if !bytes.Equal(compact.Bytes(), body) || !utf8.Valid(body) {
			fail(400, "the body is not compact UTF-8 JSON")
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.Token()
		var keys []string
		env := map[string]any{}
		for dec.More() {
			k, _ := dec.Token()
			var v any
			dec.Decode(&v)
			keys = append(keys, k.(string))
			env[k.(string)] = v
		}
		if got := strings.Join(keys, ","); got != strings.Join(specKeys, ",") && got != strings.Join(specKeys, ",")+",attestation_bundle" {
			fail(400, "keys %s", got)
			return
		}
		meta := env["session_metadata_json"].(string)
		md := sha256.Sum256(append([]byte("nono.audit.session-digest.alpha\n"), meta...))
		if env["session_digest"] != hex.EncodeToString(md[:]) || env["ingest_id"] != h.Get("X-Nono-Request-Id") ||
			env["shipper_id"] != "subject-1" || env["tenant_id"] != "tenant-a" || env["principal_id"] != nil {
			fail(400, "envelope fields")
			return
		}
		id := env["ingest_id"].(string)
		if prev, ok := s.bodies[id]; ok && !bytes.Equal(prev, body) {
			fail(409, "request ID reused")
			return
		}
		s.bodies[id] = body
		fmt.Fprintf(w, `{"ingest_id":%q,"session_id":%q,"accepted_at":"2026-01-01T00:00:01Z","platform_attestation":"spec","event_count":2,"verification_status":"pending","object_path":"spec/%s"}`,
			id, env["session_id"], id)
	default:
		http.NotFound(w, r)
	}
}

// serveSpec starts the spec receiver on a loopback port.
func serveSpec(t *testing.T) (*specReceiver, string) {
	rec := &specReceiver{t: t, bodies: map[string][]byte{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rec}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return rec, "http://" + ln.Addr().String()
}

// TestDeliverySpecReceiver: what this client sends is accepted, byte for
// byte, by a receiver written from the protocol text alone; `nono run`
// ships by itself when enrolled (not with --no-sync), and when the
// receiver is down the run still ends and the outbox keeps the session.
func TestDeliverySpecReceiver(t *testing.T) {
	rec, url := serveSpec(t)
	u := newUser(t)
	u.must("nono", "platform", "enroll", "--url", url, "--token", "one-time")
	if _, err := os.Stat(filepath.Join(u.dir, "state", "nono", "platform.key")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(u.dir, "state", "nono", "platform.key")); fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", fi.Mode())
	}

	// nono run ships right after the command.
	_, errOut, _ := u.run("nono", "run", "--allow-cwd", "--", "true")
	if !strings.Contains(errOut, "delivered to "+url) || len(rec.bodies) != 1 {
		t.Fatalf("nono run did not ship (%d received):\n%s", len(rec.bodies), errOut)
	}
	id := u.sessions()[0]
	var ingest string
	var got []byte
	for k, b := range rec.bodies {
		ingest, got = k, b
	}
	// The bytes received are `nono audit export`'s for that request ID.
	if want := u.must("nono", "audit", "export", id, "--ingest-id", ingest); want != string(got) {
		t.Errorf("received\n%.300s\nexport gives\n%.300s", got, want)
	}

	// --no-sync leaves it for later; sync then ships it.
	u.must("nono", "run", "--silent", "--allow-cwd", "--no-sync", "--", "true")
	if len(rec.bodies) != 1 {
		t.Fatal("--no-sync shipped")
	}
	if out := u.must("nono", "audit", "status"); !strings.Contains(out, " unsent ") || !strings.Contains(out, " delivered ") {
		t.Errorf("status:\n%s", out)
	}
	u.must("nono", "audit", "sync")
	if len(rec.bodies) != 2 {
		t.Fatalf("sync shipped %d", len(rec.bodies)-1)
	}

	// The receiver is down: the run ends in bounded time with a warning,
	// the session waits in the outbox, and a later sync delivers it.
	rec.mu.Lock()
	rec.down = true
	rec.mu.Unlock()
	start := time.Now()
	_, errOut, code := u.run("nono", "run", "--allow-cwd", "--", "true")
	if code != 0 || time.Since(start) > 20*time.Second || !strings.Contains(errOut, "is queued for delivery") {
		t.Fatalf("run with the receiver down: exit %d after %s:\n%s", code, time.Since(start), errOut)
	}
	if out := u.must("nono", "audit", "status"); !strings.Contains(out, " failed ") || !strings.Contains(out, "HTTP 503") {
		t.Errorf("status:\n%s", out)
	}
	items, _ := filepath.Glob(filepath.Join(u.dir, "state", "nono", "audit-outbox", "*.json"))
	if len(items) != 1 {
		t.Fatalf("outbox %q", items)
	}
	queued, _ := os.ReadFile(items[0])
	if !bytes.HasPrefix(queued, []byte(`{"schema_version":2,"envelope":{"ingest_id":"`)) {
		t.Errorf("outbox item %.100s", queued)
	}
	rec.mu.Lock()
	rec.down = false
	rec.mu.Unlock()
	u.must("nono", "audit", "sync")
	if len(rec.bodies) != 3 {
		t.Fatalf("%d received", len(rec.bodies))
	}
	// The retried body is the queued one, byte for byte.
	for _, b := range rec.bodies {
		if bytes.Contains(queued, b) {
			return
		}
	}
	t.Error("the retry did not send the queued bytes")
}
