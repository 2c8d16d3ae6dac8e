package capability

import (
	"path/filepath"
	"time"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/supervise"
)

// Expansion is capability requests for one session, as --approve and
// --approve-timeout set them up.
type Expansion struct {
	Backend  string // --approve as given
	Approver Approver
	Timeout  time.Duration
	// Unavailable says why requests are off although asked for (no
	// seccomp user notification, no sandbox); "" when they are on.
	Unavailable string
	spec        *sandbox.Spec
	listener    int // which of the spec's listeners is ours
}

// New checks --approve (a policy file is loaded, a program looked up)
// and whether this kernel can serve requests (getenv: Available).
func New(backend string, timeout time.Duration, getenv func(string) string) (*Expansion, error) {
	a, err := ParseBackend(backend)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Expansion{Backend: backend, Approver: a, Timeout: timeout, Unavailable: Available(getenv)}, nil
}

// Apply adds the notifying filter to the sandbox sb, when requests are
// available and the command is sandboxed at all.
func (e *Expansion) Apply(sb *supervise.Sandbox) {
	if sb.Spec == nil && e.Unavailable == "" {
		e.Unavailable = "the command runs unsandboxed"
	}
	if e.Unavailable == "" {
		f, err := Filter()
		if err != nil {
			e.Unavailable = err.Error()
		} else {
			for _, g := range sb.Spec.Filters {
				if g.NewListener {
					e.listener++
				}
			}
			sb.Spec.Filters = append(sb.Spec.Filters, f)
			e.spec = sb.Spec
		}
	}
	sb.Record = append(sb.Record, e.Member())
}

// Member is what policy.json says of capability requests.
func (e *Expansion) Member() canon.Member {
	state := canon.StringValue("on")
	reason := canon.NullValue()
	if e.Unavailable != "" {
		state, reason = canon.StringValue("off"), canon.StringValue(e.Unavailable)
	}
	return canon.Member{Key: "capability_requests", Value: canon.ObjectValue(
		canon.Member{Key: "state", Value: state},
		canon.Member{Key: "reason", Value: reason},
		canon.Member{Key: "approve", Value: canon.StringValue(e.Backend)},
		canon.Member{Key: "backend", Value: canon.StringValue(e.Approver.Name())},
		canon.Member{Key: "timeout_ms", Value: canon.IntValue(e.Timeout.Milliseconds())},
	)}
}

// WhileRunning serves the command's requests for supervise.Config;
// sessionDir names the session ("" for none).
func (e *Expansion) WhileRunning(sessionDir string) func(*supervise.Running) func() {
	return func(r *supervise.Running) func() {
		if e.spec == nil || len(r.Listeners) <= e.listener || r.Policy == nil {
			return func() {}
		}
		session := ""
		if sessionDir != "" {
			session = filepath.Base(sessionDir)
		}
		s := &Server{
			Listener:    r.Listeners[e.listener],
			Policy:      r.Policy,
			Unreachable: e.spec.Unreachable(),
			Approver:    e.Approver,
			Timeout:     e.Timeout,
			Emit:        r.Emitter.Emit,
			Session:     session,
		}
		return s.Start()
	}
}
