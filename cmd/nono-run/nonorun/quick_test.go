package nonorun

import (
	"testing"

	"github.com/nono-audit/nono/lib/cli"
)

// The argument lists the nono wrapper gives `nono-run record` are read
// without building kong's model, to the same result as kong's.
func TestRecordParsesQuickly(t *testing.T) {
	recorder := "--recorder=nono-redact --session-header | nono-chain --session-header | nono-merkle session --session-header"
	if err := cli.CheckQuickAccepts(func() any { return &recordCLI{} },
		[]string{recorder, "--", "/bin/true"},
		[]string{"--no-audit", "--", "/bin/true"},
		[]string{recorder, "-s", "-a", "/tmp/w", "--allow-cwd", "--read", "/etc", "--", "make", "-j2", "--", "x"},
		[]string{recorder, "--audit-integrity", "--audit-sign-key=file:///k", "--block-net", "--", "sh", "-c", "exit 3"},
		[]string{recorder, "--allow-domain", "example.com", "--allow-port", "8080", "--approve-timeout=5s", "--", "curl"},
		[]string{"--no-audit", "--allow", "/tmp/w", "make", "-j2"},
		[]string{"--event-fd", "5", "--recorder-pid=77", "--", "true"},
	); err != nil {
		t.Error(err)
	}
	// Help and mistakes go to kong, which says what is wrong.
	for _, args := range [][]string{
		{"--help"}, {"--version"}, {recorder, "--recorder-pid=1", "--", "true"},
		{"--bogus", "--", "true"}, {"--allow-port", "70000", "--", "true"}, {},
	} {
		if accepted, err := cli.CheckQuick(func() any { return &recordCLI{} }, args); err != nil || accepted {
			t.Errorf("%q: accepted %v, err %v", args, accepted, err)
		}
	}
}
