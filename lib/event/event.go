// Package event is the audit event payloads of upstream nono and their
// canonical JSON: the exact bytes every hash in the alpha scheme covers.
//
// One schema table (schema.go) describes the seven upstream event types
// field by field: declared key order, integer widths, enum values, and
// serde's omission rules (an Option skipped when None is absent from the
// canonical form; a plain Option is always written, null when empty). A
// Canonicalizer walks that table over raw JSON bytes and writes the
// canonical form into a reused buffer, so a stream of events costs no
// allocation per event. Objects whose "type" is not an upstream one are
// users' own events: they keep their key order and are only re-encoded
// compactly with canonical strings and numbers.
package event

import (
	"strconv"

	"github.com/nono-audit/nono/lib/canon"
)

// SessionStarted returns the canonical session_started event. command is
// the already-redacted command line; policy is canon.NullValue() when the
// redaction policy is the secure default, else the ScrubPolicyDiff object
// (keys in their declared order, empty lists left out, as lib/redact's
// Policy.Diff returns it).
func SessionStarted(started string, command []string, policy canon.Value) []byte {
	b := make([]byte, 0, 64+len(started)+16*len(command))
	b = append(b, `{"type":"session_started","started":`...)
	b = canon.AppendString(b, started)
	b = append(b, `,"command":[`...)
	for i, arg := range command {
		if i > 0 {
			b = append(b, ',')
		}
		b = canon.AppendString(b, arg)
	}
	b = append(b, ']')
	if policy.Kind != canon.Null {
		b = append(b, `,"redaction_policy":`...)
		b = canon.AppendCompact(b, policy)
	}
	return append(b, '}')
}

// SessionEnded returns the canonical session_ended event.
func SessionEnded(ended string, exitCode int32) []byte {
	b := make([]byte, 0, 64+len(ended))
	b = append(b, `{"type":"session_ended","ended":`...)
	b = canon.AppendString(b, ended)
	b = append(b, `,"exit_code":`...)
	b = strconv.AppendInt(b, int64(exitCode), 10)
	return append(b, '}')
}

// CanonicalizeNetworkEvent returns v, a NetworkAuditEvent, as upstream's
// typed serde writes it: declared key order, optional fields left out when
// absent or null. Keys the schema does not know (a newer recorder's) are
// kept as they stand, in their place, so that they stay covered. The
// session digest covers session.json's network events in this form.
func CanonicalizeNetworkEvent(v canon.Value) (canon.Value, error) {
	var c Canonicalizer
	out, err := c.AppendCanonicalNetworkEvent(nil, canon.Compact(v))
	if err != nil {
		return canon.Value{}, err
	}
	return canon.Parse(out)
}

// AppendCanonicalNetworkEvent appends the form CanonicalizeNetworkEvent gives
// of raw, one NetworkAuditEvent object, for streaming many events.
func (c *Canonicalizer) AppendCanonicalNetworkEvent(dst, raw []byte) ([]byte, error) {
	c.sc.Reset(raw)
	c.s, c.out, c.open, c.unknown = &c.sc, dst, true, ""
	c.members, c.path = c.members[:0], append(c.path[:0], networkSchema().id)
	defer func() { c.s, c.out = nil, nil }()
	k, err := c.sc.Peek()
	if err != nil {
		return dst, c.wrap(err)
	}
	if k != canon.Object {
		return dst, c.errorf("expected object, found %s", c.describe(k))
	}
	if err := c.object(networkSchema()); err != nil {
		return dst, err
	}
	if err := c.sc.End(); err != nil {
		return dst, c.wrap(err)
	}
	return c.out, nil
}

// SandboxRuntime returns the canonical sandbox_runtime event: timestamp is
// UTC (FormatTime of a UTC time, "+00:00"); abi is upstream's name of the
// Landlock ABI enforced ("V7"), "" when the command ran unsandboxed, which
// leaves out landlock_abi and landlock_execute_enforced as upstream's
// serde does for None.
func SandboxRuntime(timestamp, abi string, toolSandbox bool) []byte {
	b := make([]byte, 0, 160)
	b = append(b, `{"type":"sandbox_runtime","event":{"timestamp":`...)
	b = canon.AppendString(b, timestamp)
	b = append(b, `,"platform":"linux"`...)
	if abi != "" {
		b = append(b, `,"landlock_abi":`...)
		b = canon.AppendString(b, abi)
		b = append(b, `,"landlock_execute_enforced":true`...)
	}
	b = append(b, `,"tool_sandbox_active":`...)
	b = strconv.AppendBool(b, toolSandbox)
	return append(b, "}}"...)
}
