package capability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/canon"
)

// Approver decides requests for access beyond the grants. Decide gets
// the request and its canonical bytes (AppendRequest); it must return
// by ctx's deadline, with Timeout when it could not decide in time.
type Approver interface {
	Name() string // the backend, as capability_decision records it
	Decide(ctx context.Context, r *Request, raw []byte) Decision
}

// DefaultTimeout is how long a backend may take when --approve-timeout
// does not say.
const DefaultTimeout = 60 * time.Second

// DefaultBackend is the backend of --capability-elevation, upstream's
// flag: "terminal" when there is a terminal to ask (/dev/tty opens),
// "deny" without one, so an unattended run refuses rather than waits.
func DefaultBackend() string {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return "deny"
	}
	f.Close()
	return "terminal"
}

// ParseBackend returns the approver --approve names: "deny", "terminal",
// "policy:FILE" (loaded and checked now) or "exec:PROGRAM" (looked up in
// PATH now).
func ParseBackend(spec string) (Approver, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch {
	case spec == "deny":
		return denyAll{}, nil
	case spec == "terminal":
		return &Terminal{TTY: "/dev/tty"}, nil
	case kind == "policy" && arg != "":
		return LoadPolicyFile(arg)
	case kind == "exec" && arg != "":
		path, err := exec.LookPath(arg)
		if err != nil {
			return nil, fmt.Errorf("--approve exec:%s: %w", arg, err)
		}
		return &Exec{Program: path}, nil
	}
	return nil, fmt.Errorf("--approve %q: expected deny, terminal, policy:FILE or exec:PROGRAM", spec)
}

// denyAll is --approve deny: every request is refused.
type denyAll struct{}

func (denyAll) Name() string { return "deny" }

func (denyAll) Decide(context.Context, *Request, []byte) Decision {
	return deny("outside the grants (--approve deny)")
}

// ParseDecision reads an approver's answer, one ApprovalDecision:
// "Granted", "Timeout" or {"Denied":{"reason":"…"}}, strictly (lib/canon:
// no duplicate keys, valid UTF-8, nothing else).
func ParseDecision(line []byte) (Decision, error) {
	v, err := canon.Parse(line)
	if err != nil {
		return Decision{}, err
	}
	switch v.Kind {
	case canon.String:
		switch v.Str {
		case "Granted":
			return Decision{Verdict: Granted}, nil
		case "Timeout":
			return Decision{Verdict: Timeout}, nil
		}
		return Decision{}, fmt.Errorf("unknown decision %q (want \"Granted\", \"Timeout\" or {\"Denied\":{\"reason\":…}})", v.Str)
	case canon.Object:
		if len(v.Members) != 1 || v.Members[0].Key != "Denied" {
			break
		}
		d := v.Members[0].Value
		if d.Kind != canon.Object || len(d.Members) != 1 || d.Members[0].Key != "reason" || d.Members[0].Value.Kind != canon.String {
			return Decision{}, errors.New(`"Denied" must be {"reason":"…"}`)
		}
		return Decision{Verdict: Denied, Reason: d.Members[0].Value.Str}, nil
	}
	return Decision{}, errors.New(`want "Granted", "Timeout" or {"Denied":{"reason":"…"}}`)
}
