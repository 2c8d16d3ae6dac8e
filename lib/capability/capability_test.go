package capability

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/internal/vectors"
	"github.com/nono-audit/nono/lib/sandbox"
)

// The event is upstream's test event byte for byte (audit-format.md §2.5,
// testdata/vectors), and already canonical.
func TestEventGolden(t *testing.T) {
	want := bytes.TrimSpace(vectors.Read(t, "capability_decision.json"))
	reason := "need scratch space"
	r := &Request{ID: "req-1", Path: "/tmp/example", Access: sandbox.ReadWrite, Reason: &reason, Pid: 42, Session: "sess-1"}
	got := Event(time.Unix(5, 0), r, Decision{Verdict: Denied, Reason: "outside policy"}, "terminal", 12*time.Millisecond)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for _, d := range []Decision{{Verdict: Granted}, {Verdict: Timeout}, {Verdict: Denied, Reason: "a \"quoted\"\n reason é"}} {
		r := &Request{ID: "cap-1", Path: "/home/ü/x\ty", Access: sandbox.Write, Pid: 1 << 31, Session: ""}
		ev := Event(time.Unix(1796515260, 817002424), r, d, "exec", 1500*time.Microsecond)
		canonical, err := event.Canonicalize(ev)
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		if !bytes.Equal(canonical, ev) {
			t.Fatalf("not canonical:\n%s\n%s", ev, canonical)
		}
	}
}

func TestParseDecision(t *testing.T) {
	for in, want := range map[string]Decision{
		`"Granted"`:                        {Verdict: Granted},
		` "Timeout" `:                      {Verdict: Timeout},
		`{"Denied":{"reason":"no"}}`:       {Verdict: Denied, Reason: "no"},
		`{"Denied":{"reason":"\u00e9"}}`:   {Verdict: Denied, Reason: "é"},
		"{\"Denied\":{\"reason\":\"\"}}\n": {Verdict: Denied},
	} {
		got, err := ParseDecision([]byte(in))
		if err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{``, `"granted"`, `true`, `{"Granted":{}}`, `{"Denied":{}}`,
		`{"Denied":{"reason":1}}`, `{"Denied":{"reason":"a","reason":"b"}}`, `{"Denied":{"reason":"a"},"x":1}`,
		`"Granted" "Granted"`, "\"\xff\"", `{"Denied":{"reason":"a","why":"b"}}`} {
		if d, err := ParseDecision([]byte(in)); err == nil {
			t.Errorf("%q: accepted as %+v", in, d)
		}
	}
}

func TestPolicyFile(t *testing.T) {
	rules, err := ParsePolicy([]byte(`
# first match wins
deny  write     /home/me/project/.git/**
allow readwrite /home/me/project/**
allow read      ~/docs/*.txt
deny  any       /**
`), "/home/me")
	if err != nil {
		t.Fatal(err)
	}
	p := &PolicyFile{Path: "p", Rules: rules}
	for _, c := range []struct {
		path  string
		a     sandbox.Access
		allow bool
		line  int
	}{
		{"/home/me/project/.git/config", sandbox.Write, false, 3},
		{"/home/me/project/.git/config", sandbox.Read, true, 4},
		{"/home/me/project/a/b/c", sandbox.ReadWrite, true, 4},
		{"/home/me/docs/a.txt", sandbox.Read, true, 5},
		{"/home/me/docs/a.txt", sandbox.ReadWrite, false, 6},
		{"/home/me/docs/sub/a.txt", sandbox.Read, false, 6},
		{"/etc/passwd", sandbox.Read, false, 6},
	} {
		r, ok := p.Match(c.path, c.a)
		if !ok || r.Allow != c.allow || r.Line != c.line {
			t.Errorf("%s %v: got %+v %v, want allow=%v line %d", c.path, c.a, r, ok, c.allow, c.line)
		}
		d := p.Decide(context.Background(), &Request{Path: c.path, Access: c.a}, nil)
		if (d.Verdict == Granted) != c.allow {
			t.Errorf("%s: decision %+v", c.path, d)
		}
	}
	empty := &PolicyFile{Path: "empty"}
	if d := empty.Decide(context.Background(), &Request{Path: "/x", Access: sandbox.Read}, nil); d.Verdict != Denied || !strings.Contains(d.Reason, "no rule") {
		t.Errorf("no rules: %+v", d)
	}
}

func TestPolicyFileErrors(t *testing.T) {
	for in, want := range map[string]string{
		"permit read /x":                   `1: "permit": a rule starts with allow or deny`,
		"\n\nallow":                        `3: allow: missing access`,
		"allow sometimes /x":               `1: "sometimes": access must be`,
		"allow read":                       `1: allow read: missing path glob`,
		"allow read x/y":                   `1: "x/y": the path glob must be absolute`,
		"allow read /a/[b":                 `1: "/a/[b": bad pattern "[b"`,
		"allow read ~/x":                   `1: "~/x": ~/ needs an absolute $HOME`,
		"allow read /**/**/a/**/b/**/c/**": `1: "/**/**/a/**/b/**/c/**": at most 4 ** components`,
		"allow read /\xff":                 `1: not valid UTF-8`,
	} {
		_, err := ParsePolicy([]byte(in), "")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: got %v, want %s", in, err, want)
		}
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/p", []byte("allow read /x\nbogus\n"), 0o600)
	if _, err := LoadPolicyFile(dir + "/p"); err == nil || !strings.HasPrefix(err.Error(), dir+"/p:2: ") {
		t.Errorf("file error: %v", err)
	}
	if _, err := LoadPolicyFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
}

func TestMatchGlob(t *testing.T) {
	for _, c := range []struct {
		glob, name string
		want       bool
	}{
		{"/a/*", "/a/b", true},
		{"/a/*", "/a/b/c", false},
		{"/a/**", "/a", true},
		{"/a/**", "/a/b/c", true},
		{"/**/c", "/a/b/c", true},
		{"/**/c", "/c", true},
		{"/a/**/c/*.go", "/a/x/y/c/m.go", true},
		{"/a/**/c/*.go", "/a/x/y/c/m.rs", false},
		{"/a/?", "/a/bb", false},
		{"/a/b", "/a/b/../b", true},
		{"a/*", "a/b", false},
	} {
		if got := MatchGlob(c.glob, c.name); got != c.want {
			t.Errorf("MatchGlob(%q, %q) = %v", c.glob, c.name, got)
		}
	}
}

func TestExecApprover(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) *Exec {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return &Exec{Program: p}
	}
	r := &Request{ID: "cap-1", Path: "/x", Access: sandbox.Read, Pid: 7, Session: "s"}
	raw := AppendRequest(nil, r)
	ctx := func(d time.Duration) context.Context {
		c, cancel := context.WithTimeout(context.Background(), d)
		t.Cleanup(cancel)
		return c
	}
	echo := script("echo", `IFS= read -r l; [ "$l" = '`+string(raw)+`' ] && echo '"Granted"'`)
	if d := echo.Decide(ctx(10*time.Second), r, raw); d.Verdict != Granted {
		t.Errorf("echo: %+v", d)
	}
	denied := script("denied", `echo '{"Denied":{"reason":"not today"}}'`)
	if d := denied.Decide(ctx(10*time.Second), r, raw); d != (Decision{Verdict: Denied, Reason: "not today"}) {
		t.Errorf("denied: %+v", d)
	}
	slow := script("slow", `sleep 10; echo '"Granted"'`)
	start := time.Now()
	if d := slow.Decide(ctx(200*time.Millisecond), r, raw); d.Verdict != Timeout {
		t.Errorf("slow: %+v", d)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the timeout took %v", time.Since(start))
	}
	for name, body := range map[string]string{
		"crash":     "exit 3",
		"silent":    "true",
		"malformed": "echo Granted",
		"huge":      "head -c 100000 /dev/zero | tr '\\0' x",
	} {
		if d := script(name, body).Decide(ctx(10*time.Second), r, raw); d.Verdict != Denied || !strings.Contains(d.Reason, dir+"/"+name) {
			t.Errorf("%s: %+v", name, d)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte("allow read /a/**\ndeny any /**\n# c\n"))
	f.Add([]byte("allow readwrite ~/x/*.txt"))
	f.Add([]byte("deny write /[a-"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := ParsePolicy(data, "/home/me")
		if err != nil {
			return
		}
		p := &PolicyFile{Path: "f", Rules: rules}
		for _, r := range rules {
			if !strings.HasPrefix(r.Glob, "/") || r.Access == 0 || r.Line < 1 {
				t.Fatalf("bad rule %+v", r)
			}
			p.Match(r.Glob, r.Access)
			p.Match("/home/me/a/b/c/d/e/f/g", sandbox.ReadWrite)
		}
	})
}

func FuzzParseDecision(f *testing.F) {
	f.Add([]byte(`"Granted"`))
	f.Add([]byte(`{"Denied":{"reason":"x"}}`))
	f.Add([]byte(`"Timeout"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDecision(data)
		if err != nil {
			return
		}
		// What is accepted reads back the same from its canonical form.
		again, err := ParseDecision(AppendDecision(nil, d))
		if err != nil || again != d {
			t.Fatalf("%q: %+v then %+v, %v", data, d, again, err)
		}
	})
}
