package event

import (
	"strconv"

	"github.com/nono-audit/nono/lib/canon"
)

// Network is the NetworkAuditEvent fields a filtering proxy sets. A zero
// value writes what upstream writes for an absent value: optional fields
// are left out, and port, method, path, status and reason are null (no
// request has port 0, status 0 or an empty method or path).
type Network struct {
	TimestampUnixMs uint64
	Mode            string // connect, connect_intercept, reverse, external
	Decision        string // allow, deny, approve_*
	// DenialCategory is host_denied, endpoint_policy,
	// upstream_connect_failed, connect_bypasses_l7, …
	DenialCategory       string
	EndpointPolicyAction string
	EndpointPolicyRule   string
	Target               string
	Upstream             string
	Port                 uint16
	Method               string
	Path                 string
	Status               uint16
	Reason               string
}

// networkEventPrefix starts every network event; the NetworkAuditEvent
// object follows it, and one '}' ends the event.
const networkEventPrefix = `{"type":"network","event":`

// AppendNetwork appends the canonical `network` event carrying n.
func AppendNetwork(dst []byte, n *Network) []byte {
	dst = append(dst, networkEventPrefix...)
	dst = AppendNetworkAuditEvent(dst, n)
	return append(dst, '}')
}

// AppendNetworkAuditEvent appends n as a canonical NetworkAuditEvent
// object, the form session.json's network_events hold.
func AppendNetworkAuditEvent(dst []byte, n *Network) []byte {
	dst = append(dst, `{"timestamp_unix_ms":`...)
	dst = strconv.AppendUint(dst, n.TimestampUnixMs, 10)
	dst = appendMember(dst, "mode", n.Mode, true)
	dst = appendMember(dst, "decision", n.Decision, true)
	dst = appendMember(dst, "denial_category", n.DenialCategory, false)
	dst = appendMember(dst, "endpoint_policy_action", n.EndpointPolicyAction, false)
	dst = appendMember(dst, "endpoint_policy_rule", n.EndpointPolicyRule, false)
	dst = appendMember(dst, "target", n.Target, true)
	dst = appendMember(dst, "upstream", n.Upstream, false)
	dst = append(dst, `,"port":`...)
	dst = appendUint16OrNull(dst, n.Port)
	dst = appendNullable(dst, "method", n.Method)
	dst = appendNullable(dst, "path", n.Path)
	dst = append(dst, `,"status":`...)
	dst = appendUint16OrNull(dst, n.Status)
	dst = appendNullable(dst, "reason", n.Reason)
	return append(dst, '}')
}

// appendMember writes ,"key":"value"; an empty value is written only when
// the field is required.
func appendMember(dst []byte, key, value string, required bool) []byte {
	if value == "" && !required {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return canon.AppendString(dst, value)
}

// appendNullable writes ,"key":"value", or null for an empty value.
func appendNullable(dst []byte, key, value string) []byte {
	if value != "" {
		return appendMember(dst, key, value, true)
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	return append(dst, `":null`...)
}

func appendUint16OrNull(dst []byte, n uint16) []byte {
	if n == 0 {
		return append(dst, "null"...)
	}
	return strconv.AppendUint(dst, uint64(n), 10)
}
