package chain

import (
	"errors"
	"fmt"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/merkle"
)

// Pins are totals a verifier holds from elsewhere (session.json's
// audit_integrity, nono-merkle's summary line, a signed bundle, a note
// taken when the log was closed). Records verified against pins prove
// that nothing was removed from, added to or changed in the log since the
// pins were taken. A nil field is not pinned.
type Pins struct {
	Count *uint64
	Head  *merkle.Hash
	Root  *merkle.Hash
}

// Any reports whether anything is pinned.
func (p Pins) Any() bool { return p.Count != nil || p.Head != nil || p.Root != nil }

// ParseSummary reads an integrity summary, the one-line output of
// nono-merkle and the audit_integrity object of session.json:
//
//	{"hash_algorithm":"sha256","event_count":N,"chain_head":HEX|null,"merkle_root":HEX|null}
//
// Every key must be present and no other key may appear; the hashes are
// null only for an empty log.
func ParseSummary(data []byte) (Pins, error) {
	v, err := canon.Parse(data)
	if err != nil {
		return Pins{}, fmt.Errorf("invalid summary: %w", err)
	}
	if v.Kind != canon.Object {
		return Pins{}, errors.New("invalid summary: want a JSON object")
	}
	for _, m := range v.Members {
		switch m.Key {
		case "hash_algorithm", "event_count", "chain_head", "merkle_root":
		default:
			return Pins{}, fmt.Errorf("invalid summary: unknown key %q", m.Key)
		}
	}
	alg, _ := v.Get("hash_algorithm")
	if alg.Kind != canon.String || alg.Str != "sha256" {
		return Pins{}, fmt.Errorf("invalid summary: hash_algorithm must be \"sha256\", found %s", canon.Compact(alg))
	}
	countV, ok := v.Get("event_count")
	count, isInt := countV.Uint()
	if !ok || !isInt {
		return Pins{}, errors.New("invalid summary: event_count must be a non-negative integer")
	}
	p := Pins{Count: &count}
	for _, f := range []struct {
		key string
		dst **merkle.Hash
	}{{"chain_head", &p.Head}, {"merkle_root", &p.Root}} {
		hv, ok := v.Get(f.key)
		switch {
		case !ok:
			return Pins{}, fmt.Errorf("invalid summary: missing %s", f.key)
		case hv.Kind == canon.Null:
			if count != 0 {
				return Pins{}, fmt.Errorf("invalid summary: %s is null for %d events", f.key, count)
			}
		case hv.Kind == canon.String:
			h, err := merkle.ParseHash(hv.Str)
			if err != nil {
				return Pins{}, fmt.Errorf("invalid summary: %s: %w", f.key, err)
			}
			if count == 0 {
				return Pins{}, fmt.Errorf("invalid summary: %s is set for an empty log", f.key)
			}
			*f.dst = &h
		default:
			return Pins{}, fmt.Errorf("invalid summary: %s must be a hex string or null", f.key)
		}
	}
	return p, nil
}

// Merge adds q's pins to p; a total pinned in both must agree.
func (p Pins) Merge(q Pins) (Pins, error) {
	if q.Count != nil {
		if p.Count != nil && *p.Count != *q.Count {
			return p, fmt.Errorf("conflicting pinned event counts %d and %d", *p.Count, *q.Count)
		}
		p.Count = q.Count
	}
	for _, f := range []struct {
		name string
		dst  **merkle.Hash
		src  *merkle.Hash
	}{{"chain heads", &p.Head, q.Head}, {"Merkle roots", &p.Root, q.Root}} {
		if f.src == nil {
			continue
		}
		if *f.dst != nil && **f.dst != *f.src {
			return p, fmt.Errorf("conflicting pinned %s %s and %s", f.name, merkle.Hex(**f.dst), merkle.Hex(*f.src))
		}
		*f.dst = f.src
	}
	return p, nil
}

// MismatchError is a log whose records verify but whose totals differ
// from the pinned ones, or that cannot be checked against them.
type MismatchError struct{ Msg string }

func (e *MismatchError) Error() string { return e.Msg }

// Verdict reports true: the log is not the pinned one (exit status 1, lib/cli).
func (e *MismatchError) Verdict() bool { return true }

// Check compares a verified log's totals with the pins, in upstream's
// order: a pinned log must carry event_json in every record, then the
// count, the chain head and the Merkle root must be the pinned ones. (An
// empty log has no head or root, so any pinned one differs.)
func (p Pins) Check(res *Result) error {
	if !p.Any() {
		return nil
	}
	if res.MissingEventJSON {
		return &MismatchError{"log is missing canonical event_json bytes"}
	}
	if p.Count != nil && *p.Count != res.EventCount {
		return &MismatchError{fmt.Sprintf("event count mismatch: log has %d records, pinned %d", res.EventCount, *p.Count)}
	}
	if p.Head != nil && (res.ChainHead == nil || *res.ChainHead != *p.Head) {
		return &MismatchError{fmt.Sprintf("chain head mismatch: computed %s, pinned %s", optHex(res.ChainHead), merkle.Hex(*p.Head))}
	}
	if p.Root != nil && (res.MerkleRoot == nil || *res.MerkleRoot != *p.Root) {
		return &MismatchError{fmt.Sprintf("Merkle root mismatch: computed %s, pinned %s", optHex(res.MerkleRoot), merkle.Hex(*p.Root))}
	}
	return nil
}

func optHex(h *merkle.Hash) string {
	if h == nil {
		return "null"
	}
	return merkle.Hex(*h)
}

func optHashValue(h *merkle.Hash) canon.Value {
	if h == nil {
		return canon.NullValue()
	}
	return canon.StringValue(merkle.Hex(*h))
}

// Report is upstream's AuditVerificationResult for res checked against
// pins, then what this verifier adds: missing_canonical_event_json (as
// nono-py names it), lenient_lines, unknown_schema_events (with the line
// and description of the first), truncated_tail_line, and error and line
// when the log is invalid (verr: a *RecordError, *TornError, *InputError
// or *MismatchError). records_verified says whether every record-level
// check passed; the totals are those of the records verified before any
// invalid line.
func Report(res *Result, pins Pins, verr error) canon.Value {
	if res == nil {
		res = &Result{}
	}
	line, msg := 0, ""
	var re *RecordError
	var te *TornError
	var ie *InputError
	switch {
	case errors.As(verr, &re):
		line, msg = re.Line, re.Msg
	case errors.As(verr, &te):
		line, msg = te.Line, te.Error()
	case errors.As(verr, &ie):
		line, msg = ie.Line, ie.Error()
	case verr != nil:
		msg = verr.Error()
	}
	count := canon.NullValue()
	if pins.Count != nil {
		count = canon.UintValue(*pins.Count)
	}
	m := []canon.Member{
		{Key: "hash_algorithm", Value: canon.StringValue("sha256")},
		{Key: "merkle_scheme", Value: canon.StringValue("alpha")},
		{Key: "event_count", Value: canon.UintValue(res.EventCount)},
		{Key: "computed_chain_head", Value: optHashValue(res.ChainHead)},
		{Key: "computed_merkle_root", Value: optHashValue(res.MerkleRoot)},
		{Key: "stored_event_count", Value: count},
		{Key: "stored_chain_head", Value: optHashValue(pins.Head)},
		{Key: "stored_merkle_root", Value: optHashValue(pins.Root)},
		{Key: "event_count_matches", Value: canon.BoolValue(pins.Count == nil || *pins.Count == res.EventCount)},
		{Key: "records_verified", Value: canon.BoolValue(line == 0)},
	}
	if res.MissingEventJSON {
		m = append(m, canon.Member{Key: "missing_canonical_event_json", Value: canon.BoolValue(true)})
	}
	if len(res.LenientLines) > 0 {
		m = append(m, canon.Member{Key: "lenient_lines", Value: intsValue(res.LenientLines)})
	}
	if res.UnknownCount > 0 {
		m = append(m,
			canon.Member{Key: "unknown_schema_events", Value: canon.UintValue(res.UnknownCount)},
			canon.Member{Key: "unknown_schema_lines", Value: intsValue(res.UnknownLines)},
			canon.Member{Key: "unknown_schema_first", Value: canon.StringValue(res.Unknown)},
		)
	}
	if res.TruncatedTail {
		m = append(m, canon.Member{Key: "truncated_tail_line", Value: canon.IntValue(int64(res.TruncatedLine))})
	}
	if verr != nil {
		m = append(m, canon.Member{Key: "error", Value: canon.StringValue(msg)})
		if line > 0 {
			m = append(m, canon.Member{Key: "line", Value: canon.IntValue(int64(line))})
		}
	}
	return canon.ObjectValue(m...)
}

func intsValue(ns []int) canon.Value {
	vs := make([]canon.Value, len(ns))
	for i, n := range ns {
		vs[i] = canon.IntValue(int64(n))
	}
	return canon.ArrayValue(vs...)
}
