package launch

import (
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
)

func TestSpawnAndWait(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pid, err := Spawn("/bin/sh", []string{"sh", "-c", `echo "$PWD $X"; exit 3`}, []string{"X=y"}, dir, []*os.File{nil, w, os.Stderr}, &syscall.SysProcAttr{})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(r)
	ws, err := Wait(pid)
	if err != nil || !ws.Exited() || ws.ExitStatus() != 3 {
		t.Errorf("Wait: %v, %v; want exit 3", ws, err)
	}
	if got, want := string(out), dir+" y\n"; got != want {
		t.Errorf("child printed %q, want %q (its directory and environment)", got, want)
	}
	// The errors are os.StartProcess's.
	_, err = Spawn(dir+"/missing", []string{"missing"}, nil, "", nil, nil)
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Op != "fork/exec" || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing program: %v, want fork/exec's *os.PathError, ENOENT", err)
	}
}
