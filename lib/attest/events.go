package attest

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tidwall/gjson"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ndjson"
)

// StartedPolicy returns the redaction_policy recorded in the first record
// of an audit event log, which must be the session_started event: the
// policy diff as recorded (an object), or Null when the event carries none
// (the secure default). The record's event_json is read when present (it
// is what the chain hashes), else its event object.
func StartedPolicy(r io.Reader) (canon.Value, error) {
	line, err := ndjson.NewReader(r).Next()
	if errors.Is(err, io.EOF) {
		return canon.Value{}, errors.New("the log is empty: no session_started event")
	}
	if err != nil && !errors.Is(err, ndjson.ErrTruncated) {
		return canon.Value{}, err
	}
	var raw []byte
	if ej := gjson.GetBytes(line, "event_json"); ej.Exists() {
		if ej.Type != gjson.String {
			return canon.Value{}, errors.New("line 1: event_json is not a string")
		}
		raw = []byte(ej.String())
	} else if ev := gjson.GetBytes(line, "event"); ev.IsObject() {
		raw = []byte(ev.Raw)
	} else {
		return canon.Value{}, errors.New("line 1: record has neither event_json nor event")
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

func describeType(v canon.Value) string {
	if v.Kind == canon.String {
		return fmt.Sprintf("%q", v.Str)
	}
	return "an event without a type"
}

// readStartedPolicy is StartedPolicy of the log file at path.
func readStartedPolicy(path string) (canon.Value, error) {
	f, err := os.Open(path)
	if err != nil {
		return canon.Value{}, err
	}
	defer f.Close()
	v, err := StartedPolicy(f)
	if err != nil {
		return canon.Value{}, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}
