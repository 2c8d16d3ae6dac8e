package redact

import (
	"bytes"
	"errors"
	"github.com/nono-audit/nono/lib/canon"
	"io"
	"strings"
	"testing"
	"time"
)

func scrubLine(t *testing.T, rules Rules, line string) (string, error) {
	t.Helper()
	e := &Events{Policy: DefaultPolicy(), Rules: rules}
	out, err := e.Line([]byte("prefix:"), []byte(line))
	if !strings.HasPrefix(string(out), "prefix:") {
		t.Fatalf("Line did not append to dst: %q", out)
	}
	return strings.TrimPrefix(string(out), "prefix:"), err
}

func TestEventsLine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules Rules
		in    string
		want  string
	}{
		{"session_started upstream", Upstream,
			`{"type":"session_started","started":"2026-04-21T00:00:00Z","command":["curl","--token","t","https://h/?token=q&x=1"]}`,
			`{"type":"session_started","started":"2026-04-21T00:00:00Z","command":["curl","--token","[REDACTED]","https://h/?token=[REDACTED]&x=1"]}`},
		{"session_started default", Default,
			`{"type":"session_started","started":"s","command":["mysql","-pS3cret","db"],"redaction_policy":{"added_flags":["--pat"]}}`,
			`{"type":"session_started","started":"s","command":["mysql","-p[REDACTED]","db"],"redaction_policy":{"added_flags":["--pat"]}}`},
		{"url_open", Upstream,
			`{"type":"url_open","request":{"request_id":"o","url":"https://idp/cb?code=abc&state=xyz&scope=r","child_pid":1,"session_id":"s"},"success":false,"error":"blocked https://u:p@h/"}`,
			`{"type":"url_open","request":{"request_id":"o","url":"https://idp/cb?code=[REDACTED]&state=[REDACTED]&scope=r","child_pid":1,"session_id":"s"},"success":false,"error":"blocked https://u:[REDACTED]@h/"}`},
		{"url_open fragment default", Default,
			`{"type":"url_open","request":{"request_id":"o","url":"https://app/cb#access_token=abc&token_type=bearer","child_pid":1,"session_id":"s"},"success":true,"error":null}`,
			`{"type":"url_open","request":{"request_id":"o","url":"https://app/cb#access_token=[REDACTED]&token_type=bearer","child_pid":1,"session_id":"s"},"success":true,"error":null}`},
		{"capability command request", Default,
			`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":5,"nanos_since_epoch":0},"request":{"capability_type":"command","request_id":"r","command":"gh","args":["secret","set","K","--body","v4lue"],"caller":"agent","intercept_rule":"gh","reason":"set --token abc","child_pid":1,"session_id":"s"},"decision":{"Denied":{"reason":"Authorization: Bearer xyz"}},"backend":"terminal","duration_ms":1}}`,
			`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":5,"nanos_since_epoch":0},"request":{"capability_type":"command","request_id":"r","command":"gh","args":["secret","set","K","--body","[REDACTED]"],"caller":"agent","intercept_rule":"gh","reason":"set --token [REDACTED]","child_pid":1,"session_id":"s"},"decision":{"Denied":{"reason":"Authorization: [REDACTED]"}},"backend":"terminal","duration_ms":1}}`},
		{"capability path is a file, endpoint path a URL", Upstream,
			`{"type":"capability_decision","entry":{"request":{"capability_type":"capability","path":"/tmp/what?code=1"},"x":{"capability_type":"endpoint"}}}`,
			`{"type":"capability_decision","entry":{"request":{"capability_type":"capability","path":"/tmp/what?code=1"},"x":{"capability_type":"endpoint"}}}`},
		{"endpoint path", Upstream,
			`{"type":"capability_decision","entry":{"request":{"capability_type":"endpoint","request_id":"r","route_id":"x","upstream":"https://u:p@api","method":"GET","path":"/v1/x?api_key=k","rule_label":"l","reason":null,"child_pid":1,"session_id":"s"}}}`,
			`{"type":"capability_decision","entry":{"request":{"capability_type":"endpoint","request_id":"r","route_id":"x","upstream":"https://u:[REDACTED]@api","method":"GET","path":"/v1/x?api_key=[REDACTED]","rule_label":"l","reason":null,"child_pid":1,"session_id":"s"}}}`},
		{"network", Default,
			`{"type":"network","event":{"timestamp_unix_ms":1,"mode":"reverse","decision":"allow","credential_capture_command":"vault login hvs.CAESIJ0123456789abcdefghij","credential_capture_argv":["vault","login","s3cr3t-t0ken"],"credential_capture_stderr":"error: ghp_0123456789abcdefghij0123456789abcdef rejected","target":"api.example.com","upstream":"https://api.example.com","port":443,"method":"GET","path":"/v1/items?sig=abc&page=2","status":200,"reason":null}}`,
			`{"type":"network","event":{"timestamp_unix_ms":1,"mode":"reverse","decision":"allow","credential_capture_command":"vault login [REDACTED]","credential_capture_argv":["vault","login","[REDACTED]"],"credential_capture_stderr":"error: [REDACTED] rejected","target":"api.example.com","upstream":"https://api.example.com","port":443,"method":"GET","path":"/v1/items?sig=[REDACTED]&page=2","status":200,"reason":null}}`},
		{"command_policy", Upstream,
			`{"type":"command_policy","event":{"timestamp":"t","command":"curl","caller":"agent","decision":"allowed","reason":null,"stdio_mode":"pty","argv_hash":"a","env_name_hash":"b","cwd_hash":"c","argv_display":["curl","--password","pw"],"env_names_display":["GITHUB_TOKEN","HOME"],"env_display":[{"name":"OPENAI_API_KEY","value_display":"sk-x"},{"name":"DB_URL","value_display":"postgres://u:p@h/db"}],"cwd_display":"/srv?token=1","exit_code":null}}`,
			`{"type":"command_policy","event":{"timestamp":"t","command":"curl","caller":"agent","decision":"allowed","reason":null,"stdio_mode":"pty","argv_hash":"a","env_name_hash":"b","cwd_hash":"c","argv_display":["curl","--password","[REDACTED]"],"env_names_display":["[REDACTED]","HOME"],"env_display":[{"name":"[REDACTED]","value_display":"[REDACTED]"},{"name":"DB_URL","value_display":"postgres://u:[REDACTED]@h/db"}],"cwd_display":"/srv?token=[REDACTED]","exit_code":null}}`},
		{"command_policy env default", Default,
			`{"type":"command_policy","event":{"env_display":[{"name":"STRIPE_WEBHOOK_SECRET","value_display":"whsec_abc"},{"name":"PAGER","value_display":"less -R"}]}}`,
			`{"type":"command_policy","event":{"env_display":[{"name":"STRIPE_WEBHOOK_SECRET","value_display":"[REDACTED]"},{"name":"PAGER","value_display":"less -R"}]}}`},
		{"escapes decoded, replacement canonical", Upstream,
			`{"type":"url_open","request":{"url":"https:\/\/h\/?token=\u0061\u00e9&q=\u2028"}}`,
			`{"type":"url_open","request":{"url":"https://h/?token=[REDACTED]&q=` + "\u2028" + `"}}`},
		{"whitespace kept when nothing changes", Default,
			` { "type" : "network" , "event" : { "target" : "h" , "port" : 443 } } `,
			` { "type" : "network" , "event" : { "target" : "h" , "port" : 443 } } `},
		{"whitespace kept around a change", Upstream,
			`{ "type": "session_started", "command": [ "gh", "--token", "x" ] }`,
			`{ "type": "session_started", "command": ["gh","--token","[REDACTED]"] }`},
		{"unknown type passes through", Default,
			`{"type":"custom","command":["--token","x"]}`,
			`{"type":"custom","command":["--token","x"]}`},
		{"no type passes through", Default, `{"a":[1,2,{"b":null}]}`, `{"a":[1,2,{"b":null}]}`},
		{"wrong field types are left alone", Default,
			`{"type":"session_started","command":"--token x","started":1}`,
			`{"type":"session_started","command":"--token [REDACTED]","started":1}`},
		{"mixed array: strings scrubbed as values", Upstream,
			`{"type":"session_started","command":["https://u:p@h",3]}`,
			`{"type":"session_started","command":["https://u:[REDACTED]@h",3]}`},
		{"sandbox_runtime untouched", Default,
			`{"type":"sandbox_runtime","event":{"timestamp":"t","platform":"linux","tool_sandbox_active":true}}`,
			`{"type":"sandbox_runtime","event":{"timestamp":"t","platform":"linux","tool_sandbox_active":true}}`},
	} {
		got, err := scrubLine(t, tc.rules, tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s:\n got  %s\n want %s", tc.name, got, tc.want)
		}
		if again, _ := scrubLine(t, tc.rules, got); again != got {
			t.Errorf("%s: not idempotent:\n %s\n %s", tc.name, got, again)
		}
	}
}

func TestEventsLineErrors(t *testing.T) {
	// A duplicated key could smuggle a value past a reader that takes the
	// first: such a line is refused.
	for _, line := range []string{`{"type":`, `[1,2]`, `"x"`, `{"a":1}x`, `{"a":"\q"}`,
		`{"type":"session_started","command":["a"],"command":["--token","x"]}`, `{"a":{"b":1,"b":2}}`} {
		if _, err := scrubLine(t, Default, line); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

func TestArgvLine(t *testing.T) {
	e := &Events{Policy: DefaultPolicy(), Rules: Default}
	out, err := e.ArgvLine(nil, []byte(` ["curl", "-u", "alice:pw", "a&b<c>"] `))
	if err != nil {
		t.Fatal(err)
	}
	if want := `["curl","-u","alice:[REDACTED]","a&b<c>"]`; string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
	for _, line := range []string{`{"a":1}`, `["a",1]`, `[`} {
		if _, err := e.ArgvLine(nil, []byte(line)); err == nil {
			t.Errorf("%s: no error", line)
		}
	}
}

func TestStream(t *testing.T) {
	e := &Events{Policy: DefaultPolicy(), Rules: Upstream}
	in := "{\"type\":\"session_started\",\"command\":[\"--token\",\"x\"]}\n\n{\"a\":1}\n{\"b\":2}"
	var out bytes.Buffer
	if err := Stream(strings.NewReader(in), &out, e.Line); err != nil {
		t.Fatal(err)
	}
	want := "{\"type\":\"session_started\",\"command\":[\"--token\",\"[REDACTED]\"]}\n{\"a\":1}\n{\"b\":2}\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}

	out.Reset()
	err := Stream(strings.NewReader("{\"a\":1}\n{\"b\":2}\n{bad\n{\"c\":3}\n"), &out, e.Line)
	if err == nil || !strings.Contains(err.Error(), "line 3: invalid JSON") {
		t.Errorf("error %v, want line 3: invalid JSON", err)
	}
	if out.String() != "{\"a\":1}\n{\"b\":2}\n" {
		t.Errorf("lines before the bad one: %q", out.String())
	}

	out.Reset()
	err = Stream(strings.NewReader("{\"a\":1}\n{\"b\":"), &out, e.Line)
	if err == nil || !strings.Contains(err.Error(), "line 2") || out.String() != "{\"a\":1}\n" {
		t.Errorf("truncated tail: %v, %q", err, out.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestStreamWriteError(t *testing.T) {
	e := &Events{Policy: DefaultPolicy(), Rules: Upstream}
	err := Stream(strings.NewReader("{\"a\":1}\n"), failWriter{}, e.Line)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %v", err)
	}
}

// A line must reach the output before the stream reads again: a live
// reader (tail -f) sees each line while the writer pauses.
func TestStreamFlushesBeforeBlocking(t *testing.T) {
	e := &Events{Policy: DefaultPolicy(), Rules: Default}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Stream(inR, outW, e.Line); outW.Close() }()
	lines := make(chan string)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := outR.Read(buf)
			if n > 0 {
				lines <- string(buf[:n])
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	for _, l := range []string{`{"type":"session_started","command":["-H","Cookie: a"]}`, `{"x":1}`} {
		if _, err := io.WriteString(inW, l+"\n"); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-lines:
			if !strings.HasSuffix(got, "\n") || strings.Contains(got, "Cookie: a") {
				t.Errorf("got %q", got)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("line %s not written while the input paused", l)
		}
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func FuzzEventsLine(f *testing.F) {
	for _, s := range []string{
		`{"type":"session_started","started":"s","command":["curl","-H","Authorization: x","https://u:p@h/?token=1"]}`,
		`{"type":"network","event":{"target":"h","path":"/a?sig=1","credential_capture_argv":["a","--password","b"]}}`,
		`{"type":"command_policy","event":{"env_display":[{"name":"A_TOKEN","value_display":"v"}],"env_names_display":["GH_TOKEN"]}}`,
		`{"type":"capability_decision","entry":{"request":{"capability_type":"endpoint","path":"/x?key=1"},"decision":{"Denied":{"reason":"r"}}}}`,
		`{"type":"url_open","request":{"url":"https:\/\/x\/?code=\u00e9"},"error":null}`,
		` {"type" : "session_started" , "command" : [ "a" , "b\"c" ] } `,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, line []byte, def bool) {
		rules := Upstream
		if def {
			rules = Default
		}
		e := &Events{Policy: DefaultPolicy(), Rules: rules}
		out, err := e.Line(nil, line)
		if err != nil {
			return
		}
		if _, err := canon.Parse(out); err != nil {
			t.Fatalf("output is not JSON:\n in  %q\n out %q", line, out)
		}
		again, err := e.Line(nil, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent (%v):\n %q\n %q", err, out, again)
		}
		fresh := &Events{Policy: DefaultPolicy(), Rules: Upstream}
		if up, err := fresh.Line(nil, out); err != nil || !bytes.Equal(up, out) {
			t.Fatalf("not an Upstream fixed point (%v):\n %q\n %q", err, out, up)
		}
	})
}
