package cli

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestPollablePipe(t *testing.T) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	w := os.NewFile(uintptr(fds[1]), "w")
	defer w.Close()
	defer syscall.Close(fds[0])
	f := pollablePipe(fds[0], os.Stdin)
	if f == os.Stdin {
		t.Fatal("a pipe was returned as it was")
	}
	flags, err := unix.FcntlInt(uintptr(fds[0]), unix.F_GETFL, 0)
	if err != nil || flags&unix.O_NONBLOCK == 0 {
		t.Fatalf("the pipe is not non-blocking: flags %#x, %v", flags, err)
	}
	// Only a file the runtime polls takes a deadline.
	if err := f.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("the pipe is not pollable: %v", err)
	}
	go w.Write([]byte("event\n"))
	buf := make([]byte, 6)
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "event\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
	w.Close()
	if n, err := f.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("after the writer closed: %d, %v; want EOF", n, err)
	}
	f.Close()
}

func TestPollablePipeLeavesFilesAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events")
	if err := os.WriteFile(path, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := pollablePipe(int(f.Fd()), f); got != f {
		t.Fatal("a regular file was replaced")
	}
	flags, _ := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if flags&unix.O_NONBLOCK != 0 {
		t.Fatal("a regular file was made non-blocking")
	}
}
