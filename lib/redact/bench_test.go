package redact

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

func BenchmarkScrubArgv(b *testing.B) {
	p := DefaultPolicy()
	argvs := [][]string{
		{"curl", "-sS", "-H", "Accept: application/json", "https://api.example.com/v1/items?page=2"},
		{"git", "push", "origin", "main"},
		{"docker", "run", "-p", "8080:80", "-e", "LOG_LEVEL=debug", "nginx:1.27"},
		{"sh", "-c", `echo "hello, wörld" > out.txt`},
		{"curl", "-u", "alice:s3cret", "-H", "Authorization: Bearer abcdef123456", "https://h/?token=x"},
	}
	for _, rules := range []Rules{Upstream, Default} {
		b.Run(rules.String(), func(b *testing.B) {
			n := 0
			for _, a := range argvs {
				n += len(strings.Join(a, " "))
			}
			b.SetBytes(int64(n))
			for b.Loop() {
				for _, a := range argvs {
					p.ScrubArgv(rules, a)
				}
			}
		})
	}
}

func BenchmarkScrubValue(b *testing.B) {
	p := DefaultPolicy()
	for _, tc := range []struct{ name, s string }{
		{"host", "objects.githubusercontent.com"},
		{"url", "https://api.openai.com/v1/chat/completions?stream=true"},
		{"prose", "host api.openai.com is not in the allow list of profile \"default\""},
		{"secret-url", "https://u:p@h.example/cb?code=abc&state=xyz#access_token=t"},
		{"shell", `curl -H "Authorization: Bearer abc123def456" https://api.example.com | jq .`},
	} {
		for _, rules := range []Rules{Upstream, Default} {
			b.Run(tc.name+"/"+rules.String(), func(b *testing.B) {
				b.SetBytes(int64(len(tc.s)))
				for b.Loop() {
					p.scrubValue(rules, tc.s)
				}
			})
		}
	}
}

// benchEvents builds n event lines like a real log's: every event type,
// varying ids, hosts, paths and commands. With secrets set, some of them
// carry credentials to scrub; without, nothing changes.
func benchEvents(n int, secrets bool) []byte {
	r := rand.New(rand.NewPCG(7, 11))
	hosts := []string{"api.openai.com", "api.anthropic.com", "github.com", "registry.npmjs.org", "pypi.org", "proxy.golang.org"}
	paths := []string{"/v1/chat/completions", "/v1/messages", "/repos/acme/app/pulls", "/simple/requests/", "/github.com/alecthomas/kong/@v/list"}
	cmds := []string{`["make","test"]`, `["go","build","./..."]`, `["git","push","origin","main"]`, `["npm","install"]`, `["sh","-c","echo \"hello, wörld\" > out.txt"]`}
	reasons := []string{`"need scratch space"`, `"fetch dependencies"`, `null`, `"write build artefacts"`}
	var b strings.Builder
	for i := range n {
		host := hosts[r.IntN(len(hosts))]
		path := paths[r.IntN(len(paths))]
		if secrets && i%7 == 0 {
			path += "?api_key=" + fmt.Sprintf("%032x", r.Uint64())
		}
		switch i % 10 {
		case 0, 1, 2, 3:
			fmt.Fprintf(&b, `{"type":"network","event":{"timestamp_unix_ms":%d,"mode":"reverse","decision":"allow","route_id":"r%d","endpoint_policy_action":"allow","endpoint_policy_rule":"default","target":"%s","upstream":"https://%s","port":443,"method":"POST","path":"%s","status":200,"reason":null}}`+"\n",
				1776794400000+i, r.IntN(50), host, host, path)
		case 4, 5:
			fmt.Fprintf(&b, `{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":%d,"nanos_since_epoch":%d},"request":{"capability_type":"capability","request_id":"req-%016x","path":"/home/dev/project/build-%d","access":"Write","reason":%s,"child_pid":%d,"session_id":"%016x"},"decision":"Granted","backend":"terminal","duration_ms":%d}}`+"\n",
				1776794400+i, r.IntN(1e9), r.Uint64(), r.IntN(1000), reasons[r.IntN(len(reasons))], r.IntN(30000), r.Uint64(), r.IntN(5000))
		case 6, 7:
			cmd := cmds[r.IntN(len(cmds))]
			if secrets && i%3 == 0 {
				cmd = `["curl","-H","Authorization: Bearer ` + fmt.Sprintf("%032x", r.Uint64()) + `","https://` + host + `"]`
			}
			fmt.Fprintf(&b, `{"type":"command_policy","event":{"timestamp":"2026-04-21T18:00:07.%09d+00:00","session_id":"%016x","command":"sh","caller":"agent","caller_kind":"session","caller_pid":%d,"decision":"allowed","reason":null,"stdio_mode":"pty","argv_hash":"%064x","env_name_hash":"%064x","cwd_hash":"%064x","argv_display":%s,"env_names_display":["[REDACTED]","HOME","PAGER","PATH","TERM"],"env_display":[{"name":"[REDACTED]","value_display":"[REDACTED]"},{"name":"PAGER","value_display":"less -R"}],"cwd_display":"/home/dev/project","exit_code":0}}`+"\n",
				r.IntN(1e9), r.Uint64(), r.IntN(30000), r.Uint64(), r.Uint64(), r.Uint64(), cmd)
		case 8:
			fmt.Fprintf(&b, `{"type":"url_open","request":{"request_id":"open-%012x","url":"https://github.com/login/oauth/authorize?client_id=%020x&state=[REDACTED]","child_pid":%d,"session_id":"%016x"},"success":false,"error":"origin not allowed by profile"}`+"\n",
				r.Uint64()&0xffffffffffff, r.Uint64(), r.IntN(30000), r.Uint64())
		case 9:
			fmt.Fprintf(&b, `{"type":"sandbox_runtime","event":{"timestamp":"2026-04-21T18:00:17.%09d+00:00","platform":"linux","landlock_abi":"v4","landlock_execute_enforced":true,"tool_sandbox_active":true}}`+"\n", r.IntN(1e9))
		}
	}
	return []byte(b.String())
}

// BenchmarkStream is nono-redact's work over a log: "clean" has nothing
// to scrub (every line passes through unchanged), "secrets" has a
// credential in about one line in ten.
func BenchmarkStream(b *testing.B) {
	for _, tc := range []struct {
		name    string
		secrets bool
	}{{"clean", false}, {"secrets", true}} {
		data := benchEvents(20000, tc.secrets)
		for _, rules := range []Rules{Upstream, Default} {
			b.Run(tc.name+"/"+rules.String(), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					e := &Events{Policy: DefaultPolicy(), Rules: rules}
					if err := Stream(bytes.NewReader(data), io.Discard, e.Line); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// The clean benchmark input really has nothing to scrub.
func TestBenchEventsClean(t *testing.T) {
	data := benchEvents(2000, false)
	var out strings.Builder
	e := &Events{Policy: DefaultPolicy(), Rules: Default}
	if err := Stream(strings.NewReader(string(data)), &out, e.Line); err != nil {
		t.Fatal(err)
	}
	if out.String() != string(data) {
		t.Error("the clean benchmark log changes under Default")
	}
	secret := benchEvents(2000, true)
	out.Reset()
	if err := Stream(strings.NewReader(string(secret)), &out, e.Line); err != nil {
		t.Fatal(err)
	}
	if out.String() == string(secret) || strings.Contains(out.String(), "Bearer 0") {
		t.Error("the secrets benchmark log is not scrubbed")
	}
}
