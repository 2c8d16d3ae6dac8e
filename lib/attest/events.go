package attest

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ndjson"
)

// startedPolicy returns the redaction_policy recorded in the first record
// of an audit event log, which must be the session_started event: the
// policy diff as recorded (an object), or Null when the event carries none
// (the secure default). The record's event_json is read when present (it
// is what the chain hashes), else its event object.
func startedPolicy(r io.Reader) (canon.Value, error) {
	line, err := ndjson.NewReader(r).Next()
	if errors.Is(err, io.EOF) {
		return canon.Value{}, errors.New("the log is empty: no session_started event")
	}
	if err != nil && !errors.Is(err, ndjson.ErrTruncated) {
		return canon.Value{}, err
	}
	raw, err := recordEvent(line)
	if err != nil {
		return canon.Value{}, fmt.Errorf("line 1: %w", err)
	}
	ev, err := canon.Parse(raw)
	if err != nil {
		return canon.Value{}, fmt.Errorf("line 1: event: %w", err)
	}
	typ, _ := ev.Get("type")
	if typ.Kind != canon.String || typ.Str != "session_started" {
		return canon.Value{}, fmt.Errorf("line 1: first event is %s, want session_started", describeType(typ))
	}
	policy, ok := ev.Get("redaction_policy")
	switch {
	case !ok || policy.Kind == canon.Null:
		return canon.NullValue(), nil
	case policy.Kind != canon.Object:
		return canon.Value{}, fmt.Errorf("line 1: session_started redaction_policy is %s, want an object", policy.Kind)
	}
	return policy, nil
}

// recordEvent returns a record's event: its event_json when present (what
// the chain hashes), else its event object.
func recordEvent(line []byte) ([]byte, error) {
	var s canon.Scanner
	s.Reset(line)
	if err := s.Object(); err != nil {
		return nil, fmt.Errorf("not a record: %w", err)
	}
	var eventJSON, event []byte
	hasJSON := false
	for {
		key, more, err := s.NextMember()
		if err != nil {
			return nil, fmt.Errorf("not a record: %w", err)
		}
		if !more {
			break
		}
		switch string(key) {
		case "event_json":
			if k, _ := s.Peek(); k != canon.String {
				return nil, errors.New("event_json is not a string")
			}
			if eventJSON, err = s.AppendString(nil); err != nil {
				return nil, err
			}
			hasJSON = true
		case "event":
			if k, _ := s.Peek(); k != canon.Object {
				return nil, errors.New("event is not an object")
			}
			if event, err = s.Raw(); err != nil {
				return nil, err
			}
		}
	}
	if err := s.End(); err != nil {
		return nil, fmt.Errorf("not a record: %w", err)
	}
	switch {
	case hasJSON:
		return eventJSON, nil
	case event != nil:
		return event, nil
	}
	return nil, errors.New("record has neither event_json nor event")
}

func describeType(v canon.Value) string {
	if v.Kind == canon.String {
		return fmt.Sprintf("%q", v.Str)
	}
	return "an event without a type"
}

// readStartedPolicy is startedPolicy of the log file at path.
func readStartedPolicy(path string) (canon.Value, error) {
	f, err := os.Open(path)
	if err != nil {
		return canon.Value{}, err
	}
	defer f.Close()
	v, err := startedPolicy(f)
	if err != nil {
		return canon.Value{}, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
