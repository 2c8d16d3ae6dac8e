// Package session is the session record (session.json) and the store that
// holds sessions on disk: the audit root, session IDs, session directories.
//
// session.json is byte-compatible with upstream nono: serde_json's pretty
// form, every key written, in upstream's order (docs/FORMAT.md §5).
package session

import (
	"errors"
	"fmt"

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
	NetworkEvents      []canon.Value // kept as recorded, key order included
	AuditEventCount    uint64
	AuditIntegrity     *Integrity
	AuditAttestation   *Attestation
}

// ExecutableIdentity names and hashes the executable that ran.
type ExecutableIdentity struct {
	ResolvedPath string
	SHA256       string
}

// Integrity is the summary of the session's event log.
type Integrity struct {
	HashAlgorithm string
	EventCount    uint64
	ChainHead     string
	MerkleRoot    string
}

// Attestation is the summary of the session's signed bundle.
type Attestation struct {
	PredicateType  string
	KeyID          string
	PublicKey      string
	BundleFilename string
}

// Value returns the session as an ordered JSON object.
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
	network := s.NetworkEvents
	if network == nil {
		network = []canon.Value{}
	}
	return canon.ObjectValue(
		canon.Member{Key: "session_id", Value: str(s.SessionID)},
		canon.Member{Key: "started", Value: str(s.Started)},
		canon.Member{Key: "ended", Value: nullable(s.Ended)},
		canon.Member{Key: "command", Value: canon.StringsValue(s.Command)},
		canon.Member{Key: "executable_identity", Value: s.ExecutableIdentity.value()},
		canon.Member{Key: "tracked_paths", Value: canon.StringsValue(s.TrackedPaths)},
		canon.Member{Key: "snapshot_count", Value: canon.UintValue(uint64(s.SnapshotCount))},
		canon.Member{Key: "exit_code", Value: exitCode},
		canon.Member{Key: "merkle_roots", Value: canon.StringsValue(s.MerkleRoots)},
		canon.Member{Key: "network_events", Value: canon.ArrayValue(network...)},
		canon.Member{Key: "audit_event_count", Value: canon.UintValue(s.AuditEventCount)},
		canon.Member{Key: "audit_integrity", Value: s.AuditIntegrity.Value()},
		canon.Member{Key: "audit_attestation", Value: s.AuditAttestation.Value()},
	)
}

func (e *ExecutableIdentity) value() canon.Value {
	if e == nil {
		return canon.NullValue()
	}
	return canon.ObjectValue(
		canon.Member{Key: "resolved_path", Value: canon.StringValue(e.ResolvedPath)},
		canon.Member{Key: "sha256", Value: canon.StringValue(e.SHA256)},
	)
}

// Value returns the summary as an ordered JSON object (null when nil).
func (i *Integrity) Value() canon.Value {
	if i == nil {
		return canon.NullValue()
	}
	return canon.ObjectValue(
		canon.Member{Key: "hash_algorithm", Value: canon.StringValue(i.HashAlgorithm)},
		canon.Member{Key: "event_count", Value: canon.UintValue(i.EventCount)},
		canon.Member{Key: "chain_head", Value: canon.StringValue(i.ChainHead)},
		canon.Member{Key: "merkle_root", Value: canon.StringValue(i.MerkleRoot)},
	)
}

// Value returns the summary as an ordered JSON object (null when nil).
func (a *Attestation) Value() canon.Value {
	if a == nil {
		return canon.NullValue()
	}
	return canon.ObjectValue(
		canon.Member{Key: "predicate_type", Value: canon.StringValue(a.PredicateType)},
		canon.Member{Key: "key_id", Value: canon.StringValue(a.KeyID)},
		canon.Member{Key: "public_key", Value: canon.StringValue(a.PublicKey)},
		canon.Member{Key: "bundle_filename", Value: canon.StringValue(a.BundleFilename)},
	)
}

// Encode returns session.json's bytes: pretty, no trailing newline.
// Every string must be valid UTF-8 (JSON cannot carry other bytes, and
// upstream refuses them too).
func (s *Session) Encode() ([]byte, error) {
	v := s.Value()
	if err := canon.CheckUTF8(v); err != nil {
		return nil, fmt.Errorf("session %s: %w", s.SessionID, err)
	}
	return canon.Pretty(v), nil
}

// Decode parses session.json. Like upstream it requires session_id, started,
// command, tracked_paths, snapshot_count and merkle_roots, reads absent
// optional fields as null or empty, and ignores unknown keys.
func Decode(data []byte) (*Session, error) {
	v, err := canon.Parse(data)
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
	}
	if x, ok := d.get("executable_identity"); ok && x.Kind != canon.Null {
		sub := decoder{obj: x, prefix: "executable_identity."}
		s.ExecutableIdentity = &ExecutableIdentity{
			ResolvedPath: sub.str("resolved_path", true),
			SHA256:       sub.str("sha256", true),
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
	if x, ok := d.get("network_events"); ok && x.Kind != canon.Null {
		if x.Kind != canon.Array {
			d.fail("network_events: want an array")
		}
		s.NetworkEvents = x.Elems
	}
	s.AuditEventCount = d.uint("audit_event_count", false, 1<<64-1)
	if x, ok := d.get("audit_integrity"); ok && x.Kind != canon.Null {
		sub := decoder{obj: x, prefix: "audit_integrity."}
		s.AuditIntegrity = &Integrity{
			HashAlgorithm: sub.str("hash_algorithm", true),
			EventCount:    sub.uint("event_count", true, 1<<64-1),
			ChainHead:     sub.str("chain_head", true),
			MerkleRoot:    sub.str("merkle_root", true),
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
		}
		d.take(sub)
	}
	if d.err != nil {
		return nil, d.err
	}
	return s, nil
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
