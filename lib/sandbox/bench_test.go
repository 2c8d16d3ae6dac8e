package sandbox

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkConfine is the sandbox's share of starting a command: the
// policy for /bin/true and a working directory, the Landlock ruleset,
// and confining a fresh locked thread (no_new_privs, nono's seccomp
// filter, restrict_self), as the supervisor does once per session. The
// thread ends with its goroutine, so each iteration pays for a new one,
// as a session does.
func BenchmarkConfine(b *testing.B) {
	abi := ABI(os.Getenv)
	if abi == 0 {
		b.Skip("no Landlock on this kernel")
	}
	dir := b.TempDir()
	exe, err := filepath.EvalSymlinks("/bin/true")
	if err != nil {
		b.Skip(err)
	}
	spec := &Spec{Grants: []Grant{{Path: dir, Access: ReadWrite, Source: "--allow"}}, Cwd: dir, Home: dir}
	for b.Loop() {
		errc := make(chan error, 1)
		go confineOnce(spec, exe, dir, abi, errc)
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
	}
}

// confineOnce confines a fresh locked thread, never the main one (which
// Go may hand to any goroutine): there it hands over to another.
func confineOnce(spec *Spec, exe, dir string, abi int, errc chan<- error) {
	runtime.LockOSThread() // never unlocked once confined: Go ends the thread
	if unix.Gettid() == unix.Getpid() {
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(done)
			confineOnce(spec, exe, dir, abi, errc)
		}()
		<-done
		runtime.UnlockOSThread()
		return
	}
	p, err := spec.Policy(Executable{Path: exe}, dir)
	if err == nil {
		var rs *Ruleset
		if rs, err = p.Ruleset(abi); err == nil {
			_, err = p.ConfineThread(rs)
			rs.Close()
		}
	}
	errc <- err
}
