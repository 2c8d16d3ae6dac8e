package nonorun

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// helperPrologue, run in a copy of the test binary, does the prologue
// and then gets SIGINT: a supervisor catches it (to forward it to the
// command) and exits 0; in place (--no-audit) it dies of it.
func helperPrologue(inPlace bool) {
	if _, _, err := prologue(inPlace); err != nil {
		os.Exit(3)
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	time.Sleep(500 * time.Millisecond)
	os.Exit(0)
}

func TestMain(m *testing.M) {
	switch os.Getenv("NONORUN_TEST_PROLOGUE") {
	case "in-place":
		helperPrologue(true)
	case "supervised":
		helperPrologue(false)
	}
	os.Exit(m.Run())
}

func TestPrologueSignals(t *testing.T) {
	for mode, wantKilled := range map[string]bool{"in-place": true, "supervised": false} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "NONORUN_TEST_PROLOGUE="+mode)
		err := cmd.Run()
		var ee *exec.ExitError
		killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT
		if killed != wantKilled || !killed && err != nil {
			t.Errorf("%s: a SIGINT after the prologue: %v (killed by it: %v, want %v)", mode, err, killed, wantKilled)
		}
	}
}
