package cli

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the terminal side of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return pts
}

func TestPaintOnlyOnATerminalWithoutNoColor(t *testing.T) {
	getenv := func(string) string { return "" }
	tty := openPTY(t)
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")

	ui, _ := newUI("tool", tty, tty, getenv)
	if got := ui.Paint("VERIFIED"); got != "\x1b[1;32mVERIFIED\x1b[0m" {
		t.Errorf("on a terminal: %q", got)
	}
	if got := ui.Paint("MISMATCH"); got != "\x1b[1;31mMISMATCH\x1b[0m" {
		t.Errorf("on a terminal: %q", got)
	}
	if got := ui.Paint("session"); got != "session" {
		t.Errorf("a word that is no outcome was painted: %q", got)
	}

	t.Setenv("NO_COLOR", "1")
	if got := ui.Paint("VERIFIED"); got != "VERIFIED" {
		t.Errorf("NO_COLOR=1: %q", got)
	}
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "dumb")
	if got := ui.Paint("VERIFIED"); got != "VERIFIED" {
		t.Errorf("TERM=dumb: %q", got)
	}
	t.Setenv("TERM", "xterm")

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ui, _ = newUI("tool", w, tty, getenv)
	if got := ui.Paint("VERIFIED"); got != "VERIFIED" {
		t.Errorf("into a pipe: %q", got)
	}
}
