package tests

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/objstore"
)

// A real MinIO server on 127.0.0.1, one per test run, started by the
// first test that needs it. scripts/minio.sh builds and caches the
// binary (`make test` and .ci/run run it before the tests); if it could
// not be built, those tests are skipped with the reason.

const (
	minioUser     = "nonotest"
	minioPassword = "nonotest-secret-key"
)

var minio struct {
	once sync.Once
	url  string
	dir  string
	cmd  *exec.Cmd
	err  error
}

// minioURL returns the server's URL, starting it on first use, or skips t.
func minioURL(t testing.TB) string {
	t.Helper()
	if err := minioStart(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the S3 tests: %v", err)
		}
		t.Skipf("S3 tests skipped: %v", err)
	}
	return minio.url
}

// minioStart starts the server once per run and returns why it could not.
func minioStart() error {
	minio.once.Do(func() {
		// The server dies with the thread that started it (Pdeathsig),
		// so that thread is kept for the whole run.
		started := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			startMinIO()
			close(started)
			select {}
		}()
		<-started
	})
	return minio.err
}

func startMinIO() {
	bin := os.Getenv("NONO_TEST_MINIO")
	if bin == "" {
		out, err := exec.Command("../scripts/minio.sh", "--path").Output()
		bin = strings.TrimSpace(string(out))
		if err != nil {
			minio.err = fmt.Errorf("no MinIO server at %s (build it with `make minio`, or set NONO_TEST_MINIO)", bin)
			return
		}
	}
	dir, err := os.MkdirTemp("", "nono-minio-")
	if err != nil {
		minio.err = err
		return
	}
	minio.dir = dir
	addr, console := freeAddr(), freeAddr()
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", console, filepath.Join(dir, "data"))
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+minioUser, "MINIO_ROOT_PASSWORD="+minioPassword,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "HOME="+dir)
	log, _ := os.Create(filepath.Join(dir, "minio.log"))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		minio.err = fmt.Errorf("start MinIO: %w", err)
		return
	}
	minio.cmd = cmd
	minio.url = "http://" + addr
	atExit = append(atExit, stopMinIO)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(minio.url + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "minio.log"))
	minio.err = fmt.Errorf("MinIO did not become ready in 60 s:\n%s", data)
}

func stopMinIO() {
	if minio.cmd != nil {
		syscall.Kill(-minio.cmd.Process.Pid, syscall.SIGKILL)
		minio.cmd.Wait()
	}
	if minio.dir != "" {
		os.RemoveAll(minio.dir)
	}
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// s3Env is the environment a tool needs to reach the test server.
func s3Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + minioUser, "AWS_SECRET_ACCESS_KEY=" + minioPassword, "AWS_REGION="}
}

var bucketSeq struct {
	sync.Mutex
	n int
}

// newBucket makes a fresh bucket for t, with Object Lock (and a one-day
// default compliance retention) when lock is set.
func newBucket(t testing.TB, lock bool) (*objstore.Store, string) {
	t.Helper()
	url := minioURL(t)
	bucketSeq.Lock()
	bucketSeq.n++
	name := fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e9, bucketSeq.n)
	bucketSeq.Unlock()
	for _, kv := range s3Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	days := uint(0)
	if lock {
		days = 1
	}
	s, err := objstore.Create(context.Background(), url, name, lock, days)
	if err != nil {
		t.Fatal(err)
	}
	if s, err = objstore.Open(context.Background(), url, name); err != nil {
		t.Fatal(err)
	}
	return s, name
}

type objstoreEntry = objstore.Entry

// openBucket opens an existing bucket of the test server.
func openBucket(t testing.TB, name string) *objstore.Store {
	t.Helper()
	for _, kv := range s3Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	s, err := objstore.Open(context.Background(), minioURL(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
