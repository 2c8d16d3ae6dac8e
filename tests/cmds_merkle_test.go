package tests

import (
	"bytes"
	"fmt"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tidwall/gjson"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/event"
)

// Script commands for the Merkle and ledger scripts.
func init() {
	commands["mklog"] = cmdMkLog
	commands["jsoneq"] = cmdJSONEq
	commands["jsonenv"] = cmdJSONEnv
}

// jsonenv VAR FILE PATH: set the environment variable VAR to the plain
// value at the gjson PATH of the JSON document in FILE.
func cmdJSONEnv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || neg {
		ts.Fatalf("usage: jsonenv VAR FILE PATH")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	r := gjson.GetBytes(bytes.TrimSpace(data), args[2])
	if !r.Exists() {
		ts.Fatalf("%s: no value at %s", args[1], args[2])
	}
	ts.Setenv(args[0], r.String())
}

// mklog FILE N: write an alpha log of N records whose events depend only
// on their index, so a log of M < N records is a prefix of it.
func cmdMkLog(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: mklog FILE N")
	}
	n := atoi(ts, args[1])
	var buf bytes.Buffer
	rec := chain.NewRecorder(&buf)
	for i := range n {
		var ev []byte
		if i == 0 {
			ev = event.SessionStarted("2026-04-21T00:00:00+00:00", []string{"make", "test"}, canon.NullValue())
		} else {
			raw := fmt.Sprintf(`{"type":"url_open","request":{"request_id":"open-%d","url":"https://example.com/%d","child_pid":42,"session_id":"s"},"success":true,"error":null}`, i, i)
			var err error
			ev, err = event.Canonicalize([]byte(raw))
			ts.Check(err)
		}
		ts.Check(rec.Append(ev))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o600))
}

// jsoneq FILE1 PATH1 FILE2 PATH2: the gjson values at the two paths are
// the same JSON text (negated: they differ).
func cmdJSONEq(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: jsoneq FILE1 PATH1 FILE2 PATH2")
	}
	get := func(file, path string) string {
		data, err := os.ReadFile(ts.MkAbs(file))
		ts.Check(err)
		r := gjson.GetBytes(bytes.TrimSpace(data), path)
		if !r.Exists() {
			ts.Fatalf("%s: no value at %s", file, path)
		}
		return r.Raw
	}
	a, b := get(args[0], args[1]), get(args[2], args[3])
	if (a == b) == neg {
		ts.Fatalf("%s %s = %s, %s %s = %s", args[0], args[1], a, args[2], args[3], b)
	}
}
