package canon

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestScannerWalksARecord(t *testing.T) {
	doc := []byte(`{"sequence": 7, "hash":"ab", "list":[1,"x",null], "skip":{"a":[true]}, "n":-3}`)
	s := NewScanner(doc)
	if err := s.Object(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		key, more, err := s.NextMember()
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		switch string(key) {
		case "sequence":
			n, err := s.Uint(64)
			got = append(got, fmt.Sprint("seq=", n, err))
		case "hash":
			b, err := s.String()
			got = append(got, fmt.Sprintf("hash=%s %v", b, err))
		case "list":
			s.Array()
			for {
				more, err := s.NextElement()
				if err != nil || !more {
					break
				}
				k, _ := s.Peek()
				got = append(got, "elem="+k.String())
				s.Skip()
			}
		case "n":
			n, err := s.Int(32)
			got = append(got, fmt.Sprint("n=", n, err))
		default:
			// not read: NextMember skips it
		}
	}
	if err := s.End(); err != nil {
		t.Fatal(err)
	}
	want := "seq=7 <nil> hash=ab <nil> elem=number elem=string elem=null n=-3 <nil>"
	if g := strings.Join(got, " "); g != want {
		t.Fatalf("got  %s\nwant %s", g, want)
	}
}

func TestScannerRejects(t *testing.T) {
	cases := map[string]string{
		`{"a":1,"a":2}`:                 "duplicate key \"a\" at byte 7",
		`{"a":1,"\u0061":2}`:            "duplicate key \"a\"",
		`{"x":{"a":1,"a":2}}`:           "duplicate key",
		`{"a":[1,]}`:                    "unexpected character ']'",
		`{"a":1,}`:                      "unexpected character '}'",
		`{"a" 1}`:                       "expected ':'",
		`{1:2}`:                         "expected object key string",
		`[1 2]`:                         "expected ',' or ']' in array",
		`{"a":1 "b":2}`:                 "expected ',' or '}' in object",
		"{\"a\":\"\xff\"}":              "invalid UTF-8",
		"{\"\xff\":1}":                  "invalid UTF-8",
		`"\ud800x"`:                     "lone leading surrogate",
		`"\q"`:                          "invalid escape",
		`tru `:                          "invalid literal",
		`1 2`:                           "trailing characters",
		`01`:                            "trailing characters",
		`-x`:                            "invalid number",
		`1.x`:                           "no digits after '.'",
		strings.Repeat("[", maxDepth+1): "nesting deeper than 128",
		`{"k":` + strings.Repeat("{\"k\":", maxDepth) + "1" + strings.Repeat("}", maxDepth+1): "nesting deeper",
	}
	for in, want := range cases {
		s := NewScanner([]byte(in))
		err := s.Skip()
		if err == nil {
			err = s.End()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want containing %q", in, err, want)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: %v reads as a torn input", in, err)
		}
	}
}

func TestScannerDuplicatesInLargeObjects(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 300 {
		fmt.Fprintf(&b, `"key_%d":%d,`, i, i)
	}
	ok := b.String() + `"last":0}`
	if err := NewScanner([]byte(ok)).Skip(); err != nil {
		t.Fatalf("300 distinct keys: %v", err)
	}
	for _, dup := range []string{"key_0", "key_150", "key_299"} {
		bad := b.String() + `"` + dup + `":0}`
		if err := NewScanner([]byte(bad)).Skip(); err == nil || !strings.Contains(err.Error(), "duplicate key") {
			t.Errorf("duplicate %s: %v", dup, err)
		}
	}
}

// Every proper prefix of a document that is an object (a torn last line)
// is reported as input that ended too early, and nothing else is.
func TestScannerTornPrefixes(t *testing.T) {
	doc := `{"sequence":12,"prev_chain":null,"s":"a\"\u00e9\ud83d\ude00 é😀","n":[-1.5e3,true,false,{}],"e":{"k":"v"}}`
	for i := range len(doc) {
		err := NewScanner([]byte(doc[:i])).Skip()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("prefix %q: %v, want an unexpected end", doc[:i], err)
		}
	}
	if err := NewScanner([]byte(doc)).Skip(); err != nil {
		t.Fatal(err)
	}
}

func TestScannerIntegers(t *testing.T) {
	cases := []struct {
		in   string
		bits int
		want string
	}{
		{"0", 64, "0"}, {"18446744073709551615", 64, "18446744073709551615"},
		{"18446744073709551616", 64, "out of range for u64"}, {"65535", 16, "65535"},
		{"65536", 16, "out of range for u16"}, {"-1", 32, "out of range for u32"},
		{"1.0", 32, "found floating point 1.0"}, {"1e3", 32, "found floating point 1e3"},
		{"-0", 32, "found floating point -0"}, {`"1"`, 32, "expected a number, found string"},
	}
	for _, c := range cases {
		v, err := NewScanner([]byte(c.in)).Uint(c.bits)
		got := fmt.Sprint(v)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("Uint(%s, %d) = %s, want %s", c.in, c.bits, got, c.want)
		}
	}
	for in, want := range map[string]string{
		"-2147483648": "-2147483648", "2147483647": "2147483647",
		"2147483648": "out of range for i32", "-2147483649": "out of range for i32",
	} {
		v, err := NewScanner([]byte(in)).Int(32)
		got := fmt.Sprint(v)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, want) {
			t.Errorf("Int(%s) = %s, want %s", in, got, want)
		}
	}
	if v, err := NewScanner([]byte("-9223372036854775808")).Int(64); err != nil || v != -1<<63 {
		t.Errorf("Int(min i64) = %d, %v", v, err)
	}
}

func TestScannerLimits(t *testing.T) {
	var s Scanner
	s.SetLimits(Limits{MaxDepth: 2, MaxSize: 10})
	s.Reset([]byte(`[[1]]`))
	if err := s.Skip(); err != nil {
		t.Fatal(err)
	}
	s.Reset([]byte(`[[[1]]]`))
	if err := s.Skip(); err == nil || !strings.Contains(err.Error(), "nesting deeper than 2") {
		t.Fatal(err)
	}
	s.Reset([]byte(`"0123456789"`))
	if err := s.Skip(); err == nil || !strings.Contains(err.Error(), "larger than 10 bytes") {
		t.Fatal(err)
	}
}

func TestScannerMisuse(t *testing.T) {
	s := NewScanner([]byte(`{"a":1}`))
	s.Object()
	if _, err := s.String(); err == nil || !strings.Contains(err.Error(), "no value due here") {
		t.Fatalf("value read without NextMember: %v", err)
	}
	// Errors are sticky.
	if _, _, err := s.NextMember(); err == nil {
		t.Fatal("error not sticky")
	}
}

func TestScannerRawAndCompact(t *testing.T) {
	doc := []byte(` {"b": [1.50, "\u00e9\/"] , "a":{ }} `)
	raw, err := NewScanner(doc).Raw()
	if err != nil || string(raw) != `{"b": [1.50, "\u00e9\/"] , "a":{ }}` {
		t.Fatalf("Raw = %s, %v", raw, err)
	}
	out, err := NewScanner(doc).AppendCompact([]byte("x"))
	if err != nil || string(out) != `x{"b":[1.5,"é/"],"a":{}}` {
		t.Fatalf("AppendCompact = %s, %v", out, err)
	}
	s := NewScanner([]byte(`  "a\tb"`))
	tok, err := s.RawString()
	if err != nil || string(tok) != `"a\tb"` {
		t.Fatalf("RawString = %s, %v", tok, err)
	}
	// ResetAt scans a value inside a larger document.
	s.ResetAt(doc, strings.Index(string(doc), "["))
	if err := s.Skip(); err != nil || s.Offset() != strings.Index(string(doc), "]")+1 {
		t.Fatalf("ResetAt: offset %d, %v", s.Offset(), err)
	}
}

func TestAppendStringCanonical(t *testing.T) {
	for _, str := range []string{"", "plain", `q"b\`, "\x00\x1f\t\n\b\f\r", "é✓😀", "\u2028</>"} {
		enc := AppendString(nil, str)
		got, canonical, err := NewScanner(enc).AppendStringCanonical(nil)
		if err != nil || !canonical || string(got) != str {
			t.Errorf("%s: %q canonical=%v %v", enc, got, canonical, err)
		}
	}
	for _, tok := range []string{`"\u00e9"`, `"\/"`, `"\u000a"`, `"\u001F"`, `"\u0041"`} {
		if _, canonical, err := NewScanner([]byte(tok)).AppendStringCanonical(nil); err != nil || canonical {
			t.Errorf("%s read as canonical (%v)", tok, err)
		}
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("{\n  \"a\": x\n}")
	if l, c := LineCol(data, strings.Index(string(data), "x")); l != 2 || c != 8 {
		t.Fatalf("LineCol = %d:%d", l, c)
	}
}

// FuzzScanner: the scanner accepts exactly what Parse accepts, its
// compact re-encoding is Parse's, and a string is reported canonical
// exactly when its token is the encoding of its content.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c"}]}`, `"\u00e9"`, `-0.5e3`, `[]`, `{"a":1,"a":2}`, `{"k":"v\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, perr := Parse(data)
		s := NewScanner(data)
		out, err := s.AppendCompact(nil)
		if err == nil {
			err = s.End()
		}
		if (perr == nil) != (err == nil) {
			t.Fatalf("Parse: %v, Scanner: %v", perr, err)
		}
		if err != nil {
			return
		}
		if string(out) != string(Compact(v)) {
			t.Fatalf("AppendCompact %s, Compact %s", out, Compact(v))
		}
		if v.Kind == String {
			tok, err := NewScanner(data).RawString()
			if err != nil {
				t.Fatal(err)
			}
			_, canonical, err := NewScanner(tok).AppendStringCanonical(nil)
			if err != nil || canonical != (string(AppendString(nil, v.Str)) == string(tok)) {
				t.Fatalf("%s: canonical=%v disagrees with the encoder (%v)", tok, canonical, err)
			}
		}
	})
}
