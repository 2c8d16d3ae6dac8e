package supervise

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nono-audit/nono/lib/launch"
	"github.com/nono-audit/nono/lib/launch/launchtest"
	"golang.org/x/sys/unix"
)

// startStopped starts argv stopped at its exec, unconfined.
func startStopped(t *testing.T, e *launch.Executable, dir string, argv ...string) *Child {
	t.Helper()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { null.Close() })
	c, err := Start(Launch{Path: e.ExecPath, Dir: dir, Argv: argv, Env: os.Environ(), Stdio: Stdio{In: null, Out: null, Err: null}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIdentifyBinary(t *testing.T) {
	dir := t.TempDir()
	content, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	launchtest.WriteFile(t, dir+"/prog", string(content), 0o755)
	e, err := launch.Open("./prog", "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := startStopped(t, e, dir, "prog")
	// The kernel keeps a running executable from being written: what
	// Identify hashes is what runs.
	if _, err := os.OpenFile(dir+"/prog", os.O_WRONLY, 0); !errors.Is(err, unix.ETXTBSY) {
		t.Errorf("opening the running executable for writing: %v, want ETXTBSY", err)
	}
	same, err := e.Identify(c.Pid)
	c.Release()
	if ws := c.Wait(nil); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("the released child ended with %#x", uint32(ws))
	}
	if err != nil || !same || e.SHA256 != launchtest.SHA256(string(content)) {
		t.Errorf("Identify = %v, %v, SHA256 %s; want the hash of what ran", same, err, e.SHA256)
	}

	// Replaced at the path before the exec: another file ran, and Identify
	// says so (the caller starts again).
	e2, err := launch.Open("./prog", "", dir, func(string) error {
		false, err := os.ReadFile("/bin/false")
		if err == nil {
			launchtest.WriteFile(t, dir+"/new", string(false), 0o755)
			err = os.Rename(dir+"/new", dir+"/prog")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	c = startStopped(t, e2, dir, "prog")
	same, err = e2.Identify(c.Pid)
	c.Abort()
	if err != nil || same {
		t.Errorf("Identify of a replaced binary = %v, %v; want a mismatch", same, err)
	}
}

func TestIdentifyScript(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\nexit 0\n"
	launchtest.WriteFile(t, dir+"/s", script, 0o755)
	e, err := launch.Open("./s", "", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := startStopped(t, e, dir, "s")
	same, err := e.Identify(c.Pid)
	c.Release()
	c.Wait(nil)
	sh, _ := filepath.EvalSymlinks("/bin/sh")
	shContent, _ := os.ReadFile(sh)
	if err != nil || !same || e.SHA256 != launchtest.SHA256(script) || e.Interpreter == nil ||
		e.Interpreter.Path != sh || e.Interpreter.SHA256 != launchtest.SHA256(string(shContent)) {
		t.Errorf("Identify = %v, %v; script %s, interpreter %+v", same, err, e.SHA256, e.Interpreter)
	}

	// Written in place after hashing: a mismatch.
	e2, err := launch.Open("./s", "", dir, func(p string) error {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			_, err = f.WriteString("echo appended\n")
			f.Close()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	c = startStopped(t, e2, dir, "s")
	same, err = e2.Identify(c.Pid)
	c.Abort()
	if err != nil || same {
		t.Errorf("Identify of a script changed after hashing = %v, %v; want a mismatch", same, err)
	}
}
