package redact

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// corpusCase is one line of testdata/corpus.ndjson: a realistic command
// line, the secrets it holds and the text a reader of the record needs.
type corpusCase struct {
	Argv    []string `json:"argv"`
	Secrets []string `json:"secrets"`
	Keep    []string `json:"keep"`
	Note    string   `json:"note"`
	// KnownMiss marks a secret the rules are known not to catch (see
	// docs/REDACTION.md, "What is still not caught"); it is counted as a
	// leak but does not fail the test.
	KnownMiss bool `json:"known_miss"`
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	f, err := os.Open("testdata/corpus.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var c corpusCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("corpus.ndjson:%d: %v", n, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases
}

// corpusScore counts the secrets that survive and the kept text that does.
type corpusScore struct {
	secrets, leaks, keep, kept int
	leaked, lost               []string
	unexpected                 []string // leaks outside the known misses
}

func scoreCorpus(p *Policy, rules Rules, cases []corpusCase) corpusScore {
	var s corpusScore
	for _, c := range cases {
		out := p.ScrubArgv(rules, c.Argv)
		joined := strings.Join(out, "\x00")
		for _, secret := range c.Secrets {
			s.secrets++
			if strings.Contains(joined, secret) {
				s.leaks++
				s.leaked = append(s.leaked, c.Note+": "+secret)
				if !c.KnownMiss {
					s.unexpected = append(s.unexpected, c.Note+": "+secret)
				}
			}
		}
		for _, k := range c.Keep {
			s.keep++
			if strings.Contains(joined, k) {
				s.kept++
			} else {
				s.lost = append(s.lost, c.Note+": "+k)
			}
		}
	}
	return s
}

func (s corpusScore) keepRate() float64 { return float64(s.kept) / float64(s.keep) }

// TestCorpus measures the rule sets on realistic command lines: with
// -v it prints the leak count (secrets surviving) and the keep rate
// (non-secret text surviving) of both.
func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 200 {
		t.Fatalf("corpus has %d cases, want at least 200", len(cases))
	}
	p := DefaultPolicy()
	def := scoreCorpus(p, Default, cases)
	up := scoreCorpus(p, Upstream, cases)
	t.Logf("corpus: %d command lines, %d secrets, %d kept strings", len(cases), def.secrets, def.keep)
	t.Logf("Default:  leaks %d/%d, keep rate %.1f%% (%d/%d)", def.leaks, def.secrets, 100*def.keepRate(), def.kept, def.keep)
	t.Logf("Upstream: leaks %d/%d, keep rate %.1f%% (%d/%d)", up.leaks, up.secrets, 100*up.keepRate(), up.kept, up.keep)
	for _, l := range def.leaked {
		t.Logf("Default leaks %s", l)
	}
	for _, l := range def.unexpected {
		t.Errorf("Default leaks %s", l)
	}
	for _, l := range def.lost {
		t.Logf("Default loses %s", l)
	}
	if def.keepRate() < 0.95 {
		t.Errorf("Default keep rate %.3f below 0.95", def.keepRate())
	}
	for _, c := range cases {
		out := p.ScrubArgv(Default, c.Argv)
		if len(out) != len(c.Argv) {
			t.Errorf("%s: length changed", c.Note)
		}
		if again := p.ScrubArgv(Default, out); !slices.Equal(again, out) {
			t.Errorf("%s: not idempotent:\n %q\n %q", c.Note, out, again)
		}
		if again := p.ScrubArgv(Upstream, out); !slices.Equal(again, out) {
			t.Errorf("%s: not an Upstream fixed point:\n %q\n %q", c.Note, out, again)
		}
		checkSuperset(t, c.Note, p, c.Argv)
	}
}
