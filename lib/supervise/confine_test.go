package supervise

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/nono-audit/nono/lib/launch"
	"golang.org/x/sys/unix"
)

// TestLaunchStatus: what the confining copy reports becomes the error
// os.StartProcess would have returned.
func TestLaunchStatus(t *testing.T) {
	if err := launchStatus(strings.NewReader(""), "x"); err != nil {
		t.Errorf("no report: %v", err)
	}
	err := launchStatus(strings.NewReader("errno 2"), "./x")
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Path != "./x" || !errors.Is(err, unix.ENOENT) || launch.StartError("x", &launch.Executable{}, err).(*launch.Error).Code != launch.StatusNotFound {
		t.Errorf("errno 2: %v", err)
	}
	if err := launchStatus(strings.NewReader("error sandbox: landlock_restrict_self: EPERM"), "x"); err == nil || err.Error() != "sandbox: landlock_restrict_self: EPERM" {
		t.Errorf("sandbox error: %v", err)
	}
	if err := launchStatus(strings.NewReader("garbage"), "x"); err == nil {
		t.Error("garbage accepted")
	}
}
