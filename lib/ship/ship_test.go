package ship

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/delivery"
	"github.com/nono-audit/nono/lib/dsse"
	"github.com/nono-audit/nono/lib/envelope"
	"github.com/nono-audit/nono/lib/platform"
)

func TestCheckURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://audit.example.com/":       "https://audit.example.com",
		"https://audit.example.com/x/?q#f": "https://audit.example.com/x",
		"http://127.0.0.1:8443":            "http://127.0.0.1:8443",
		"http://[::1]:1":                   "http://[::1]:1",
		"http://localhost:9":               "http://localhost:9",
	} {
		if got, err := CheckURL(in); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"http://example.com", "http://10.0.0.1", "ftp://x", "https://", "https://u:p@x", "x"} {
		if _, err := CheckURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func testEnvelope(id string) *envelope.Envelope {
	meta, digest := `{"session_id":"s1"}`, strings.Repeat("0", 64)
	head := strings.Repeat("1", 64)
	return &envelope.Envelope{IngestID: id, TenantID: "acme", SessionID: "s1", ShipperID: "sub-1",
		MerkleRoot: strings.Repeat("2", 64), HashChainHead: &head, StartedAt: "t",
		Metadata: &meta, SessionDigest: &digest, Events: []byte("{\"a\":\"line \\\"one\\\"\"}\n,\"session_dir\":\n")}
}

func TestOutboxRoundTrip(t *testing.T) {
	p, _ := platform.Locate(func(k string) string { return map[string]string{"XDG_STATE_HOME": t.TempDir()}[k] })
	now := time.Now()
	env := testEnvelope("0197d04c-c000-7000-8000-000000000001")
	it, err := Queue(p, env, "/audit/s1", now)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(it.Path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	data, _ := os.ReadFile(it.Path)
	if !bytes.HasPrefix(data, []byte(`{"schema_version":2,"envelope":{"ingest_id":"0197d04c`)) || !bytes.HasSuffix(data, []byte(`,"session_dir":"/audit/s1"}`)) {
		t.Errorf("item %s", data)
	}
	_, body, err := it.Body()
	if err != nil || !bytes.Equal(body, env.Encode()) {
		t.Fatalf("body: %v\n%s", err, body)
	}
	// The same bytes through the slow path (an item written by another
	// client, pretty-printed).
	v, _ := canon.Parse(data)
	os.WriteFile(it.Path, canon.Pretty(v), 0o600)
	if _, body2, err := it.Body(); err != nil || !bytes.Equal(body2, body) {
		t.Errorf("pretty item: %v", err)
	}
	// A lost .state is rebuilt from the item.
	os.Remove(it.statePath())
	items, err := ListOutbox(p)
	if err != nil || len(items) != 1 || items[0].SessionID != "s1" || items[0].SessionDir != "/audit/s1" || items[0].ShipperID != "sub-1" {
		t.Fatalf("%v %+v", err, items)
	}
	// Failures push the next attempt back: 30 s, 60 s, ... at most an hour.
	for i, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
		items[0].recordFailure(errors.New("down"), now)
		if got := items[0].Attempts.NextAttempt.Sub(now); got != want || items[0].Attempts.Count != i+1 {
			t.Errorf("attempt %d: next in %s", i+1, got)
		}
	}
	for range 10 {
		items[0].recordFailure(errors.New("down"), now)
	}
	if got := items[0].Attempts.NextAttempt.Sub(now); got != time.Hour {
		t.Errorf("capped at %s", got)
	}
	again, _ := ListOutbox(p)
	if again[0].Attempts.Count != 13 || again[0].Attempts.LastError != "down" {
		t.Errorf("attempts not kept: %+v", again[0].Attempts)
	}
	if _, err := Queue(p, testEnvelope("not-a-uuid"), "", now); err == nil {
		t.Error("bad ingest ID queued")
	}
}

func TestDeliver(t *testing.T) {
	dir := t.TempDir()
	p, _ := platform.Locate(func(k string) string { return map[string]string{"XDG_STATE_HOME": dir}[k] })
	key, _ := dsse.GenerateKey()
	var status int
	var answer string
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		h, err := delivery.ReadHeaders(r.Header.Values)
		if err == nil {
			err = delivery.VerifySignature(&key.PublicKey, delivery.SignedBytes("POST", r.URL.Path, h.Subject, h.Timestamp, h.RequestID, h.Digest), h.Signature)
		}
		if err != nil || r.URL.Path != "/base"+delivery.IngestPath || h.Digest != delivery.BodyDigest(got) {
			t.Errorf("request: %v %s", err, r.URL.Path)
		}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	c := &Client{Paths: p, Key: key, HTTP: srv.Client(), Now: time.Now,
		State: &platform.State{URL: srv.URL + "/base", TenantID: "acme", SubjectID: "sub-1"}}
	sessionDir := filepath.Join(dir, "s1")
	os.MkdirAll(sessionDir, 0o700)
	os.WriteFile(filepath.Join(sessionDir, "session.json"), []byte("{}"), 0o600)
	env := testEnvelope("0197d04c-c000-7000-8000-000000000001")
	it, _ := Queue(p, env, sessionDir, time.Now())
	rc := &delivery.Receipt{IngestID: env.IngestID, SessionID: "s1", VerificationStatus: "pending", ObjectPath: "o"}

	for _, tc := range []struct {
		status    int
		answer    string
		permanent bool
		msg       string
	}{
		{503, `{"error":"storage_unavailable","message":"later"}`, false, "HTTP 503 storage_unavailable: later"},
		{409, `{"error":"request_id_reused","message":"no"}`, true, "request_id_reused"},
		{429, `slow down`, false, "HTTP 429: slow down"},
		{200, `{"ingest_id":"other"}`, false, "receipt"},
		{200, strings.Replace(string(rc.Encode()), "pending", "verified", 1), false, "not this envelope's"},
	} {
		status, answer = tc.status, tc.answer
		_, err := c.Deliver(context.Background(), it)
		var de *DeliveryError
		if !errors.As(err, &de) || de.Permanent != tc.permanent || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%d %s: %v", tc.status, tc.answer, err)
		}
		if !bytes.Equal(got, env.Encode()) {
			t.Error("not the queued bytes")
		}
	}
	status, answer = 200, string(rc.Encode())
	if _, err := c.Deliver(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	kept, err := ReadReceipt(sessionDir)
	if err != nil || *kept != *rc {
		t.Errorf("receipt %v %+v", err, kept)
	}
	if items, _ := ListOutbox(p); len(items) != 0 {
		t.Error("the item stayed")
	}
	// Queued under another subject: refused before sending.
	it, _ = Queue(p, testEnvelope("0197d04c-c000-7000-8000-000000000002"), "", time.Now())
	c.State.SubjectID = "sub-2"
	if _, err := c.Deliver(context.Background(), it); err == nil || !strings.Contains(err.Error(), "enrolled as sub-2") {
		t.Errorf("other subject: %v", err)
	}
}

func FuzzSplitItem(f *testing.F) {
	f.Add([]byte(`{"schema_version":2,"envelope":{"a":1},"session_dir":"/x"}`))
	f.Add([]byte(`{"schema_version":2,"envelope":{"a":",\"session_dir\":"},"session_dir":"/x"}`))
	f.Add([]byte(`{"schema_version":2,"envelope":{},"session_dir":"/x","more":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		body, dir, err := splitItem(data)
		if err != nil {
			return
		}
		// The body is parsed by the caller; when it parses, the pieces
		// are the item's, whatever the path taken.
		bv, berr := canon.Parse(body)
		if berr != nil {
			return
		}
		v, perr := canon.Parse(data)
		if perr != nil {
			t.Fatalf("split an item that does not parse: %q", data)
		}
		ev, _ := v.Get("envelope")
		d, _ := v.Get("session_dir")
		if !canon.Equal(bv, ev) || d.Str != dir {
			t.Fatalf("split %q into %q, %q", data, body, dir)
		}
	})
}
