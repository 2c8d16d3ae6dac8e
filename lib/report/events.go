package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/ndjson"
)

// detailWidth bounds one rendered event's detail text: a record may hold
// megabytes in one argument, a terminal line should not.
const detailWidth = 300

// record is one line of an event log as show reads it: no verification
// (that is verify's job), just enough structure to render.
type record struct {
	line  int
	doc   field // the whole record
	event field // the event object (from "event", else "event_json")
	err   error // the line is not a readable record
}

func (r *record) typ() string { return r.event.Get("type").String() }

// eachRecord streams the log at path through fn, one record at a time. A
// missing log is reported as such; a line that cannot be read ends the
// walk with a final record carrying the error.
func eachRecord(path string, fn func(*record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd := ndjson.NewReader(f)
	for {
		line, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var le *ndjson.Error
			if !errors.As(err, &le) {
				return fmt.Errorf("read %s: %w", path, err)
			}
			return fn(&record{line: le.Line, err: le.Err})
		}
		if err := fn(parseRecord(rd.Line(), line)); err != nil {
			return err
		}
	}
}

// parseRecord reads one line with canon's strict reader: a line another
// reader might take differently (a duplicate key, invalid UTF-8) is shown
// as unreadable, not rendered one way of several.
func parseRecord(n int, line []byte) *record {
	r := &record{line: n}
	v, err := canon.Parse(line)
	if err != nil {
		r.err = fmt.Errorf("not valid JSON: %w", err)
		return r
	}
	if v.Kind != canon.Object {
		r.err = errors.New("not a JSON object")
		return r
	}
	r.doc = fieldOf(v)
	r.event = r.doc.Get("event")
	if ej := r.doc.Get("event_json"); !r.event.IsObject() && ej.Is(canon.String) {
		if ev, err := canon.Parse([]byte(ej.v.Str)); err == nil {
			r.event = fieldOf(ev)
		}
	}
	if !r.event.IsObject() {
		r.err = errors.New("record has no event object")
	}
	return r
}

// eventTime is the moment an event records, in whichever of upstream's
// forms its type uses; false when it has none or it cannot be read.
func eventTime(ev field) (time.Time, bool) {
	var s string
	switch ev.Get("type").String() {
	case "session_started":
		s = ev.Get("started").String()
	case "session_ended":
		s = ev.Get("ended").String()
	case "sandbox_runtime", "command_policy":
		s = ev.Get("event.timestamp").String()
	case "capability_decision":
		ts := ev.Get("entry.timestamp")
		secs, nanos := ts.Get("secs_since_epoch"), ts.Get("nanos_since_epoch")
		if !secs.Is(canon.Number) {
			return time.Time{}, false
		}
		sec, ok := secs.v.Uint()
		nano, _ := nanos.v.Uint()
		return time.Unix(int64(sec), int64(nano%1e9)), ok
	case "network":
		ms := ev.Get("event.timestamp_unix_ms")
		n, ok := ms.v.Int()
		return time.UnixMilli(n), ok && ms.ok
	default:
		return time.Time{}, false
	}
	t, err := event.ParseTime(s)
	return t, err == nil
}

// str is a field as sanitized display text.
func str(v field) string { return human.Sanitize(v.String()) }

// strs is an array of strings as a shell-quoted line.
func strs(v field) string {
	var argv []string
	for _, a := range v.Array() {
		argv = append(argv, a.String())
	}
	return human.QuoteCommand(argv)
}

// eventDetail is the interesting part of one event, as display text.
func eventDetail(ev field) string {
	var b strings.Builder
	opt := func(key string, v field) {
		if v.Exists() && v.String() != "" {
			fmt.Fprintf(&b, " %s=%s", key, str(v))
		}
	}
	switch ev.Get("type").String() {
	case "session_started":
		b.WriteString(strs(ev.Get("command")))
		if ev.Get("redaction_policy").Exists() {
			b.WriteString(" (custom redaction policy)")
		}
	case "session_ended":
		fmt.Fprintf(&b, "exit_code=%s", str(ev.Get("exit_code")))
	case "capability_decision":
		e := ev.Get("entry")
		b.WriteString(decision(e.Get("decision")))
		b.WriteString(" " + request(e.Get("request")))
		opt("reason", e.Get("request.reason"))
		opt("pid", e.Get("request.child_pid"))
		opt("backend", e.Get("backend"))
		opt("duration_ms", e.Get("duration_ms"))
	case "url_open":
		if ev.Get("success").Bool() {
			b.WriteString("opened ")
		} else {
			b.WriteString("blocked ")
		}
		b.WriteString(str(ev.Get("request.url")))
		opt("error", ev.Get("error"))
		opt("pid", ev.Get("request.child_pid"))
	case "network":
		b.WriteString(networkLine(ev.Get("event")))
	case "sandbox_runtime":
		e := ev.Get("event")
		b.WriteString(str(e.Get("platform")))
		opt("landlock_abi", e.Get("landlock_abi"))
		opt("landlock_execute_enforced", e.Get("landlock_execute_enforced"))
		opt("tool_sandbox_active", e.Get("tool_sandbox_active"))
	case "command_policy":
		b.WriteString(commandPolicyLine(ev.Get("event")))
		opt("exit_code", ev.Get("event.exit_code"))
	default:
		// A user's own event type: its fields as recorded.
		var members []string
		for _, m := range ev.Members() {
			if m.Key != "type" {
				members = append(members, human.Sanitize(m.Key)+"="+human.Sanitize(fieldOf(m.Value).Raw()))
			}
		}
		b.WriteString(strings.Join(members, " "))
	}
	return human.Cut(b.String(), detailWidth)
}

// decision renders an ApprovalDecision: "Granted", "Timeout" or
// "Denied (reason)".
func decision(d field) string {
	if d.Is(canon.String) {
		return str(d)
	}
	if r := d.Get("Denied.reason"); r.Exists() {
		return "Denied (" + str(r) + ")"
	}
	return human.Sanitize(d.Raw())
}

// request renders an ApprovalRequest by its capability type.
func request(r field) string {
	switch r.Get("capability_type").String() {
	case "capability":
		return str(r.Get("access")) + " " + str(r.Get("path"))
	case "network":
		return str(r.Get("protocol")) + " " + str(r.Get("host")) + ":" + str(r.Get("port"))
	case "endpoint":
		return str(r.Get("method")) + " " + str(r.Get("upstream")) + str(r.Get("path")) + " route=" + str(r.Get("route_id"))
	case "command":
		argv := []string{r.Get("command").String()}
		for _, a := range r.Get("args").Array() {
			argv = append(argv, a.String())
		}
		return human.QuoteCommand(argv) + " caller=" + str(r.Get("caller"))
	}
	return human.Sanitize(r.Raw())
}

// networkLine renders a NetworkAuditEvent as upstream's show does:
// decision mode target[:port] (method=…, path=…, status=…, reason=…).
func networkLine(e field) string {
	var b strings.Builder
	b.WriteString(str(e.Get("decision")) + " " + str(e.Get("mode")) + " " + str(e.Get("target")))
	if p := e.Get("port"); p.Is(canon.Number) {
		b.WriteString(":" + p.Raw())
	}
	var extra []string
	for _, k := range []string{"method", "path", "status", "reason"} {
		if v := e.Get(k); v.Exists() && !v.Is(canon.Null) {
			extra = append(extra, k+"="+str(v))
		}
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

// commandPolicyLine renders a CommandPolicyEvent as upstream's show does:
// decision command caller=…[ reason=…].
func commandPolicyLine(e field) string {
	s := str(e.Get("decision")) + " " + str(e.Get("command")) + " caller=" + str(e.Get("caller"))
	if r := e.Get("reason"); r.Is(canon.String) {
		s += " reason=" + str(r)
	}
	return s
}

// formatEventTime is a time as event lines show it, in loc.
func formatEventTime(t time.Time, ok bool, loc *time.Location) string {
	if !ok {
		return "-                      "
	}
	return t.In(loc).Format("2006-01-02 15:04:05.000")
}

// renderRecord is one event line of show's human output.
func renderRecord(r *record, loc *time.Location) string {
	if r.err != nil {
		return fmt.Sprintf("    line %d: unreadable record: %s", r.line, human.Sanitize(r.err.Error()))
	}
	seq := r.doc.Get("sequence")
	seqText := "?"
	if seq.Is(canon.Number) {
		seqText = seq.Raw()
	}
	t, ok := eventTime(r.event)
	return fmt.Sprintf("    %4s  %s  %-19s  %s", seqText, formatEventTime(t, ok, loc), human.Cut(str(r.event.Get("type")), 40), eventDetail(r.event))
}

// EventLine is one record line of a log as show lists it, without show's
// indentation: sequence, time (in loc), type and detail. num is the
// record's line number in the log, for a record that cannot be read.
func EventLine(num int, raw []byte, loc *time.Location) string {
	return strings.TrimLeft(renderRecord(parseRecord(num, raw), loc), " ")
}

// recordValue is one record for show --json: sequence, leaf_hash,
// chain_hash and the event object as recorded (key order kept), or the
// line number and what is wrong with it.
func recordValue(r *record) canon.Value {
	bad := func(err error) canon.Value {
		return canon.ObjectValue(
			canon.Member{Key: "line", Value: canon.IntValue(int64(r.line))},
			canon.Member{Key: "error", Value: canon.StringValue(err.Error())},
		)
	}
	if r.err != nil {
		return bad(r.err)
	}
	ev := r.event.v
	members := make([]canon.Member, 0, 4)
	for _, k := range []string{"sequence", "leaf_hash", "chain_hash"} {
		v := canon.NullValue()
		if f := r.doc.Get(k); f.Exists() {
			v = f.v
		}
		members = append(members, canon.Member{Key: k, Value: v})
	}
	return canon.ObjectValue(append(members, canon.Member{Key: "event", Value: ev})...)
}

// commandPolicyValue is one item of show --json's command_policy_events,
// upstream's shape: sequence, leaf_hash, chain_hash, the event's own
// fields, then "event_type":"command_policy".
func commandPolicyValue(r *record) canon.Value {
	v := recordValue(r)
	ev, ok := v.Get("event")
	if !ok {
		return v
	}
	inner, _ := ev.Get("event")
	members := append([]canon.Member(nil), v.Members[:3]...)
	if inner.Kind == canon.Object {
		members = append(members, inner.Members...)
	}
	members = append(members, canon.Member{Key: "event_type", Value: canon.StringValue("command_policy")})
	return canon.ObjectValue(members...)
}
