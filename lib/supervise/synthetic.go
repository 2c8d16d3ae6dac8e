package supervise

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/nono-audit/nono/lib/canon"
)

// Synthetic generates realistic audit events for load tests: the mix a
// busy agent session produces (capability decisions, network events,
// command-policy events, URL opens), each already canonical, some carrying
// secrets for the redactor to scrub. It is reachable only through the
// test hooks (docs/RUN.md).
type Synthetic struct {
	session string
	pid     uint32
	start   time.Time
	buf     []byte
}

// NewSynthetic returns a generator whose events claim session id and
// child pid.
func NewSynthetic(session string, pid uint32, start time.Time) *Synthetic {
	return &Synthetic{session: session, pid: pid, start: start}
}

// Event returns event number i (the slice is reused by the next call).
func (g *Synthetic) Event(i int) []byte {
	b := g.buf[:0]
	at := g.start.Add(time.Duration(i) * time.Millisecond)
	n := strconv.Itoa(i)
	switch i % 10 {
	case 0, 1, 2, 3:
		b = g.capability(b, at, n, i%4 != 3)
	case 4, 5:
		b = g.network(b, at, n, i%10 == 4)
	case 6, 7:
		b = g.commandPolicy(b, at, n)
	case 8:
		b = g.urlOpen(b, n)
	default:
		b = g.networkRequest(b, at, n)
	}
	g.buf = b
	return b
}

func (g *Synthetic) common(b []byte) []byte {
	b = append(b, `,"child_pid":`...)
	b = strconv.AppendUint(b, uint64(g.pid), 10)
	b = append(b, `,"session_id":`...)
	return canon.AppendString(b, g.session)
}

func appendSystemTime(b []byte, at time.Time) []byte {
	b = append(b, `{"secs_since_epoch":`...)
	b = strconv.AppendInt(b, at.Unix(), 10)
	b = append(b, `,"nanos_since_epoch":`...)
	b = strconv.AppendInt(b, int64(at.Nanosecond()), 10)
	return append(b, '}')
}

func (g *Synthetic) capability(b []byte, at time.Time, n string, granted bool) []byte {
	b = append(b, `{"type":"capability_decision","entry":{"timestamp":`...)
	b = appendSystemTime(b, at)
	b = append(b, `,"request":{"capability_type":"capability","request_id":`...)
	b = canon.AppendString(b, "req-"+n)
	b = append(b, `,"path":`...)
	b = canon.AppendString(b, "/home/agent/project/src/module-"+n+"/main.go")
	b = append(b, `,"access":"ReadWrite","reason":`...)
	b = canon.AppendString(b, "edit module "+n+" for the refactoring task")
	b = g.common(b)
	if granted {
		b = append(b, `},"decision":"Granted"`...)
	} else {
		b = append(b, `},"decision":{"Denied":{"reason":"outside the granted paths"}}`...)
	}
	b = append(b, `,"backend":"terminal","duration_ms":`...)
	b = strconv.AppendInt(b, int64(len(n)*7), 10)
	return append(b, `}}`...)
}

func (g *Synthetic) networkRequest(b []byte, at time.Time, n string) []byte {
	b = append(b, `{"type":"capability_decision","entry":{"timestamp":`...)
	b = appendSystemTime(b, at)
	b = append(b, `,"request":{"capability_type":"network","request_id":`...)
	b = canon.AppendString(b, "net-"+n)
	b = append(b, `,"host":"registry.npmjs.org","port":443,"protocol":"tcp","resolved_ips":["104.16.0.35","104.16.1.35"],"reason":null`...)
	b = g.common(b)
	return append(b, `},"decision":"Timeout","backend":"terminal","duration_ms":30000}}`...)
}

func (g *Synthetic) network(b []byte, at time.Time, n string, allow bool) []byte {
	b = append(b, `{"type":"network","event":{"timestamp_unix_ms":`...)
	b = strconv.AppendInt(b, at.UnixMilli(), 10)
	if allow {
		b = append(b, `,"mode":"connect_intercept","decision":"allow","route_id":"github","auth_mechanism":"phantom_header","auth_outcome":"succeeded","managed_credential_active":true,"injection_mode":"header","target":"api.github.com","port":443,"method":"GET","path":`...)
		b = canon.AppendString(b, "/repos/acme/widgets/pulls/"+n+"?access_token=ghp_live"+n)
		b = append(b, `,"status":200,"reason":null}}`...)
		return b
	}
	b = append(b, `,"mode":"connect","decision":"deny","denial_category":"host_denied","target":"exfil.example.net","port":443,"method":null,"path":null,"status":null,"reason":"host not in allow list"}}`...)
	return b
}

func (g *Synthetic) commandPolicy(b []byte, at time.Time, n string) []byte {
	argv := []string{"git", "push", "https://agent:s3cret-" + n + "@github.com/acme/widgets.git"}
	b = append(b, `{"type":"command_policy","event":{"timestamp":`...)
	b = canon.AppendString(b, formatUTC(at))
	b = append(b, `,"session_id":`...)
	b = canon.AppendString(b, g.session)
	b = append(b, `,"command":"git","caller":"session","caller_kind":"session","caller_pid":`...)
	b = strconv.AppendUint(b, uint64(g.pid), 10)
	b = append(b, `,"decision":"allowed","reason":null,"stdio_mode":"direct_fds","argv_hash":`...)
	b = canon.AppendString(b, lengthPrefixedHash(argv))
	b = append(b, `,"env_name_hash":`...)
	b = canon.AppendString(b, lengthPrefixedHash([]string{"HOME", "PATH", "GITHUB_TOKEN"}))
	b = append(b, `,"cwd_hash":`...)
	sum := sha256.Sum256([]byte("/home/agent/project"))
	b = canon.AppendString(b, hex.EncodeToString(sum[:]))
	b = append(b, `,"argv_display":`...)
	b = canon.AppendCompact(b, canon.StringsValue(argv))
	b = append(b, `,"env_names_display":["HOME","PATH","GITHUB_TOKEN"],"cwd_display":"/home/agent/project","exit_code":0}}`...)
	return b
}

func (g *Synthetic) urlOpen(b []byte, n string) []byte {
	b = append(b, `{"type":"url_open","request":{"request_id":`...)
	b = canon.AppendString(b, "open-"+n)
	b = append(b, `,"url":`...)
	b = canon.AppendString(b, "https://login.example.com/oauth/callback?code=abc"+n+"&state=xyz&token=live-"+n)
	b = g.common(b)
	return append(b, `},"success":true,"error":null}`...)
}

// formatUTC is upstream's form of UTC event timestamps: RFC 3339 with
// nanoseconds and a +00:00 offset.
func formatUTC(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000000") + "+00:00"
}

// lengthPrefixedHash is command_policy's argv_hash: SHA-256 over each
// element as an 8-byte big-endian length and the bytes.
func lengthPrefixedHash(elems []string) string {
	h := sha256.New()
	var n [8]byte
	for _, e := range elems {
		l := uint64(len(e))
		for i := range n {
			n[7-i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(e))
	}
	return hex.EncodeToString(h.Sum(nil))
}
