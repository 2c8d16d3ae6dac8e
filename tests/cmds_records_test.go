package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/event"
	"github.com/nono-audit/nono/lib/merkle"
)

func init() {
	commands["pyrecord"] = cmdPyRecord
	commands["insertline"] = cmdInsertLine
	commands["newerrecord"] = cmdNewerRecord
}

// newerrecord EVENTS OUT: write the records a newer recorder makes of
// EVENTS, one compact canonical event a line taken as it stands, so an
// event may carry types, fields and values this version does not know.
func cmdNewerRecord(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 || neg {
		ts.Fatalf("usage: newerrecord EVENTS OUT")
	}
	_, lines := readLines(ts, args[0])
	var out bytes.Buffer
	rec := chain.NewRecorder(&out)
	for _, l := range lines {
		ts.Check(rec.Append([]byte(l)))
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o600))
}

// insertline FILE N TEXT: insert TEXT as line N (1-based; N may be one
// past the last line).
func cmdInsertLine(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: insertline FILE N TEXT")
	}
	p, lines := readLines(ts, args[0])
	n := atoi(ts, args[1])
	if n < 1 || n > len(lines)+1 {
		ts.Fatalf("line %d outside file of %d lines", n, len(lines))
	}
	out := append(append(append([]string{}, lines[:n-1]...), args[2]), lines[n-1:]...)
	writeLines(ts, p, out)
}

// pyrecord EVENTS OUT: write the records nono-py's recorder makes of
// EVENTS: its event_json is Python's json.dumps with ensure_ascii, so
// non-ASCII characters are \uXXXX escapes, and the leaf hashes those
// bytes; event is the canonical object.
func cmdPyRecord(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: pyrecord EVENTS OUT")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var out bytes.Buffer
	var prev merkle.Hash
	sc := bufio.NewScanner(bytes.NewReader(data))
	for seq := 0; sc.Scan(); seq++ {
		ev, err := event.Canonicalize(sc.Bytes())
		ts.Check(err)
		py := asciiJSON(ev)
		leaf := chain.LeafHash(py)
		ch := chain.ChainHash(prev, leaf)
		prevJSON := "null"
		if seq > 0 {
			prevJSON = strconv.Quote(merkle.Hex(prev))
		}
		fmt.Fprintf(&out, `{"sequence":%d,"prev_chain":%s,"leaf_hash":"%s","chain_hash":"%s","event_json":%s,"event":%s}`+"\n",
			seq, prevJSON, merkle.Hex(leaf), merkle.Hex(ch), asciiJSON(quoteJSON(py)), ev)
		prev = ch
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o600))
}

// asciiJSON escapes every non-ASCII character of a JSON text as \uXXXX
// (surrogate pairs above the BMP), as ensure_ascii does.
func asciiJSON(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r < utf8.RuneSelf:
			out = append(out, byte(r))
		case r > 0xffff:
			r -= 0x10000
			out = fmt.Appendf(out, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
	}
	return out
}

// quoteJSON returns s as a JSON string with only '"' and '\' escaped (s is
// ASCII JSON text without control characters).
func quoteJSON(s []byte) []byte {
	out := []byte{'"'}
	for _, c := range s {
		if c == '"' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return append(out, '"')
}
