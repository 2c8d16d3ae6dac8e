package session

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func wantUnsafe(t *testing.T, root, dir, reason string) {
	t.Helper()
	var ue *UnsafeRootError
	err := CheckRoot(root)
	if !errors.As(err, &ue) || ue.Dir != dir || !strings.Contains(ue.Reason, reason) {
		t.Fatalf("CheckRoot(%s) = %v, want %q at %s", root, err, reason, dir)
	}
}

func TestCheckRoot(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "audit")
	if err := CheckRoot(root); err != nil { // not there yet: made 0700
		t.Fatal(err)
	}
	if err := EnsureRoot(root); err != nil {
		t.Fatal(err)
	}
	if err := CheckRoot(root); err != nil {
		t.Fatal(err)
	}
	os.Chmod(root, 0o770)
	wantUnsafe(t, root, root, "writable by group or others (mode 0770)")
	os.Chmod(root, os.ModeSticky|0o777) // the sticky bit does not make the root itself safe
	wantUnsafe(t, root, root, "writable by group or others")
	os.Chmod(root, 0o700)

	os.Chmod(base, 0o777)
	wantUnsafe(t, root, base, "writable by group or others")
	if err := EnsureRoot(filepath.Join(base, "new")); err == nil {
		t.Fatal("EnsureRoot under a world-writable parent")
	}
	os.Chmod(base, os.ModeSticky|0o777) // like /tmp
	if err := CheckRoot(root); err != nil {
		t.Fatal(err)
	}
	os.Chmod(base, 0o700)

	link := filepath.Join(base, "link")
	os.Symlink(root, link)
	wantUnsafe(t, link, link, "symbolic link")
}

// A second local user who can write to the audit root plants a session
// that the store would list (and verify would read); the root is refused.
func TestCheckRootSecondUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to act as a second user (uid 65534)")
	}
	const other = 65534
	base := t.TempDir()
	for d := base; d != "/"; d = filepath.Dir(d) { // let the other user reach it
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 == 0 {
			os.Chmod(d, fi.Mode().Perm()|0o005)
		}
	}
	root := filepath.Join(base, "audit")
	if err := EnsureRoot(root); err != nil {
		t.Fatal(err)
	}
	asOther := func(script string) error {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: other, Gid: other}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("as uid %d: %s", other, out)
		}
		return err
	}
	plant := "mkdir " + root + "/0123456789abcdef && echo '{}' > " + root + "/0123456789abcdef/session.json"
	if asOther(plant) == nil {
		t.Fatal("the other user wrote into a 0700 root")
	}

	os.Chmod(root, 0o777) // a careless umask or chmod
	if err := asOther(plant); err != nil {
		t.Fatal("the other user could not plant a session:", err)
	}
	env := func(k string) string {
		return map[string]string{"NONO_AUDIT_DIR": root, "NONO_ROLLBACK_DIR": filepath.Join(base, "rb")}[k]
	}
	if _, err := Open(env); err == nil || !strings.Contains(err.Error(), "refusing the store root "+root) {
		t.Fatalf("Open of a world-writable root: %v", err)
	}

	// The other user's own directory as the root.
	os.Chmod(root, 0o700)
	os.Chown(root, other, other)
	wantUnsafe(t, root, root, "owned by uid 65534")
	if _, _, err := Create(root); err == nil {
		t.Fatal("Create in another user's root")
	}
}
