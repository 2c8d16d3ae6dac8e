// Package session is the session record (session.json) and the store that
// holds sessions on disk: the audit root, session IDs, session directories.
//
// session.json is byte-compatible with upstream nono: serde_json's pretty
// form, every key written, in upstream's order (docs/FORMAT.md §5). Keys
// this version does not know (a newer recorder's) are kept where they
// stood, in every object of the record, so that a stage rewriting the
// file never drops them and the session digest still covers them.
package session

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/nono-audit/nono/lib/canon"
)

// FileName is the session record inside a session directory.
const FileName = "session.json"

// Session is the content of session.json, fields in file order.
type Session struct {
	SessionID          string
	Started            string
	Ended              *string
	Command            []string
	ExecutableIdentity *ExecutableIdentity
	TrackedPaths       []string
	SnapshotCount      uint32
	ExitCode           *int32
	MerkleRoots        []string
	NetworkEvents      NetworkEvents // as recorded, key order included; never parsed whole
	AuditEventCount    uint64
	AuditIntegrity     *Integrity
	AuditAttestation   *Attestation
	// CommandPolicySummary is upstream's rollup of the log's
	// command_policy events, written last and only when present.
	CommandPolicySummary *CommandPolicySummary

	extra Extras // members this version does not know
}

// ExecutableIdentity names and hashes the executable that ran.
type ExecutableIdentity struct {
	ResolvedPath string
	SHA256       string
	extra        Extras
}

// Integrity is the summary of the session's event log.
type Integrity struct {
	HashAlgorithm string
	EventCount    uint64
	ChainHead     string
	MerkleRoot    string
	extra         Extras
}

// Attestation is the summary of the session's signed bundle.
type Attestation struct {
	PredicateType  string
	KeyID          string
	PublicKey      string
	BundleFilename string
	extra          Extras
}

// CommandPolicySummary counts the command_policy events of the log.
type CommandPolicySummary struct {
	MediationActive bool // absent (older files) reads as false
	EventCount      uint64
	InvocationCount uint64
	Commands        []CommandCount // by command name
	Truncated       bool           // more distinct commands than upstream keeps
	extra           Extras
}

// CommandCount is the rollup of one mediated command.
type CommandCount struct {
	Command                string
	Allowed, Denied, Other uint64
	extra                  Extras
}

// Extras are the members of an object that this version does not know,
// each remembered with the known key it followed, so that writing the
// object again puts them back where they stood.
type Extras []Extra

// Extra is one such member; After is the key of the known member before
// it ("" for none).
type Extra struct {
	After  string
	Member canon.Member
}

// merge returns known (an object's known members, in order) with the
// extras put back after the keys they followed; those whose key is gone
// come last.
func (x Extras) merge(known []canon.Member) []canon.Member {
	if len(x) == 0 {
		return known
	}
	out := make([]canon.Member, 0, len(known)+len(x))
	placed := make([]bool, len(x))
	after := func(key string) {
		for i, e := range x {
			if !placed[i] && e.After == key {
				out = append(out, e.Member)
				placed[i] = true
			}
		}
	}
	after("")
	for _, m := range known {
		out = append(out, m)
		after(m.Key)
	}
	for i, e := range x {
		if !placed[i] {
			out = append(out, e.Member)
		}
	}
	return out
}

// splitExtras returns the members of obj whose keys known does not hold.
func splitExtras(obj canon.Value, known ...string) Extras {
	var x Extras
	after := ""
	for _, m := range obj.Members {
		if slices.Contains(known, m.Key) {
			after = m.Key
			continue
		}
		x = append(x, Extra{After: after, Member: m})
	}
	return x
}

// Extra returns the members of session.json this version does not know.
func (s *Session) Extra() Extras { return s.extra }

// Value returns the session as an ordered JSON object, unknown members
// where they stood, except that network_events is an empty array: a
// proxied session may hold any number of events, so they are visited one
// at a time (NetworkEvents.Each), and EncodeTo and the session digest
// stream them into place.
func (s *Session) Value() canon.Value {
	str := canon.StringValue
	nullable := func(p *string) canon.Value {
		if p == nil {
			return canon.NullValue()
		}
		return str(*p)
	}
	exitCode := canon.NullValue()
	if s.ExitCode != nil {
		exitCode = canon.IntValue(int64(*s.ExitCode))
	}
	m := []canon.Member{
		{Key: "session_id", Value: str(s.SessionID)},
		{Key: "started", Value: str(s.Started)},
		{Key: "ended", Value: nullable(s.Ended)},
		{Key: "command", Value: canon.StringsValue(s.Command)},
		{Key: "executable_identity", Value: s.ExecutableIdentity.value()},
		{Key: "tracked_paths", Value: canon.StringsValue(s.TrackedPaths)},
		{Key: "snapshot_count", Value: canon.UintValue(uint64(s.SnapshotCount))},
		{Key: "exit_code", Value: exitCode},
		{Key: "merkle_roots", Value: canon.StringsValue(s.MerkleRoots)},
		{Key: "network_events", Value: canon.ArrayValue()},
		{Key: "audit_event_count", Value: canon.UintValue(s.AuditEventCount)},
		{Key: "audit_integrity", Value: s.AuditIntegrity.Value()},
		{Key: "audit_attestation", Value: s.AuditAttestation.Value()},
	}
	if s.CommandPolicySummary != nil {
		m = append(m, canon.Member{Key: "command_policy_summary", Value: s.CommandPolicySummary.Value()})
	}
	return canon.ObjectValue(s.extra.merge(m)...)
}

func (e *ExecutableIdentity) value() canon.Value {
	if e == nil {
		return canon.NullValue()
	}
	return canon.ObjectValue(e.extra.merge([]canon.Member{
		{Key: "resolved_path", Value: canon.StringValue(e.ResolvedPath)},
		{Key: "sha256", Value: canon.StringValue(e.SHA256)},
	})...)
}

// Value returns the summary as an ordered JSON object (null when nil).
func (i *Integrity) Value() canon.Value {
	if i == nil {
		return canon.NullValue()
	}
	return canon.ObjectValue(i.extra.merge([]canon.Member{
		{Key: "hash_algorithm", Value: canon.StringValue(i.HashAlgorithm)},
		{Key: "event_count", Value: canon.UintValue(i.EventCount)},
		{Key: "chain_head", Value: canon.StringValue(i.ChainHead)},
		{Key: "merkle_root", Value: canon.StringValue(i.MerkleRoot)},
	})...)
}

// Value returns the summary as an ordered JSON object (null when nil).
func (a *Attestation) Value() canon.Value {
	if a == nil {
		return canon.NullValue()
	}
	return canon.ObjectValue(a.extra.merge([]canon.Member{
		{Key: "predicate_type", Value: canon.StringValue(a.PredicateType)},
		{Key: "key_id", Value: canon.StringValue(a.KeyID)},
		{Key: "public_key", Value: canon.StringValue(a.PublicKey)},
		{Key: "bundle_filename", Value: canon.StringValue(a.BundleFilename)},
	})...)
}

// Value returns the summary as an ordered JSON object (null when nil):
// mediation_active, event_count, invocation_count, commands, truncated.
func (c *CommandPolicySummary) Value() canon.Value {
	if c == nil {
		return canon.NullValue()
	}
	cmds := make([]canon.Value, len(c.Commands))
	for i, cc := range c.Commands {
		cmds[i] = canon.ObjectValue(cc.extra.merge([]canon.Member{
			{Key: "command", Value: canon.StringValue(cc.Command)},
			{Key: "allowed", Value: canon.UintValue(cc.Allowed)},
			{Key: "denied", Value: canon.UintValue(cc.Denied)},
			{Key: "other", Value: canon.UintValue(cc.Other)},
		})...)
	}
	return canon.ObjectValue(c.extra.merge([]canon.Member{
		{Key: "mediation_active", Value: canon.BoolValue(c.MediationActive)},
		{Key: "event_count", Value: canon.UintValue(c.EventCount)},
		{Key: "invocation_count", Value: canon.UintValue(c.InvocationCount)},
		{Key: "commands", Value: canon.ArrayValue(cmds...)},
		{Key: "truncated", Value: canon.BoolValue(c.Truncated)},
	})...)
}

// Encode returns session.json's bytes: pretty, no trailing newline.
// Every string must be valid UTF-8 (JSON cannot carry other bytes, and
// upstream refuses them too).
func (s *Session) Encode() ([]byte, error) {
	var b bytes.Buffer
	if err := s.encodeTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeTo writes session.json's bytes to w, streaming the network events
// one at a time.
func (s *Session) encodeTo(w io.Writer) error {
	v := s.Value()
	if err := canon.CheckUTF8(v); err != nil {
		return fmt.Errorf("session %s: %w", s.SessionID, err)
	}
	err := writeAround(w, canon.Pretty(v), s.NetworkEvents.writePretty)
	if err != nil {
		return fmt.Errorf("session %s: %w", s.SessionID, err)
	}
	return nil
}

// Decode parses session.json. Like upstream it requires session_id, started,
// command, tracked_paths, snapshot_count and merkle_roots, and reads absent
// optional fields as null or empty. Keys it does not know are kept (Extra)
// where they stood.
func Decode(data []byte) (*Session, error) {
	rest, events, err := splitNetworkEvents(data)
	if err != nil {
		return nil, err
	}
	v, err := canon.Parse(rest)
	if err != nil {
		return nil, err
	}
	if v.Kind != canon.Object {
		return nil, errors.New("session record is not a JSON object")
	}
	d := decoder{obj: v}
	s := &Session{
		SessionID:     d.str("session_id", true),
		Started:       d.str("started", true),
		Ended:         d.optStr("ended"),
		Command:       d.strs("command", true),
		TrackedPaths:  d.strs("tracked_paths", true),
		SnapshotCount: uint32(d.uint("snapshot_count", true, 1<<32-1)),
		MerkleRoots:   d.strs("merkle_roots", true),
		extra: splitExtras(v, "session_id", "started", "ended", "command", "executable_identity",
			"tracked_paths", "snapshot_count", "exit_code", "merkle_roots", "network_events",
			"audit_event_count", "audit_integrity", "audit_attestation", "command_policy_summary"),
	}
	if x, ok := d.get("executable_identity"); ok && x.Kind != canon.Null {
		sub := decoder{obj: x, prefix: "executable_identity."}
		s.ExecutableIdentity = &ExecutableIdentity{
			ResolvedPath: sub.str("resolved_path", true),
			SHA256:       sub.str("sha256", true),
			extra:        splitExtras(x, "resolved_path", "sha256"),
		}
		d.take(sub)
	}
	if x, ok := d.get("exit_code"); ok && x.Kind != canon.Null {
		n, ok := x.Int()
		if !ok || n < -1<<31 || n > 1<<31-1 {
			d.fail("exit_code: want a 32-bit integer")
		}
		c := int32(n)
		s.ExitCode = &c
	}
	s.NetworkEvents = events
	s.AuditEventCount = d.uint("audit_event_count", false, 1<<64-1)
	if x, ok := d.get("audit_integrity"); ok && x.Kind != canon.Null {
		sub := decoder{obj: x, prefix: "audit_integrity."}
		s.AuditIntegrity = &Integrity{
			HashAlgorithm: sub.str("hash_algorithm", true),
			EventCount:    sub.uint("event_count", true, 1<<64-1),
			ChainHead:     sub.str("chain_head", true),
			MerkleRoot:    sub.str("merkle_root", true),
			extra:         splitExtras(x, "hash_algorithm", "event_count", "chain_head", "merkle_root"),
		}
		d.take(sub)
	}
	if x, ok := d.get("audit_attestation"); ok && x.Kind != canon.Null {
		sub := decoder{obj: x, prefix: "audit_attestation."}
		s.AuditAttestation = &Attestation{
			PredicateType:  sub.str("predicate_type", true),
			KeyID:          sub.str("key_id", true),
			PublicKey:      sub.str("public_key", true),
			BundleFilename: sub.str("bundle_filename", true),
			extra:          splitExtras(x, "predicate_type", "key_id", "public_key", "bundle_filename"),
		}
		d.take(sub)
	}
	if x, ok := d.get("command_policy_summary"); ok && x.Kind != canon.Null {
		s.CommandPolicySummary = d.commandPolicySummary(x)
	}
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
}

// commandPolicySummary reads upstream's CommandPolicySummary: every field
// required but mediation_active, which reads as false when absent.
func (d *decoder) commandPolicySummary(x canon.Value) *CommandPolicySummary {
	sub := decoder{obj: x, prefix: "command_policy_summary."}
	c := &CommandPolicySummary{
		MediationActive: sub.boolean("mediation_active", false),
		EventCount:      sub.uint("event_count", true, 1<<64-1),
		InvocationCount: sub.uint("invocation_count", true, 1<<64-1),
		Truncated:       sub.boolean("truncated", true),
		extra:           splitExtras(x, "mediation_active", "event_count", "invocation_count", "commands", "truncated"),
	}
	if cmds, ok := sub.present("commands", true); ok {
		if cmds.Kind != canon.Array {
			sub.fail("commands: want an array")
		}
		for i, e := range cmds.Elems {
			cd := decoder{obj: e, prefix: fmt.Sprintf("command_policy_summary.commands[%d].", i)}
			c.Commands = append(c.Commands, CommandCount{
				Command: cd.str("command", true),
				Allowed: cd.uint("allowed", true, 1<<64-1),
				Denied:  cd.uint("denied", true, 1<<64-1),
				Other:   cd.uint("other", true, 1<<64-1),
				extra:   splitExtras(e, "command", "allowed", "denied", "other"),
			})
			sub.take(cd)
		}
	}
	d.take(sub)
	return c
}

// decoder reads typed fields of an object, keeping the first error.
type decoder struct {
	obj    canon.Value
	prefix string
	err    error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(d.prefix+format, args...)
	}
}

func (d *decoder) take(sub decoder) {
	if d.err == nil {
		d.err = sub.err
	}
}

func (d *decoder) get(key string) (canon.Value, bool) {
	if d.obj.Kind != canon.Object {
		d.fail("want an object")
		return canon.Value{}, false
	}
	return d.obj.Get(key)
}

func (d *decoder) present(key string, required bool) (canon.Value, bool) {
	v, ok := d.get(key)
	if !ok {
		if required {
			d.fail("missing field %q", key)
		}
		return v, false
	}
	return v, true
}

func (d *decoder) str(key string, required bool) string {
	v, ok := d.present(key, required)
	if !ok {
		return ""
	}
	if v.Kind != canon.String {
		d.fail("%s: want a string, got %s", key, v.Kind)
	}
	return v.Str
}

func (d *decoder) optStr(key string) *string {
	v, ok := d.get(key)
	if !ok || v.Kind == canon.Null {
		return nil
	}
	if v.Kind != canon.String {
		d.fail("%s: want a string or null, got %s", key, v.Kind)
		return nil
	}
	s := v.Str
	return &s
}

func (d *decoder) strs(key string, required bool) []string {
	v, ok := d.present(key, required)
	if !ok {
		return []string{}
	}
	ss, ok := v.Strings()
	if !ok {
		d.fail("%s: want an array of strings", key)
	}
	return ss
}

func (d *decoder) boolean(key string, required bool) bool {
	v, ok := d.present(key, required)
	if !ok {
		return false
	}
	if v.Kind != canon.Bool {
		d.fail("%s: want true or false, got %s", key, v.Kind)
	}
	return v.Bool
}

func (d *decoder) uint(key string, required bool, max uint64) uint64 {
	v, ok := d.present(key, required)
	if !ok {
		return 0
	}
	n, ok := v.Uint()
	if !ok || n > max {
		d.fail("%s: want a non-negative integer up to %d", key, max)
	}
	return n
}
