package event

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/internal/vectors"

	"github.com/nono-audit/nono/lib/canon"
)

func readLines(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, append([]byte(nil), sc.Bytes()...))
		}
	}
	return lines
}

// openForm is the canonical form of raw under the open rules.
func openForm(c *Canonicalizer, raw []byte) ([]byte, error) {
	var s canon.Scanner
	s.Reset(raw)
	out, err := c.AppendOpen(nil, &s)
	if err == nil {
		err = s.End()
	}
	return out, err
}

// Every payload variant, written canonically, comes back byte for byte
// under both the input rules and the open rules.
func TestVariantsRoundTrip(t *testing.T) {
	var c Canonicalizer
	seen := map[string]bool{}
	for _, line := range readLines(t, "testdata/variants.ndjson") {
		got, err := c.Append(nil, line)
		if err != nil {
			t.Errorf("%s\n  error: %v", line, err)
			continue
		}
		if !bytes.Equal(got, line) {
			t.Errorf("not a fixed point:\n  in:  %s\n  out: %s", line, got)
		}
		open, err := openForm(&c, line)
		if err != nil || !bytes.Equal(open, line) {
			t.Errorf("open rules differ: %s (%v)", open, err)
		}
		v0, _ := canon.Parse(line)
		typ0, _ := v0.Get("type")
		if known := known(typ0.Str); known != (c.Unknown() == "") {
			t.Errorf("%s: Unknown() = %q", line, c.Unknown())
		}
		v, err := canon.Parse(line)
		if err != nil {
			t.Fatalf("fixture is not JSON: %v", err)
		}
		typ, _ := v.Get("type")
		seen[typ.Str] = true
	}
	for _, typ := range types() {
		if !seen[typ] {
			t.Errorf("no fixture for event type %s", typ)
		}
	}
}

func TestGoldenExamples(t *testing.T) {
	for _, name := range []string{vectors.Path("capability_decision.json"), vectors.Path("url_open.json")} {
		want := bytes.TrimSuffix(mustRead(t, name), []byte("\n"))
		// Re-encode from a pretty, reordered form: the canonical bytes must
		// come back exactly.
		v, err := canon.Parse(want)
		if err != nil {
			t.Fatal(err)
		}
		reversed := reverseKeys(v)
		got, err := Canonicalize(canon.Pretty(reversed))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got  %s\n want %s", name, got, want)
		}
	}
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// reverseKeys reverses the key order of every object, recursively.
func reverseKeys(v canon.Value) canon.Value {
	switch v.Kind {
	case canon.Object:
		ms := make([]canon.Member, len(v.Members))
		for i, m := range v.Members {
			ms[len(ms)-1-i] = canon.Member{Key: m.Key, Value: reverseKeys(m.Value)}
		}
		return canon.ObjectValue(ms...)
	case canon.Array:
		es := make([]canon.Value, len(v.Elems))
		for i, e := range v.Elems {
			es[i] = reverseKeys(e)
		}
		return canon.ArrayValue(es...)
	}
	return v
}

// Reordering every object and pretty-printing changes nothing canonical.
func TestVariantsReordered(t *testing.T) {
	for _, line := range readLines(t, "testdata/variants.ndjson") {
		v, _ := canon.Parse(line)
		typ, _ := v.Get("type")
		if !known(typ.Str) {
			continue // custom types keep their input order
		}
		got, err := Canonicalize(canon.Pretty(reverseKeys(v)))
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		if !bytes.Equal(got, line) {
			t.Errorf("reordered:\n got  %s\n want %s", got, line)
		}
	}
}

func TestNormalisation(t *testing.T) {
	cases := []struct{ in, want string }{
		// Escapes decoded and re-encoded the serde way.
		{`{"type":"session_ended","ended":"a\/b\u00e9\u2028\u007f\ud83d\ude00","exit_code":1}`,
			"{\"type\":\"session_ended\",\"ended\":\"a/b\u00e9\u2028\u007f\U0001F600\",\"exit_code\":1}"},
		{`{"type":"session_ended","ended":"\u0001\u0008\u000c\n\r\t\u001f\"\\","exit_code":1}`,
			`{"type":"session_ended","ended":"\u0001\b\f\n\r\t\u001f\"\\","exit_code":1}`},
		// Tag anywhere; whitespace anywhere.
		{" {\n \"exit_code\" : 0 ,\t\"ended\":\"x\", \"type\" :\"session_ended\" }\r\n",
			`{"type":"session_ended","ended":"x","exit_code":0}`},
		// Escaped key names and tag value.
		{`{"\u0074ype":"session_\u0065nded","ended":"x","exit_\u0063ode":0}`,
			`{"type":"session_ended","ended":"x","exit_code":0}`},
		// Options skipped when None: null and absent are the same.
		{`{"type":"session_started","started":"s","command":[],"redaction_policy":null}`,
			`{"type":"session_started","started":"s","command":[]}`},
		// Vec skipped when empty.
		{`{"type":"session_started","started":"s","command":["a"],"redaction_policy":{"added_flags":[],"removed_flags":["x"]}}`,
			`{"type":"session_started","started":"s","command":["a"],"redaction_policy":{"removed_flags":["x"]}}`},
		// A plain Option is always written; absent reads as null.
		{`{"type":"url_open","request":{"request_id":"r","url":"u","child_pid":1,"session_id":"s"},"success":true}`,
			`{"type":"url_open","request":{"request_id":"r","url":"u","child_pid":1,"session_id":"s"},"success":true,"error":null}`},
		{`{"type":"network","event":{"target":"t","decision":"deny","mode":"reverse","timestamp_unix_ms":5,"route_id":null,"managed_credential_active":null}}`,
			`{"type":"network","event":{"timestamp_unix_ms":5,"mode":"reverse","decision":"deny","target":"t","port":null,"method":null,"path":null,"status":null,"reason":null}}`},
		{`{"type":"command_policy","event":{"timestamp":"t","command":"c","caller":"k","decision":"d","stdio_mode":"pty","argv_hash":"a","env_name_hash":"e","cwd_hash":"w","argv_display":[],"env_names_display":[],"env_display":[],"cwd_display":"/","stdio":{"stdout":null}}}`,
			`{"type":"command_policy","event":{"timestamp":"t","command":"c","caller":"k","decision":"d","reason":null,"stdio_mode":"pty","argv_hash":"a","env_name_hash":"e","cwd_hash":"w","argv_display":[],"env_names_display":[],"cwd_display":"/","exit_code":null,"stdio":{}}}`},
		// Unit variants in map form.
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"session_id":"s","child_pid":1,"access":"Read","path":"/p","request_id":"r","capability_type":"capability"},"decision":{"Granted":null},"backend":"b","duration_ms":0}}`,
			`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"capability","request_id":"r","path":"/p","access":"Read","reason":null,"child_pid":1,"session_id":"s"},"decision":"Granted","backend":"b","duration_ms":0}}`},
		// Custom types: input order kept, numbers as serde_json writes them.
		{`{ "z": 1.50, "type": "mine", "a": [1e2, -0, 10, 0.001, 1E21, 12345678901234567890], "s":"\u00e9" }`,
			`{"z":1.5,"type":"mine","a":[100.0,-0.0,10,0.001,1e21,12345678901234567890],"s":"é"}`},
	}
	for _, tc := range cases {
		got, err := Canonicalize([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s\n got  %s\n want %s", tc.in, got, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	ended := func(extra string) string { return `{"type":"session_ended","ended":"x","exit_code":0` + extra + `}` }
	cases := []struct{ in, want string }{
		{``, "empty input"},
		{`[]`, "event must be a JSON object, found array"},
		{`{}`, `missing field "type"`},
		{`{"type":5}`, `field "type" must be a string, found number 5`},
		{`{"type":"session_ended","type":"session_ended","ended":"x","exit_code":0}`, `duplicate key "type"`},
		{ended(`,"extra":1`), `session_ended: unknown field "extra" (known: ended, exit_code)`},
		{ended(`,"ended":"y"`), `session_ended: duplicate key "ended"`},
		{`{"type":"session_ended","ended":"x"}`, `session_ended: missing field "exit_code"`},
		{`{"type":"session_ended","ended":null,"exit_code":0}`, `session_ended.ended: expected string, found null`},
		{`{"type":"session_ended","ended":"x","exit_code":"0"}`, `session_ended.exit_code: expected i32, found string`},
		{`{"type":"session_ended","ended":"x","exit_code":2147483648}`, `2147483648 out of range for i32`},
		{`{"type":"session_ended","ended":"x","exit_code":-2147483649}`, `out of range for i32`},
		{`{"type":"session_ended","ended":"x","exit_code":1.0}`, `expected i32, found floating point 1.0`},
		{`{"type":"session_ended","ended":"x","exit_code":1e3}`, `found floating point 1e3`},
		{`{"type":"session_ended","ended":"x","exit_code":-0}`, `found floating point -0`},
		{`{"type":"session_ended","ended":"x","exit_code":01}`, `expected ',' or '}' in object`},
		{`{"type":"session_ended","ended":"x","exit_code":99999999999999999999}`, `out of range for i32`},
		{`{"type":"session_ended","ended":"x","exit_code":0}x`, `trailing characters`},
		{`{"type":"session_ended","ended":"x","exit_code":0`, `unexpected end of JSON input in object`},
		{"{\"type\":\"session_ended\",\"ended\":\"\xff\",\"exit_code\":0}", `invalid UTF-8`},
		{"{\"type\":\"session_ended\",\"ended\":\"\x01\",\"exit_code\":0}", `control character`},
		{`{"type":"session_ended","ended":"\ud800","exit_code":0}`, `lone leading surrogate`},
		{`{"type":"session_ended","ended":"\udc00","exit_code":0}`, `lone trailing surrogate`},
		{`{"type":"session_ended","ended":"\x","exit_code":0}`, `invalid escape`},
		{`{"type":"network","event":{"timestamp_unix_ms":1,"mode":"connect","decision":"allow","injection_mode":"oauth2","target":"t"}}`,
			`network.event.injection_mode: unknown variant "oauth2" (expected one of header, url_path, query_param, basic_auth, o_auth2, spiffe_jwt)`},
		{`{"type":"network","event":{"timestamp_unix_ms":1,"mode":"connect","decision":"allow","target":"t","port":65536}}`, `network.event.port: 65536 out of range for u16`},
		{`{"type":"network","event":{"timestamp_unix_ms":-1,"mode":"connect","decision":"allow","target":"t"}}`, `-1 out of range for u64`},
		{`{"type":"url_open","request":{"request_id":"r","url":"u","child_pid":4294967296,"session_id":"s"},"success":true}`, `url_open.request.child_pid: 4294967296 out of range for u32`},
		{`{"type":"url_open","request":{"request_id":"r","url":"u","child_pid":1,"session_id":"s"},"success":"yes"}`, `url_open.success: expected boolean, found string`},
		{`{"type":"session_started","started":"s","command":["a",1]}`, `session_started.command[1]: expected string, found number 1`},
		{`{"type":"session_started","started":"s","command":"a"}`, `session_started.command: expected array of strings, found string`},
		{`{"type":"session_started","started":"s","command":[],"redaction_policy":{"added_flags":null}}`, `redaction_policy.added_flags: expected array of strings, found null`},
		{`{"type":"capability_decision","entry":{"timestamp":"5","request":{},"decision":"Granted","backend":"b","duration_ms":0}}`, `capability_decision.entry.timestamp: expected object, found string`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"request_id":"r"},"decision":"Granted","backend":"b","duration_ms":0}}`, `capability_decision.entry.request: missing field "capability_type"`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"file"},"decision":"Granted","backend":"b","duration_ms":0}}`, `unknown capability_type "file" (expected one of capability, command, endpoint, network)`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"capability","request_id":"r","path":"/","access":"Exec","child_pid":1,"session_id":"s"},"decision":"Granted","backend":"b","duration_ms":0}}`, `request.access: unknown variant "Exec"`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"capability","request_id":"r","path":"/","access":"Read","child_pid":1,"session_id":"s"},"decision":"Denied","backend":"b","duration_ms":0}}`, `variant "Denied" needs a reason`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"capability","request_id":"r","path":"/","access":"Read","child_pid":1,"session_id":"s"},"decision":{"Denied":{}},"backend":"b","duration_ms":0}}`, `entry.decision.Denied: missing field "reason"`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"capability","request_id":"r","path":"/","access":"Read","child_pid":1,"session_id":"s"},"decision":"Maybe","backend":"b","duration_ms":0}}`, `unknown variant "Maybe"`},
		{`{"type":"mine","a":1,"a":2}`, `duplicate key "a"`},
		{`{"type":"mine","o":{"k":1,"\u006b":2}}`, `duplicate key "k"`},
		{`{"type":"mine","a":tru}`, `invalid literal`},
		{`{"type":"mine","a":[1,}`, `unexpected character '}'`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":1000000000},"request":{},"decision":"Granted","backend":"b","duration_ms":0}}`, `entry.timestamp.nanos_since_epoch: 1000000000 is not below 10^9`},
		{`{"type":"network","event":{"timestamp_unix_ms":1,"mode":"connect","decision":"allow","denial_category":"brand_new","target":"t"}}`, `unknown variant "brand_new"`},
		{`{"type":"mine","a":1e400}`, `number out of range`},
		{`{"type":"mine","a":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, `nesting deeper than 128`},
	}
	for _, tc := range cases {
		_, err := Canonicalize([]byte(tc.in))
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.in, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got  %v\n want %q", tc.in, err, tc.want)
		}
	}
}

// The open rules keep what the schema does not know, in its place, hold
// the known fields to their shape and order, and say what was unknown.
func TestOpenKeepsUnknown(t *testing.T) {
	var c Canonicalizer
	cases := []struct{ in, want, unknown string }{
		{`{"type":"session_ended","ended":"x","future":{"b":[1,2.50],"a":null},"exit_code":0}`,
			`{"type":"session_ended","ended":"x","future":{"b":[1,2.5],"a":null},"exit_code":0}`, "session_ended.future"},
		{`{"type":"session_ended","exit_code":0,"ended":"x","future":1}`,
			`{"type":"session_ended","ended":"x","future":1,"exit_code":0}`, "session_ended.future"},
		{`{"type":"network","event":{"timestamp_unix_ms":1,"mode":"tunnel","decision":"allow","target":"t","port":null,"method":null,"path":null,"status":null,"reason":null}}`,
			`{"type":"network","event":{"timestamp_unix_ms":1,"mode":"tunnel","decision":"allow","target":"t","port":null,"method":null,"path":null,"status":null,"reason":null}}`, `network.event.mode value "tunnel"`},
		{`{"type":"deploy","ok":true}`, `{"type":"deploy","ok":true}`, `event type "deploy"`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"socket","fd":3},"decision":"Deferred","backend":"b","duration_ms":0}}`,
			`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"socket","fd":3},"decision":"Deferred","backend":"b","duration_ms":0}}`, `capability_type "socket"`},
		{`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"capability","request_id":"r","path":"/","access":"Read","reason":null,"child_pid":1,"session_id":"s"},"decision":{"Deferred":{"until":5}},"backend":"b","duration_ms":0}}`,
			`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":0},"request":{"capability_type":"capability","request_id":"r","path":"/","access":"Read","reason":null,"child_pid":1,"session_id":"s"},"decision":{"Deferred":{"until":5}},"backend":"b","duration_ms":0}}`, `variant "Deferred"`},
	}
	for _, tc := range cases {
		got, err := openForm(&c, []byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if string(got) != tc.want || !strings.Contains(c.Unknown(), tc.unknown) {
			t.Errorf("%s\n got  %s (unknown %q)\n want %s (unknown %q)", tc.in, got, c.Unknown(), tc.want, tc.unknown)
		}
	}
	// Known fields keep their checks.
	for _, bad := range []string{
		`{"type":"session_ended","ended":5,"exit_code":0,"future":1}`,
		`{"type":"session_ended","exit_code":0,"future":1}`,
		`{"type":"session_ended","ended":"x","exit_code":0,"more":1,"more":2}`,
		"{\"type\":\"session_ended\",\"ended\":\"x\",\"exit_code\":0,\"more\":\"\xff\"}",
		`{"type":"capability_decision","entry":{"timestamp":{"secs_since_epoch":1,"nanos_since_epoch":1000000000},"request":{"capability_type":"socket"},"decision":"Granted","backend":"b","duration_ms":0}}`,
	} {
		if out, err := openForm(&c, []byte(bad)); err == nil {
			t.Errorf("%s: accepted as %s", bad, out)
		}
	}
}

func TestBuilders(t *testing.T) {
	got := SessionStarted("2026-04-21T00:00:00Z", []string{"pwd"}, canon.NullValue())
	if want := `{"type":"session_started","started":"2026-04-21T00:00:00Z","command":["pwd"]}`; string(got) != want {
		t.Errorf("SessionStarted: %s", got)
	}
	got = SessionEnded("2026-04-21T00:00:01Z", 0)
	if want := `{"type":"session_ended","ended":"2026-04-21T00:00:01Z","exit_code":0}`; string(got) != want {
		t.Errorf("SessionEnded: %s", got)
	}
	policy := canon.ObjectValue(
		canon.Member{Key: "added_flags", Value: canon.StringsValue([]string{"--private-token"})},
		canon.Member{Key: "removed_query_keys", Value: canon.StringsValue([]string{"state"})},
	)
	got = SessionStarted("t", []string{"a\u2028", "--private-token=[REDACTED]"}, policy)
	want := "{\"type\":\"session_started\",\"started\":\"t\",\"command\":[\"a\u2028\",\"--private-token=[REDACTED]\"],\"redaction_policy\":{\"added_flags\":[\"--private-token\"],\"removed_query_keys\":[\"state\"]}}"
	if string(got) != want {
		t.Errorf("SessionStarted with policy:\n got  %s\n want %s", got, want)
	}
	for _, b := range [][]byte{got, SessionEnded("e", -15)} {
		if again, err := Canonicalize(b); err != nil || !bytes.Equal(again, b) {
			t.Errorf("builder output is not canonical: %s (%v)", b, err)
		}
	}
}

func TestCanonicalizeNetworkEvent(t *testing.T) {
	in, err := canon.Parse([]byte(`{"reason":null,"target":"t","future_key":1,"decision":"allow","mode":"connect","timestamp_unix_ms":7,"route_id":"r","port":443}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := CanonicalizeNetworkEvent(in)
	if err != nil {
		t.Fatal(err)
	}
	// future_key stays after the known field it followed (target).
	want := `{"timestamp_unix_ms":7,"mode":"connect","decision":"allow","route_id":"r","target":"t","future_key":1,"port":443,"method":null,"path":null,"status":null,"reason":null}`
	if got := canon.Compact(out); string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	bad, _ := canon.Parse([]byte(`{"mode":"connect"}`))
	if _, err := CanonicalizeNetworkEvent(bad); err == nil || !strings.Contains(err.Error(), `NetworkAuditEvent: missing field "timestamp_unix_ms"`) {
		t.Errorf("missing field: %v", err)
	}
}

func TestNoAllocationsPerEvent(t *testing.T) {
	lines := readLines(t, "testdata/variants.ndjson")
	var c Canonicalizer
	buf := make([]byte, 0, 4096)
	for _, l := range lines { // warm the scratch space
		c.Append(buf[:0], l)
	}
	allocs := testing.AllocsPerRun(20, func() {
		for _, l := range lines[:len(lines)-1] { // the custom event parses a float
			if _, err := c.Append(buf[:0], l); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per run of %d events, want 0", allocs, len(lines)-1)
	}
}

// Canonical input is written in one pass; only out-of-order input is put
// in order afterwards.
func TestInOrderPathTaken(t *testing.T) {
	var c Canonicalizer
	for _, line := range readLines(t, "testdata/variants.ndjson") {
		c.reorder = 0
		if _, err := c.Append(nil, line); err != nil {
			t.Fatal(err)
		}
		if c.reorder != 0 {
			t.Errorf("%d objects put in order: %s", c.reorder, line)
		}
	}
	c.reorder = 0
	if _, err := c.Append(nil, []byte(`{"ended":"x","type":"session_ended","exit_code":0}`)); err != nil || c.reorder != 0 {
		t.Errorf("tag not first: %d reorders (%v)", c.reorder, err)
	}
	if _, err := c.Append(nil, []byte(`{"type":"session_ended","exit_code":0,"ended":"x"}`)); err != nil || c.reorder != 1 {
		t.Errorf("reordered input: %d reorders (%v)", c.reorder, err)
	}
}
