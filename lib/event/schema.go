package event

import "sync"

// The payload schemas of upstream nono's audit events, as one table. The
// canonicalizer walks it: field order here is the canonical key order, and
// each field's presence rule says what happens when it is missing or null.

// kind is the JSON shape a field must have.
type kind uint8

const (
	kString   kind = iota + 1
	kBool          // true or false
	kU16           // integer 0..65535
	kU32           // integer 0..2^32-1
	kU64           // integer 0..2^64-1
	kNanos         // integer 0..10^9-1: SystemTime's nanoseconds
	kI32           // integer -2^31..2^31-1
	kEnum          // one of field.enum
	kStrings       // array of strings
	kObject        // object described by field.obj
	kObjects       // array of objects described by field.obj
	kRequest       // ApprovalRequest: object tagged by capability_type
	kDecision      // ApprovalDecision: "Granted" | "Timeout" | {"Denied":{"reason":…}}
)

func (k kind) String() string {
	switch k {
	case kString, kEnum:
		return "string"
	case kBool:
		return "boolean"
	case kU16:
		return "u16"
	case kU32, kNanos:
		return "u32"
	case kU64:
		return "u64"
	case kI32:
		return "i32"
	case kStrings:
		return "array of strings"
	case kObject, kRequest:
		return "object"
	case kObjects:
		return "array of objects"
	case kDecision:
		return `"Granted", "Timeout" or {"Denied":{…}}`
	}
	return "value"
}

// bits is the width of an unsigned integer kind.
func (k kind) bits() int {
	switch k {
	case kU16:
		return 16
	case kU32, kNanos:
		return 32
	}
	return 64
}

// presence is how a field behaves when absent or null, mirroring the serde
// attributes upstream puts on it.
type presence uint8

const (
	// required: a plain field; absent or null is an error.
	required presence = iota
	// nullable: Option<T> always serialised; absent reads as null.
	nullable
	// omitNone: Option<T> skipped when None; null reads as None and the
	// canonical form has no key.
	omitNone
	// omitEmpty: Vec<T> skipped when empty; absent reads as empty.
	omitEmpty
)

type field struct {
	id   pathElem // name in error paths
	name string
	key  []byte // `"name":`, as written
	kind kind
	pres presence
	enum []string // kEnum
	obj  *schema  // kObject, kObjects
}

// schema is one object type: its fields in canonical order.
type schema struct {
	id     pathElem
	need   uint64 // fields that must be seen for the object to be written in one pass
	name   string
	fields []field
}

func newSchema(name string, fields ...field) *schema {
	if len(fields) > 64 {
		panic("event: schema " + name + " has more fields than a presence mask holds")
	}
	s := &schema{id: nameID(name), name: name, fields: fields}
	for i, f := range fields {
		s.fields[i].id = nameID(f.name)
		s.fields[i].key = []byte(`"` + f.name + `":`)
		if f.pres == required || f.pres == nullable {
			s.need |= 1 << i
		}
	}
	return s
}

// lookup returns the declared index of key, trying the fields after last
// first (canonical input names them in order), or -1. A schema has at
// most 64 fields, so a scan costs less than building a map for each.
func (s *schema) lookup(key []byte, last int) int {
	for i := last + 1; i < len(s.fields); i++ {
		if string(key) == s.fields[i].name {
			return i
		}
	}
	for i := range min(last+1, len(s.fields)) {
		if string(key) == s.fields[i].name {
			return i
		}
	}
	return -1
}

// A pathElem is one step of the path to a value, for messages: a name
// (an index in pathNames) or, when negative, the array index -(p+1).
// Paths are kept as plain integers so that maintaining them costs almost
// nothing on the way to a value that is fine.
type pathElem int32

var (
	pathMu    sync.Mutex // the tables are built lazily, maybe by several goroutines at once
	pathNames []string
	pathIDs   = map[string]pathElem{}
)

// nameID registers name for paths (at init, and while a table is built,
// once).
func nameID(name string) pathElem {
	pathMu.Lock()
	defer pathMu.Unlock()
	id, ok := pathIDs[name]
	if !ok {
		id = pathElem(len(pathNames))
		pathNames = append(pathNames, name)
		pathIDs[name] = id
	}
	return id
}

// pathName is the name registered as id.
func pathName(id pathElem) string {
	pathMu.Lock()
	defer pathMu.Unlock()
	return pathNames[id]
}

var deniedID = nameID("Denied")

// tagged is an internally tagged enum: the tag key comes first, then the
// fields of the variant it names.
type tagged struct {
	tag      string
	variants map[string]func() *schema
}

// variant returns the schema of the variant called name, or nil.
func (t *tagged) variant(name []byte) *schema {
	if build := t.variants[string(name)]; build != nil {
		return build()
	}
	return nil
}

func f(name string, k kind, p presence) field { return field{name: name, kind: k, pres: p} }

func enumField(name string, p presence, values ...string) field {
	return field{name: name, kind: kEnum, pres: p, enum: values}
}

func objField(name string, k kind, p presence, s *schema) field {
	return field{name: name, kind: k, pres: p, obj: s}
}

// Each table is built on first use, and only the tables an event needs:
// a program that never checks an event (nono-run, most of the time) does
// not pay for them at start, and a short session of a few event types
// builds a few of them, where each fresh page costs a page fault. A
// table is never modified once built, so canonicalizers share it.
var (
	eventTypes = tagged{tag: "type", variants: map[string]func() *schema{
		"session_started": sync.OnceValue(func() *schema {
			return newSchema("session_started",
				f("started", kString, required),
				f("command", kStrings, required),
				objField("redaction_policy", kObject, omitNone, policySchema()),
			)
		}),
		"session_ended": sync.OnceValue(func() *schema {
			return newSchema("session_ended",
				f("ended", kString, required),
				f("exit_code", kI32, required),
			)
		}),
		"capability_decision": sync.OnceValue(func() *schema {
			return newSchema("capability_decision",
				objField("entry", kObject, required, auditEntrySchema()),
			)
		}),
		"url_open": sync.OnceValue(func() *schema {
			return newSchema("url_open",
				objField("request", kObject, required, urlOpenSchema()),
				f("success", kBool, required),
				f("error", kString, nullable),
			)
		}),
		"network": sync.OnceValue(func() *schema {
			return newSchema("network",
				objField("event", kObject, required, networkSchema()),
			)
		}),
		"sandbox_runtime": sync.OnceValue(func() *schema {
			return newSchema("sandbox_runtime",
				objField("event", kObject, required, sandboxSchema()),
			)
		}),
		"command_policy": sync.OnceValue(func() *schema {
			return newSchema("command_policy",
				objField("event", kObject, required, commandPolicySchema()),
			)
		}),
	}}

	// requestTypes is ApprovalRequest, tagged by capability_type.
	requestTypes = tagged{tag: "capability_type", variants: map[string]func() *schema{
		"capability": sync.OnceValue(func() *schema {
			return newSchema("capability request", requestFields(
				f("request_id", kString, required),
				f("path", kString, required),
				enumField("access", required, "Read", "Write", "ReadWrite"),
			)...)
		}),
		"network": sync.OnceValue(func() *schema {
			return newSchema("network request", requestFields(
				f("request_id", kString, required),
				f("host", kString, required),
				f("port", kU16, required),
				f("protocol", kString, required), // "tcp" or "udp", a plain string upstream
				f("resolved_ips", kStrings, required),
			)...)
		}),
		"endpoint": sync.OnceValue(func() *schema {
			return newSchema("endpoint request", requestFields(
				f("request_id", kString, required),
				f("route_id", kString, required),
				f("upstream", kString, required),
				f("method", kString, required),
				f("path", kString, required),
				f("rule_label", kString, required),
			)...)
		}),
		"command": sync.OnceValue(func() *schema {
			return newSchema("command request", requestFields(
				f("request_id", kString, required),
				f("command", kString, required),
				f("args", kStrings, required),
				f("caller", kString, required),
				f("intercept_rule", kString, required),
			)...)
		}),
	}}

	policySchema = sync.OnceValue(func() *schema {
		return newSchema("ScrubPolicyDiff",
			f("added_flags", kStrings, omitEmpty),
			f("removed_flags", kStrings, omitEmpty),
			f("added_headers", kStrings, omitEmpty),
			f("removed_headers", kStrings, omitEmpty),
			f("added_query_keys", kStrings, omitEmpty),
			f("removed_query_keys", kStrings, omitEmpty),
			f("added_env_vars", kStrings, omitEmpty),
			f("removed_env_vars", kStrings, omitEmpty),
		)
	})

	deniedSchema = sync.OnceValue(func() *schema {
		return newSchema("Denied", f("reason", kString, required))
	})

	auditEntrySchema = sync.OnceValue(func() *schema {
		timestamp := newSchema("SystemTime",
			f("secs_since_epoch", kU64, required),
			f("nanos_since_epoch", kNanos, required),
		)
		return newSchema("AuditEntry",
			objField("timestamp", kObject, required, timestamp),
			f("request", kRequest, required),
			f("decision", kDecision, required),
			f("backend", kString, required),
			f("duration_ms", kU64, required),
		)
	})

	urlOpenSchema = sync.OnceValue(func() *schema {
		return newSchema("UrlOpenRequest",
			f("request_id", kString, required),
			f("url", kString, required),
			f("child_pid", kU32, required),
			f("session_id", kString, required),
		)
	})

	networkSchema = sync.OnceValue(func() *schema {
		delegation := newSchema("SpiffeDelegationContext",
			f("authorized_by", kString, required),
			f("on_behalf_of", kString, omitNone),
			f("chain_depth", kU32, required),
		)
		spiffe := newSchema("SpiffeAuditContext",
			f("workload_spiffe_id", kString, required),
			f("trust_domain", kString, required),
			f("svid_type", kString, required),
			f("source", kString, required),
			f("upstream_spiffe_id", kString, omitNone),
			objField("delegation", kObject, omitNone, delegation),
		)
		return newSchema("NetworkAuditEvent",
			f("timestamp_unix_ms", kU64, required),
			enumField("mode", required, "connect", "connect_intercept", "reverse", "external"),
			enumField("decision", required, "allow", "deny", "approve_requested", "approve_granted",
				"approve_denied", "approve_timeout", "approve_error"),
			f("route_id", kString, omitNone),
			enumField("auth_mechanism", omitNone, "proxy_authorization", "phantom_header",
				"phantom_path", "phantom_query", "spiffe_jwt_bearer", "spiffe_o_auth_assertion"),
			enumField("auth_outcome", omitNone, "succeeded", "failed"),
			f("managed_credential_active", kBool, omitNone),
			enumField("injection_mode", omitNone, "header", "url_path", "query_param", "basic_auth", "o_auth2",
				"spiffe_jwt"),
			enumField("denial_category", omitNone, "authentication_failed", "endpoint_policy",
				"managed_credential_unavailable", "host_denied", "intercept_handshake_failed",
				"upstream_connect_failed", "connect_bypasses_l7", "external_proxy_rejected",
				"unsupported_upgrade"),
			f("endpoint_policy_action", kString, omitNone),
			f("endpoint_policy_rule", kString, omitNone),
			f("approval_backend", kString, omitNone),
			f("credential_capture_action", kString, omitNone),
			f("credential_capture_name", kString, omitNone),
			f("credential_capture_command", kString, omitNone),
			f("credential_capture_argv", kStrings, omitNone),
			f("credential_capture_exit_status", kI32, omitNone),
			f("credential_capture_duration_ms", kU64, omitNone),
			f("credential_capture_stdout_bytes", kU64, omitNone),
			f("credential_capture_stderr", kString, omitNone),
			f("credential_capture_cache_scope", kString, omitNone),
			f("credential_capture_output_format", kString, omitNone),
			f("credential_capture_header_names", kStrings, omitNone),
			f("credential_capture_stdin_mode", kString, omitNone),
			f("credential_capture_interactive", kBool, omitNone),
			objField("spiffe_context", kObject, omitNone, spiffe),
			f("target", kString, required),
			f("upstream", kString, omitNone),
			f("port", kU16, nullable),
			f("method", kString, nullable),
			f("path", kString, nullable),
			f("status", kU16, nullable),
			f("reason", kString, nullable),
		)
	})

	sandboxSchema = sync.OnceValue(func() *schema {
		return newSchema("SandboxRuntimeAuditEvent",
			f("timestamp", kString, required),
			f("platform", kString, required),
			f("landlock_abi", kString, omitNone),
			f("landlock_execute_enforced", kBool, omitNone),
			f("tool_sandbox_active", kBool, required),
		)
	})

	commandPolicySchema = sync.OnceValue(func() *schema {
		stream := newSchema("CommandPolicyStdioStreamAudit",
			f("total_bytes", kU64, required),
			f("forwarded_bytes", kU64, required),
			f("max_bytes", kU64, omitNone),
			f("limit_exceeded", kBool, required),
			f("on_limit", kString, omitNone),
		)
		stdio := newSchema("CommandPolicyStdioAudit",
			objField("stdout", kObject, omitNone, stream),
			objField("stderr", kObject, omitNone, stream),
		)
		envEntry := newSchema("CommandPolicyEnvAuditEntry",
			f("name", kString, required),
			f("value_display", kString, required),
		)
		// caller_kind and stdio_mode are plain strings upstream (the values
		// seen are session/command/untrusted and pty/direct_fds), so any
		// string parses; decision is free text as well.
		return newSchema("CommandPolicyAuditEvent",
			f("timestamp", kString, required),
			f("session_id", kString, omitNone),
			f("command", kString, required),
			f("caller", kString, required),
			f("caller_kind", kString, omitNone),
			f("caller_command", kString, omitNone),
			f("caller_pid", kU32, omitNone),
			f("shim_pid", kU32, omitNone),
			f("session_root_pid", kU32, omitNone),
			f("decision", kString, required),
			f("reason", kString, nullable),
			f("stdio_mode", kString, required),
			f("argv_hash", kString, required),
			f("env_name_hash", kString, required),
			f("cwd_hash", kString, required),
			f("argv_display", kStrings, required),
			f("env_names_display", kStrings, required),
			objField("env_display", kObjects, omitEmpty, envEntry),
			f("cwd_display", kString, required),
			f("exit_code", kI32, nullable),
			objField("stdio", kObject, omitNone, stdio),
		)
	})
)

// requestFields are a request variant's fields followed by those every
// variant ends with.
func requestFields(fields ...field) []field {
	return append(fields,
		f("reason", kString, nullable),
		f("child_pid", kU32, required),
		f("session_id", kString, required),
	)
}

// types lists the event types with an upstream schema.
func types() []string {
	return []string{"session_started", "session_ended", "capability_decision", "url_open",
		"network", "sandbox_runtime", "command_policy"}
}

// known reports whether typ is an event type with an upstream schema.
func known(typ string) bool {
	_, ok := eventTypes.variants[typ]
	return ok
}
