package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"
)

func TestExampleRoundTripsByteForByte(t *testing.T) {
	data, err := os.ReadFile(vectors.Path("attestation-example.session.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if s.AuditIntegrity == nil || s.AuditIntegrity.EventCount != 2 || s.AuditAttestation == nil {
		t.Fatalf("decoded %+v", s)
	}
	out, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(data) {
		t.Fatalf("re-encoding differs:\n%s", out)
	}
}

// A rewrite keeps what a newer recorder wrote: unknown keys, top-level and
// nested, in their places.
func TestRewriteKeepsUnknownKeys(t *testing.T) {
	in := `{
  "session_id": "a",
  "started": "1",
  "future_first": 1,
  "ended": null,
  "command": [
    "x"
  ],
  "executable_identity": {
    "resolved_path": "/bin/x",
    "signer": "vendor",
    "sha256": "00"
  },
  "tracked_paths": [],
  "snapshot_count": 0,
  "exit_code": null,
  "merkle_roots": [],
  "network_events": [],
  "audit_event_count": 0,
  "audit_integrity": null,
  "audit_attestation": null,
  "command_policy_summary": {
    "mediation_active": true,
    "event_count": 1,
    "invocation_count": 1,
    "commands": [
      {
        "command": "gh",
        "allowed": 1,
        "denied": 0,
        "other": 0,
        "approved": 0
      }
    ],
    "truncated": false
  },
  "resource_limits": {
    "cpu_seconds": 30
  }
}`
	s, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Fatalf("rewrite differs:\n%s", out)
	}
	// A stage that fills its fields keeps the rest.
	s.ExitCode = new(int32)
	out, _ = s.Encode()
	for _, want := range []string{`"future_first": 1,`, `"signer": "vendor",`, `"approved": 0`, `"resource_limits": {`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s dropped:\n%s", want, out)
		}
	}
	// A field a stage replaces loses the extras of the old value.
	s.ExecutableIdentity = &ExecutableIdentity{ResolvedPath: "/bin/y", SHA256: "11"}
	if out, _ = s.Encode(); strings.Contains(string(out), "signer") {
		t.Errorf("replaced identity kept its old extras:\n%s", out)
	}
}

func TestDecodeDefaultsAndErrors(t *testing.T) {
	minimal := `{"session_id":"a","started":"1","command":["x"],"tracked_paths":[],"snapshot_count":0,"merkle_roots":[]}`
	s, err := Decode([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if s.Ended != nil || s.ExitCode != nil || s.AuditIntegrity != nil || s.NetworkEvents.Len() != 0 {
		t.Fatalf("defaults: %+v", s)
	}
	bad := map[string]string{
		`{"started":"1","command":[],"tracked_paths":[],"snapshot_count":0,"merkle_roots":[]}`:                                                                `missing field "session_id"`,
		`{"session_id":"a","started":"1","command":[1],"tracked_paths":[],"snapshot_count":0,"merkle_roots":[]}`:                                              "command: want an array of strings",
		`{"session_id":"a","started":"1","command":[],"tracked_paths":[],"snapshot_count":-1,"merkle_roots":[]}`:                                              "snapshot_count",
		`{"session_id":"a","started":"1","command":[],"tracked_paths":[],"snapshot_count":0,"merkle_roots":[],"exit_code":"0"}`:                               "exit_code",
		`{"session_id":"a","started":"1","command":[],"tracked_paths":[],"snapshot_count":0,"merkle_roots":[],"audit_integrity":{"hash_algorithm":"sha256"}}`: `audit_integrity.missing field "event_count"`,
		`[]`: "not a JSON object",
	}
	for in, want := range bad {
		if _, err := Decode([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%s) = %v, want %q", in, err, want)
		}
	}
}

func TestValidateID(t *testing.T) {
	for _, ok := range []string{"3f9a0c1d2e4b5a69", "20260214-143022-12345", "a_b"} {
		if err := ValidateID(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "..", "a/b", "a\x00", strings.Repeat("a", 65), "a.b", "ü"} {
		if err := ValidateID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCreateWriteReadRunning(t *testing.T) {
	root := filepath.Join(t.TempDir(), "audit")
	id, dir, err := Create(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Fatalf("id %q", id)
	}
	for _, p := range []string{root, dir} {
		st, _ := os.Stat(p)
		if st.Mode().Perm() != 0o700 {
			t.Fatalf("%s mode %v", p, st.Mode())
		}
	}
	s := &Session{SessionID: id, Started: "t", Command: []string{"x"}}
	if err := Write(dir, s); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, FileName))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("session.json mode %v", st.Mode())
	}
	if IsRunning(dir) {
		t.Fatal("running before lock")
	}
	release, err := HoldRunning(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !IsRunning(dir) {
		t.Fatal("not running while locked")
	}
	release()
	if IsRunning(dir) {
		t.Fatal("running after release")
	}
	err = Update(dir, func(s *Session) error { e := "end"; s.Ended = &e; return nil })
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil || got.Ended == nil || *got.Ended != "end" {
		t.Fatalf("read back %+v %v", got, err)
	}
}
