package tests

import (
	"bytes"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/tidwall/gjson"
)

// Generic file-editing commands for tamper tests. Line numbers are 1-based;
// negative numbers count from the end (-1 is the last line).
func init() {
	commands["flipbyte"] = cmdFlipByte
	commands["editline"] = cmdEditLine
	commands["deleteline"] = cmdDeleteLine
	commands["dupline"] = cmdDupLine
	commands["swaplines"] = cmdSwapLines
	commands["truncatebytes"] = cmdTruncateBytes
	commands["jsonget"] = cmdJSONGet
}

func atoi(ts *testscript.TestScript, s string) int {
	n, err := strconv.Atoi(s)
	ts.Check(err)
	return n
}

// flipbyte FILE OFFSET: XOR the byte at OFFSET with 0x01.
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	p := ts.MkAbs(args[0])
	data, err := os.ReadFile(p)
	ts.Check(err)
	off := atoi(ts, args[1])
	if off < 0 {
		off += len(data)
	}
	if off < 0 || off >= len(data) {
		ts.Fatalf("offset %s outside %s (%d bytes)", args[1], args[0], len(data))
	}
	data[off] ^= 0x01
	ts.Check(os.WriteFile(p, data, 0o600))
}

func readLines(ts *testscript.TestScript, name string) (string, []string) {
	p := ts.MkAbs(name)
	data, err := os.ReadFile(p)
	ts.Check(err)
	s := string(data)
	trailing := strings.HasSuffix(s, "\n")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if !trailing {
		lines[len(lines)-1] += "\x00nonl" // marker kept through edits
	}
	return p, lines
}

func writeLines(ts *testscript.TestScript, p string, lines []string) {
	s := strings.Join(lines, "\n") + "\n"
	s = strings.Replace(s, "\x00nonl\n", "", 1)
	ts.Check(os.WriteFile(p, []byte(s), 0o600))
}

func lineIndex(ts *testscript.TestScript, lines []string, arg string) int {
	n := atoi(ts, arg)
	if n < 0 {
		n += len(lines) + 1
	}
	if n < 1 || n > len(lines) {
		ts.Fatalf("line %s outside file of %d lines", arg, len(lines))
	}
	return n - 1
}

// editline FILE N OLD NEW: replace the first OLD with NEW on line N.
func cmdEditLine(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: editline FILE N OLD NEW")
	}
	p, lines := readLines(ts, args[0])
	i := lineIndex(ts, lines, args[1])
	if !strings.Contains(lines[i], args[2]) {
		ts.Fatalf("line %s does not contain %q", args[1], args[2])
	}
	lines[i] = strings.Replace(lines[i], args[2], args[3], 1)
	writeLines(ts, p, lines)
}

// deleteline FILE N
func cmdDeleteLine(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: deleteline FILE N")
	}
	p, lines := readLines(ts, args[0])
	i := lineIndex(ts, lines, args[1])
	writeLines(ts, p, append(lines[:i], lines[i+1:]...))
}

// dupline FILE N: insert a copy of line N after it.
func cmdDupLine(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: dupline FILE N")
	}
	p, lines := readLines(ts, args[0])
	i := lineIndex(ts, lines, args[1])
	out := append([]string{}, lines[:i+1]...)
	out = append(out, lines[i:]...)
	writeLines(ts, p, out)
}

// swaplines FILE A B
func cmdSwapLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: swaplines FILE A B")
	}
	p, lines := readLines(ts, args[0])
	a, b := lineIndex(ts, lines, args[1]), lineIndex(ts, lines, args[2])
	lines[a], lines[b] = lines[b], lines[a]
	writeLines(ts, p, lines)
}

// truncatebytes FILE N: drop the last N bytes.
func cmdTruncateBytes(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: truncatebytes FILE N")
	}
	p := ts.MkAbs(args[0])
	data, err := os.ReadFile(p)
	ts.Check(err)
	n := atoi(ts, args[1])
	if n > len(data) {
		ts.Fatalf("cannot drop %d bytes of %d", n, len(data))
	}
	ts.Check(os.WriteFile(p, data[:len(data)-n], 0o600))
}

// jsonget FILE PATH: print the gjson PATH of the JSON document in FILE
// (raw JSON text for objects and arrays, the plain value otherwise).
func cmdJSONGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonget FILE PATH")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	r := gjson.GetBytes(bytes.TrimSpace(data), args[1])
	if !r.Exists() {
		if !neg {
			ts.Fatalf("%s: no value at %s", args[0], args[1])
		}
		return
	}
	if neg {
		ts.Fatalf("%s: unexpected value at %s", args[0], args[1])
	}
	if r.IsObject() || r.IsArray() {
		ts.Stdout().Write([]byte(r.Raw + "\n"))
	} else {
		ts.Stdout().Write([]byte(r.String() + "\n"))
	}
}
