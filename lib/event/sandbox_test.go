package event

import (
	"bytes"
	"testing"
	"time"
)

// The sandbox_runtime event byte for byte as upstream writes it (the
// example of the sandbox spec, §4), and without Landlock.
func TestSandboxRuntime(t *testing.T) {
	ts := FormatTime(time.Date(2026, 4, 21, 18, 0, 0, 123_000_000, time.UTC))
	for _, tt := range []struct {
		abi  string
		want string
	}{
		{"V7", `{"type":"sandbox_runtime","event":{"timestamp":"2026-04-21T18:00:00.123+00:00","platform":"linux","landlock_abi":"V7","landlock_execute_enforced":true,"tool_sandbox_active":false}}`},
		{"", `{"type":"sandbox_runtime","event":{"timestamp":"2026-04-21T18:00:00.123+00:00","platform":"linux","tool_sandbox_active":false}}`},
	} {
		got := SandboxRuntime(ts, tt.abi, false)
		if string(got) != tt.want {
			t.Errorf("abi %q:\n got %s\nwant %s", tt.abi, got, tt.want)
		}
		canonical, err := Canonicalize(got)
		if err != nil || !bytes.Equal(canonical, got) {
			t.Errorf("abi %q: not canonical: %v\n%s", tt.abi, err, canonical)
		}
	}
}
