package session

import (
	"strings"
	"testing"
)

func TestLastLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	cases := map[string]string{
		"a\nb\n":            "b",
		"a\nb\n\n  \n\t\n":  "b",
		"a\nb  \r\n":        "b",
		"abc":               "abc",
		"\n\nabc\n":         "abc",
		"a\n" + long + "\n": long,
		long + "\nz\n":      "z",
	}
	for in, want := range cases {
		got, err := lastLine(strings.NewReader(in), int64(len(in)), 1<<20)
		if err != nil || string(got) != want {
			t.Errorf("lastLine(%.20q) = %.20q, %v; want %.20q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "\n", " \n\t\n"} {
		if _, err := lastLine(strings.NewReader(in), int64(len(in)), 100); err == nil {
			t.Errorf("lastLine(%q) accepted", in)
		}
	}
	in := "a\n" + long + "\n"
	if _, err := lastLine(strings.NewReader(in), int64(len(in)), 100<<10); err == nil {
		t.Error("line over the limit accepted")
	}
}

func FuzzLastLine(f *testing.F) {
	for _, s := range []string{"a\nb\n", "a\n\n", "x", "\n \n", strings.Repeat("y", 70<<10) + "\nq"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := lastLine(strings.NewReader(s), int64(len(s)), 1<<30)
		trimmed := strings.TrimRight(s, " \t\r\n")
		if trimmed == "" {
			if err == nil {
				t.Fatalf("lastLine(%q) = %q, want an error", s, got)
			}
			return
		}
		want := trimmed[strings.LastIndexByte(trimmed, '\n')+1:]
		if err != nil || string(got) != want {
			t.Fatalf("lastLine(%q) = %q, %v; want %q", s, got, err, want)
		}
	})
}
