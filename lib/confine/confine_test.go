package confine

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary runs Main when re-executed for TestMainReports (it
// links this package, whose init leaves an unreadable request alone).
func TestMain(m *testing.M) {
	if os.Getenv("CONFINE_TEST_MAIN") == "1" {
		Main()
	}
	os.Exit(m.Run())
}

// Started as the copy with a request it cannot read (a nono-run of
// another version), the program says so on the report pipe, where
// nono-run looks for why the command did not start.
func TestMainReports(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := &exec.Cmd{Path: exe, Args: []string{Arg0, "1"}, Env: append(os.Environ(), "CONFINE_TEST_MAIN=1")}
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	cmd.ExtraFiles = []*os.File{null, w} // descriptors 3 and 4
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	w.Close()
	report, _ := io.ReadAll(r)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v, want status 2", err)
	}
	if !strings.HasPrefix(string(report), "error sandbox: "+Program+" confines a command") || !strings.Contains(string(report), "another version") {
		t.Errorf("report %q", report)
	}
	if !strings.Contains(stderr.String(), "it is not a command of its own") {
		t.Errorf("stderr %q", stderr.String())
	}
}
