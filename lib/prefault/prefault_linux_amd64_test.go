package prefault

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildProbe builds testdata/probe, linked at the entry when entry is set.
func buildProbe(t *testing.T, entry bool) string {
	t.Helper()
	prog := filepath.Join(t.TempDir(), "probe")
	args := []string{"build", "-trimpath", "-o", prog}
	if entry {
		args = append(args, "-ldflags=-E="+EntrySymbol)
	}
	cmd := exec.Command("go", append(args, "./testdata/probe")...)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the probe: %v\n%s", err, out)
	}
	return prog
}

// runProbe returns what the probe found mapped at main: for each range,
// "present/total" pages.
func runProbe(t *testing.T, prog string) map[string]string {
	t.Helper()
	out, err := exec.Command(prog).Output()
	if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, counts, _ := strings.Cut(line, " ")
		got[name] = counts
	}
	return got
}

// A program started at the entry finds every page of its code, read-only
// data, data and bss mapped by the time main runs.
func TestEntryMapsTheImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	with := runProbe(t, buildProbe(t, true))
	for _, r := range []string{"text", "rodata", "data"} {
		present, total, ok := strings.Cut(with[r], "/")
		if !ok || present != total {
			t.Errorf("%s: %q pages mapped at main; want all of them", r, with[r])
		}
	}
	// For comparison: without the entry the runtime has touched only part
	// of the data and bss by then (the code may be mapped whole already,
	// where the page cache holds the file in large folios).
	t.Logf("without the entry: %v; with it: %v", runProbe(t, buildProbe(t, false)), with)
}
