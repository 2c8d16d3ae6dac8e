package proxy

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func TestServe(t *testing.T) {
	var out, stderr bytes.Buffer
	// Stop at once: the port, then no event.
	if code := serve([]string{"--allow-domain=example.com"}, strings.NewReader(""), &out, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	port, err := strconv.ParseUint(strings.TrimSuffix(out.String(), "\n"), 10, 16)
	if err != nil || port == 0 || !strings.HasSuffix(out.String(), "\n") {
		t.Errorf("stdout %q, want the port and a newline", out.String())
	}

	out.Reset()
	if code := serve([]string{"--allow=example.com"}, strings.NewReader(""), &out, &stderr); code != 2 {
		t.Errorf("an unknown argument: exit %d", code)
	}
	if out.Len() != 0 || !strings.Contains(stderr.String(), "nono-run-proxy: unknown argument") {
		t.Errorf("an unknown argument: stdout %q, stderr %q", out.String(), stderr.String())
	}
}
