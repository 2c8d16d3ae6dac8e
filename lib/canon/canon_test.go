package canon

import (
	"strings"
	"testing"
)

func TestAppendStringSerdeEscapes(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f", `"\u0000\u0001\u001f"`},
		{"</script>&", `"</script>&"`},
		{"\x7f", "\"\x7f\""},
		{"\u2028\u2029", "\"\u2028\u2029\""},
		{"héllo ✓ 😀", "\"héllo ✓ 😀\""},
		{"bad\xffbyte", "\"bad\ufffdbyte\""},
		{"/slash", `"/slash"`},
	}
	for _, c := range cases {
		if got := string(AppendString(nil, c.in)); got != c.want {
			t.Errorf("AppendString(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestParseKeepsOrderAndReencodes(t *testing.T) {
	in := `{ "z": 1, "a": [true, false, null, "x\u00e9\/"], "m": {"b": -2, "a": 0} }`
	v, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got := string(Compact(v))
	want := `{"z":1,"a":[true,false,null,"xé/"],"m":{"b":-2,"a":0}}`
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		`{"a":1,"a":2}`:          "duplicate key",
		"\"\xff\"":               "invalid UTF-8",
		`"\ud800"`:               "lone leading surrogate",
		`"\udc00"`:               "lone trailing surrogate",
		"\"a\nb\"":               "control character",
		`{"a":1} x`:              "trailing characters",
		`[1,]`:                   "unexpected character",
		`01`:                     "trailing characters",
		`1e999`:                  "out of range",
		`{"a" 1}`:                "expected ':'",
		``:                       "unexpected end",
		`"abc`:                   "unterminated",
		strings.Repeat("[", 200): "nesting deeper",
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error = %v, want containing %q", in, err, want)
		}
	}
}

func TestSurrogatePair(t *testing.T) {
	v, err := Parse([]byte(`"\ud83d\ude00"`))
	if err != nil || v.Str != "😀" {
		t.Fatalf("got %q, %v", v.Str, err)
	}
}

func TestNumbersLikeSerde(t *testing.T) {
	cases := map[string]string{
		"0": "0", "42": "42", "-7": "-7", "-0": "-0.0",
		"18446744073709551615": "18446744073709551615",
		"18446744073709551616": "1.8446744073709552e19",
		"-9223372036854775808": "-9223372036854775808",
		"1.5":                  "1.5", "100.0": "100.0", "1e2": "100.0", "1E21": "1e21",
		"0.001": "0.001", "0.00001": "0.00001", "0.000001": "1e-6", "1.25e-7": "1.25e-7",
		"123456789012345678": "123456789012345678",
		"1.0e16":             "1e16", "1e15": "1000000000000000.0", "0.1": "0.1",
	}
	for in, want := range cases {
		got, err := canonicalNumber(in)
		if err != nil || got != want {
			t.Errorf("CanonicalNumber(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
}

func TestPretty(t *testing.T) {
	v, err := Parse([]byte(`{"a":"x","b":[],"c":{},"d":[1,{"e":null}],"f":{"g":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "a": "x",
  "b": [],
  "c": {},
  "d": [
    1,
    {
      "e": null
    }
  ],
  "f": {
    "g": true
  }
}`
	if got := string(Pretty(v)); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"c"}]}`, `"\u00e9"`, `-0.5e3`, `[]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			return
		}
		// Canonical output must parse back to the same value, and be a fixed point.
		out := Compact(v)
		v2, err := Parse(out)
		if err != nil {
			t.Fatalf("canonical output does not parse: %v\n%s", err, out)
		}
		if !Equal(v, v2) {
			t.Fatalf("round trip changed value: %s", out)
		}
		if string(Compact(v2)) != string(out) {
			t.Fatalf("canonical encoding is not a fixed point: %s", out)
		}
		if _, err := Parse(Pretty(v)); err != nil {
			t.Fatalf("pretty output does not parse: %v", err)
		}
	})
}
