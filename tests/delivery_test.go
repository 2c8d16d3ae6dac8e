package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// End-to-end delivery through the real binaries: `nono` on the sending
// side, nono-collect in between, a real MinIO behind it, all on
// 127.0.0.1, as a user and an operator would run them.

// toolDir is the directory of the tools (in-process copies) and the wrapper.
func toolDir(t *testing.T) string {
	t.Helper()
	dir, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// user is one machine's environment: its own HOME and state directory.
type user struct {
	t   *testing.T
	dir string
	env []string
}

func newUser(t *testing.T) *user {
	t.Helper()
	dir := t.TempDir()
	u := &user{t: t, dir: dir}
	for _, d := range []string{"home", "state", "config", "ws"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	u.env = append(os.Environ(),
		"PATH="+toolDir(t)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(dir, "home"), "XDG_STATE_HOME="+filepath.Join(dir, "state"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "NONO_AUDIT_DIR=", "NONO_ROLLBACK_DIR=")
	u.env = append(u.env, s3Env()...)
	return u
}

func (u *user) auditRoot() string { return filepath.Join(u.dir, "state", "nono", "audit") }

// run runs a tool from the build in the user's workspace.
func (u *user) run(args ...string) (stdout, stderr string, code int) {
	u.t.Helper()
	cmd := exec.Command(filepath.Join(toolDir(u.t), args[0]), args[1:]...)
	cmd.Dir = filepath.Join(u.dir, "ws")
	cmd.Env = u.env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		u.t.Fatalf("%s: %v", args[0], err)
	}
	return o.String(), e.String(), code
}

// must runs a tool that must succeed and returns its stdout.
func (u *user) must(args ...string) string {
	u.t.Helper()
	out, errOut, code := u.run(args...)
	if code != 0 {
		u.t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// record runs n sessions without shipping them, four at a time (as
// parallel jobs of one machine would), and returns their IDs.
func (u *user) record(n int) []string {
	u.t.Helper()
	jobs := make(chan struct{}, n)
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				cmd := exec.Command(filepath.Join(toolDir(u.t), "nono"), "run", "--silent", "--allow-cwd", "--no-sync", "--", "true")
				cmd.Dir, cmd.Env = filepath.Join(u.dir, "ws"), u.env
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Errorf("nono run: %v\n%s", err, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		u.t.Fatal(err)
	}
	return u.sessions()
}

func (u *user) sessions() []string {
	entries, _ := os.ReadDir(u.auditRoot())
	var ids []string
	for _, e := range entries {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids
}

// collector is a running nono-collect serve.
type collector struct {
	t      *testing.T
	bucket string
	addr   string
	args   []string
	cmd    *exec.Cmd
	log    string
}

// startCollector serves bucket on a free loopback port (or addr, when a
// restarted collector must come back where its senders expect it).
func startCollector(t *testing.T, bucket, addr string, args ...string) *collector {
	t.Helper()
	if addr == "" {
		addr = freeAddr()
	}
	c := &collector{t: t, bucket: bucket, addr: addr, args: args, log: filepath.Join(t.TempDir(), "collect.log")}
	c.start()
	t.Cleanup(c.stop)
	return c
}

func (c *collector) start() {
	c.t.Helper()
	addrFile := filepath.Join(filepath.Dir(c.log), "addr")
	os.Remove(addrFile)
	args := append([]string{"serve", "--s3", minioURL(c.t), "--bucket", c.bucket, "--listen", c.addr, "--addr-file", addrFile}, c.args...)
	cmd := exec.Command(filepath.Join(toolDir(c.t), "nono-collect"), args...)
	cmd.Env = append(os.Environ(), s3Env()...)
	log, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.cmd = cmd
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(addrFile); err == nil {
			return
		}
		if cmd.ProcessState != nil {
			break
		}
	}
	data, _ := os.ReadFile(c.log)
	c.t.Fatalf("nono-collect did not start:\n%s", data)
}

func (c *collector) url() string { return "http://" + c.addr }

// kill ends the collector with SIGKILL: no shutdown, no pending work done.
func (c *collector) kill() {
	if c.cmd != nil {
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
		c.cmd = nil
	}
}

func (c *collector) stop() {
	if c.cmd != nil {
		c.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { c.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.kill()
		}
		c.cmd = nil
	}
}

// enroll makes a token for tenant and enrolls u with the collector.
func (u *user) enroll(c *collector, tenant string, extra ...string) {
	u.t.Helper()
	tok := strings.TrimSpace(u.must("nono-collect", "token", "create", "--s3", minioURL(u.t), "--bucket", c.bucket, "--tenant", tenant))
	u.must(append([]string{"nono", "platform", "enroll", "--url", c.url(), "--token", tok, "--name", "test machine"}, extra...)...)
}

// envelopeKeys lists the envelope objects of a bucket.
func envelopeKeys(t *testing.T, bucket string) []string {
	t.Helper()
	store := openBucket(t, bucket)
	var keys []string
	err := store.List(context.Background(), "", false, func(e objstoreEntry) bool {
		if !strings.HasPrefix(e.Key, "_nono/") && !strings.HasSuffix(e.Key, ".verification.json") {
			keys = append(keys, e.Key)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestDeliveryExactlyOnce: 50 sessions delivered exactly once, although
// the collector is killed with SIGKILL in the middle of the sync and
// restarted; then every one verifies from the bucket alone.
func TestDeliveryExactlyOnce(t *testing.T) {
	_, bucket := newBucket(t, true)
	c := startCollector(t, bucket, "")
	u := newUser(t)
	u.enroll(c, "acme")
	t0 := time.Now()
	ids := u.record(50)
	t.Logf("record: %s", time.Since(t0))
	if len(ids) != 50 {
		t.Fatalf("%d sessions recorded", len(ids))
	}
	out := u.must("nono", "audit", "status")
	if n := strings.Count(out, " unsent "); n != 50 {
		t.Fatalf("%d unsent before the sync:\n%s", n, out)
	}

	// Sync, and kill the collector once some sessions are through.
	sync := exec.Command(filepath.Join(toolDir(t), "nono"), "audit", "sync", "--parallel", "2", "--retries", "1", "--backoff", "50ms")
	sync.Dir, sync.Env = filepath.Join(u.dir, "ws"), u.env
	var syncOut bytes.Buffer
	sync.Stdout, sync.Stderr = &syncOut, &syncOut
	if err := sync.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if n := receipts(u, ids); n >= 10 || time.Now().After(deadline) {
			break
		}
	}
	c.kill()
	err := sync.Wait()
	delivered := receipts(u, ids)
	t.Logf("killed the collector after %d receipts; the first sync: %v", delivered, err)
	if delivered == 50 {
		t.Fatal("the collector was killed too late to test anything")
	}
	if err == nil {
		t.Errorf("the first sync reported success:\n%s", syncOut.String())
	}
	out = u.must("nono", "audit", "status")
	if strings.Count(out, " delivered ")+strings.Count(out, " pending ")+strings.Count(out, " failed ") != 50 {
		t.Errorf("status after the kill:\n%s", out)
	}

	// Restarted where the senders expect it: the sync resumes.
	c.start()
	t1 := time.Now()
	out = u.must("nono", "audit", "sync")
	t.Logf("second sync: %s", time.Since(t1))
	if !strings.Contains(out, "0 failed") || receipts(u, ids) != 50 {
		t.Fatalf("second sync:\n%s", out)
	}
	if out := u.must("nono", "audit", "status"); strings.Count(out, " delivered ") != 50 {
		t.Errorf("status:\n%s", out)
	}
	// A third sync has nothing to do.
	if out := u.must("nono", "audit", "sync"); !strings.Contains(out, "Audit sync: 0 delivered, 0 failed, 0 left for later, 0 not shippable") {
		t.Errorf("third sync:\n%s", out)
	}

	// Exactly once: one object per session, no two for one session.
	keys := envelopeKeys(t, bucket)
	seen := map[string]int{}
	for _, k := range keys {
		seen[strings.Split(k, "/")[2]]++
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("session %s stored %d times", id, seen[id])
		}
	}
	if len(keys) != 50 {
		t.Errorf("%d envelope objects, want 50", len(keys))
	}
	// Every one verifies from the bucket (the restarted collector also
	// verified those its predecessor accepted but died before verifying).
	t2 := time.Now()
	out, errOut, code := u.run("nono-verify", "s3", "--s3", minioURL(t), "--bucket", bucket)
	t.Logf("verify s3: %s", time.Since(t2))
	if code != 0 || !strings.Contains(out, "50 session envelope(s): 50 valid, 0 invalid") {
		t.Fatalf("nono-verify s3: exit %d\n%s%s", code, out, errOut)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out := u.must("nono-verify", "s3", "--s3", minioURL(t), "--bucket", bucket, "--json")
		if n := strings.Count(out, `"collector_verdict": "verified"`); n == 50 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d collector verdicts after 30 s", n)
		}
	}
}

// receipts counts the sessions of ids that have a receipt.
func receipts(u *user, ids []string) int {
	n := 0
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(u.auditRoot(), id, "platform-ingest-receipt.json")); err == nil {
			n++
		}
	}
	return n
}
