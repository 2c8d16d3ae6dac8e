package capability

import (
	"fmt"
	"strconv"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/sandbox"
)

// Access is ApprovalRequest's access: "Read", "Write" or "ReadWrite".
func Access(a sandbox.Access) string {
	switch a {
	case sandbox.Write:
		return "Write"
	case sandbox.ReadWrite:
		return "ReadWrite"
	}
	return "Read"
}

// Request is one capability request (ApprovalRequest, capability_type
// "capability").
type Request struct {
	ID      string
	Path    string // canonical, absolute
	Access  sandbox.Access
	Reason  *string // the requester's reason; nil: null
	Pid     uint32  // the thread that called open
	Session string
}

// Verdict is ApprovalDecision's variant.
type Verdict uint8

const (
	Denied Verdict = iota
	Granted
	Timeout
)

// Decision is an ApprovalDecision.
type Decision struct {
	Verdict Verdict
	Reason  string // for Denied
}

func deny(format string, args ...any) Decision {
	return Decision{Verdict: Denied, Reason: fmt.Sprintf(format, args...)}
}

// AppendRequest appends the canonical ApprovalRequest: exactly what the
// log records and what an exec: approver reads.
func AppendRequest(b []byte, r *Request) []byte {
	b = append(b, `{"capability_type":"capability","request_id":`...)
	b = canon.AppendString(b, r.ID)
	b = append(b, `,"path":`...)
	b = canon.AppendString(b, r.Path)
	b = append(b, `,"access":"`...)
	b = append(b, Access(r.Access)...)
	b = append(b, `","reason":`...)
	if r.Reason == nil {
		b = append(b, "null"...)
	} else {
		b = canon.AppendString(b, *r.Reason)
	}
	b = append(b, `,"child_pid":`...)
	b = strconv.AppendUint(b, uint64(r.Pid), 10)
	b = append(b, `,"session_id":`...)
	b = canon.AppendString(b, r.Session)
	return append(b, '}')
}

// AppendDecision appends the canonical ApprovalDecision (serde's external
// tagging: a bare string for the unit variants).
func AppendDecision(b []byte, d Decision) []byte {
	switch d.Verdict {
	case Granted:
		return append(b, `"Granted"`...)
	case Timeout:
		return append(b, `"Timeout"`...)
	}
	b = append(b, `{"Denied":{"reason":`...)
	b = canon.AppendString(b, d.Reason)
	return append(b, "}}"...)
}

// Event returns the canonical capability_decision event: at is when the
// request arrived (Rust's SystemTime form), took how long the decision
// took (whole milliseconds, as upstream's duration_ms).
func Event(at time.Time, r *Request, d Decision, backend string, took time.Duration) []byte {
	b := make([]byte, 0, 256+len(r.Path))
	b = append(b, `{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":`...)
	b = strconv.AppendInt(b, at.Unix(), 10)
	b = append(b, `,"nanos_since_epoch":`...)
	b = strconv.AppendInt(b, int64(at.Nanosecond()), 10)
	b = append(b, `},"request":`...)
	b = AppendRequest(b, r)
	b = append(b, `,"decision":`...)
	b = AppendDecision(b, d)
	b = append(b, `,"backend":`...)
	b = canon.AppendString(b, backend)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendInt(b, took.Milliseconds(), 10)
	return append(b, "}}"...)
}
