// Command gen writes N realistic audit events, one JSON object a line, to
// stdout: every upstream event type in plausible proportions, averaging
// about 500 bytes an event, deterministic for a given seed.
//
//	go run ./bench/gen -n 1000000 > events.ndjson
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
)

func main() {
	n := flag.Int("n", 1000, "number of events")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *n < 0 {
		fmt.Fprintln(os.Stderr, "gen: -n must not be negative")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	g := &gen{r: rand.New(rand.NewPCG(*seed, *seed^0x9e3779b97f4a7c15)), t: time.Date(2026, 4, 21, 18, 0, 0, 0, time.UTC)}
	var b []byte
	for i := range *n {
		b = g.event(b[:0], i, *n)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

type gen struct {
	r *rand.Rand
	t time.Time
}

var (
	hosts    = []string{"api.openai.com", "api.anthropic.com", "github.com", "registry.npmjs.org", "pypi.org", "proxy.golang.org", "evil.example", "objects.githubusercontent.com"}
	paths    = []string{"/v1/chat/completions", "/v1/messages", "/repos/nono/nono/pulls", "/simple/requests/", "/github.com/alecthomas/kong/@v/list", "/login/oauth/access_token"}
	commands = [][]string{{"make", "test"}, {"go", "build", "./..."}, {"git", "push", "origin", "main"}, {"npm", "install"}, {"pytest", "-q", "tests/"}, {"sh", "-c", `echo "hello, wörld" > out.txt`}, {"cargo", "build", "--release"}}
	files    = []string{"/home/dev/project/src/main.rs", "/home/dev/project/node_modules/.cache/babel", "/tmp/scratch/build-1234", "/home/dev/.config/gh/hosts.yml", "/home/dev/project/données/état.json"}
	reasons  = []string{"need scratch space", "write build artefacts", "read credentials for push", "fetch dependencies", "agent requested a browser login"}
)

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) now() time.Time {
	g.t = g.t.Add(time.Duration(g.r.IntN(2_000_000_000)))
	return g.t
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for range n {
		b.WriteByte(digits[g.r.IntN(16)])
	}
	return b.String()
}

// event appends event number i of n.
func (g *gen) event(dst []byte, i, n int) []byte {
	switch {
	case i == 0 || g.r.IntN(200) == 0:
		cmd := commands[g.r.IntN(len(commands))]
		return append(dst, event.SessionStarted(event.FormatTime(g.now().In(time.FixedZone("", 7200))), cmd, canon.NullValue())...)
	case i == n-1 || g.r.IntN(200) == 0:
		return append(dst, event.SessionEnded(event.FormatTime(g.now().In(time.FixedZone("", 7200))), int32(g.r.IntN(3)))...)
	}
	switch k := g.r.IntN(100); {
	case k < 40:
		return g.network(dst)
	case k < 65:
		return g.capability(dst)
	case k < 88:
		return g.commandPolicy(dst)
	case k < 96:
		return g.urlOpen(dst)
	default:
		return g.sandbox(dst)
	}
}

func (g *gen) network(dst []byte) []byte {
	host := g.pick(hosts)
	deny := host == "evil.example" || g.r.IntN(10) == 0
	dst = append(dst, `{"type":"network","event":{"timestamp_unix_ms":`...)
	dst = strconv.AppendInt(dst, g.now().UnixMilli(), 10)
	mode := []string{"connect", "connect_intercept", "reverse", "external"}[g.r.IntN(4)]
	dst = append(dst, `,"mode":"`+mode+`","decision":"`...)
	if deny {
		dst = append(dst, `deny"`...)
	} else {
		dst = append(dst, `allow"`...)
	}
	if mode == "reverse" || mode == "connect_intercept" {
		dst = append(dst, `,"route_id":"`+strings.Split(host, ".")[1]+`","auth_mechanism":"phantom_header","auth_outcome":"succeeded","managed_credential_active":true,"injection_mode":"header"`...)
		dst = append(dst, `,"endpoint_policy_action":"allow","endpoint_policy_rule":"default"`...)
	}
	if deny {
		dst = append(dst, `,"denial_category":"host_denied"`...)
	}
	if g.r.IntN(4) == 0 {
		dst = append(dst, `,"credential_capture_action":"captured","credential_capture_name":"gh","credential_capture_command":"/usr/bin/gh","credential_capture_argv":["auth","token"],"credential_capture_exit_status":0,"credential_capture_duration_ms":`...)
		dst = strconv.AppendInt(dst, int64(g.r.IntN(900)), 10)
		dst = append(dst, `,"credential_capture_stdout_bytes":41,"credential_capture_cache_scope":"session","credential_capture_output_format":"text"`...)
	}
	dst = append(dst, `,"target":"`+host+`","upstream":"https://`+host+`","port":443`...)
	if mode == "reverse" || mode == "connect_intercept" {
		dst = append(dst, `,"method":"POST","path":"`+g.pick(paths)+`","status":`...)
		dst = strconv.AppendInt(dst, int64([]int{200, 200, 200, 201, 401, 403, 429, 500}[g.r.IntN(8)]), 10)
	} else {
		dst = append(dst, `,"method":null,"path":null,"status":null`...)
	}
	if deny {
		dst = append(dst, `,"reason":"host `+host+` is not in the allow list of profile \"default\""}}`...)
	} else {
		dst = append(dst, `,"reason":null}}`...)
	}
	return dst
}

func (g *gen) capability(dst []byte) []byte {
	t := g.now()
	dst = append(dst, `{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":`...)
	dst = strconv.AppendInt(dst, t.Unix(), 10)
	dst = append(dst, `,"nanos_since_epoch":`...)
	dst = strconv.AppendInt(dst, int64(t.Nanosecond()), 10)
	dst = append(dst, `},"request":`...)
	id := g.hex(16)
	switch g.r.IntN(4) {
	case 0, 1:
		dst = append(dst, `{"capability_type":"capability","request_id":"req-`+id+`","path":`...)
		dst = canon.AppendString(dst, g.pick(files))
		dst = append(dst, `,"access":"`+[]string{"Read", "Write", "ReadWrite"}[g.r.IntN(3)]+`","reason":`...)
		dst = canon.AppendString(dst, g.pick(reasons))
	case 2:
		host := g.pick(hosts)
		dst = append(dst, `{"capability_type":"network","request_id":"net-`+id+`","host":"`+host+`","port":443,"protocol":"tcp","resolved_ips":["140.82.112.3","2606:50c0:8000::153"],"reason":null`...)
	default:
		dst = append(dst, `{"capability_type":"command","request_id":"cmd-`+id+`","command":"git","args":["push","--force-with-lease","origin","feature/audit-trail"],"caller":"agent","intercept_rule":"git-push","reason":"publish the branch for review"`...)
	}
	dst = append(dst, `,"child_pid":`...)
	dst = strconv.AppendInt(dst, int64(1000+g.r.IntN(30000)), 10)
	dst = append(dst, `,"session_id":"`+g.hex(16)+`"},"decision":`...)
	switch g.r.IntN(5) {
	case 0:
		dst = append(dst, `{"Denied":{"reason":"path outside the granted roots"}}`...)
	case 1:
		dst = append(dst, `"Timeout"`...)
	default:
		dst = append(dst, `"Granted"`...)
	}
	dst = append(dst, `,"backend":"terminal","duration_ms":`...)
	dst = strconv.AppendInt(dst, int64(g.r.IntN(20000)), 10)
	return append(dst, `}}`...)
}

func (g *gen) commandPolicy(dst []byte) []byte {
	cmd := commands[g.r.IntN(len(commands))]
	dst = append(dst, `{"type":"command_policy","event":{"timestamp":"`+event.FormatTime(g.now())+`","session_id":"`+g.hex(16)+`","command":`...)
	dst = canon.AppendString(dst, cmd[0])
	dst = append(dst, `,"caller":"agent","caller_kind":"session","caller_pid":`...)
	dst = strconv.AppendInt(dst, int64(1000+g.r.IntN(30000)), 10)
	dst = append(dst, `,"decision":"`+[]string{"allowed", "denied", "invocation_allowed", "capture"}[g.r.IntN(4)]+`","reason":null,"stdio_mode":"pty","argv_hash":"`+g.hex(64)+`","env_name_hash":"`+g.hex(64)+`","cwd_hash":"`+g.hex(64)+`","argv_display":`...)
	dst = canon.AppendCompact(dst, canon.StringsValue(cmd))
	dst = append(dst, `,"env_names_display":["GH_TOKEN","HOME","PAGER","PATH","TERM"],"env_display":[{"name":"GH_TOKEN","value_display":"[REDACTED]"},{"name":"PAGER","value_display":"less -R"}],"cwd_display":"/home/dev/project","exit_code":`...)
	dst = strconv.AppendInt(dst, int64(g.r.IntN(2)), 10)
	if g.r.IntN(3) == 0 {
		dst = append(dst, `,"stdio":{"stdout":{"total_bytes":`...)
		dst = strconv.AppendInt(dst, int64(g.r.IntN(1<<20)), 10)
		dst = append(dst, `,"forwarded_bytes":65536,"max_bytes":65536,"limit_exceeded":true,"on_limit":"truncate"}}`...)
	}
	return append(dst, `}}`...)
}

func (g *gen) urlOpen(dst []byte) []byte {
	ok := g.r.IntN(3) > 0
	dst = append(dst, `{"type":"url_open","request":{"request_id":"open-`+g.hex(12)+`","url":"https://github.com/login/oauth/authorize?client_id=`+g.hex(20)+`&state=[REDACTED]","child_pid":`...)
	dst = strconv.AppendInt(dst, int64(1000+g.r.IntN(30000)), 10)
	dst = append(dst, `,"session_id":"`+g.hex(16)+`"},"success":`...)
	if ok {
		return append(dst, `true,"error":null}`...)
	}
	return append(dst, `false,"error":"origin not allowed by profile"}`...)
}

func (g *gen) sandbox(dst []byte) []byte {
	return append(dst, `{"type":"sandbox_runtime","event":{"timestamp":"`+event.FormatTime(g.now())+`","platform":"linux","landlock_abi":"v`+strconv.Itoa(3+g.r.IntN(4))+`","landlock_execute_enforced":true,"tool_sandbox_active":true}}`...)
}
