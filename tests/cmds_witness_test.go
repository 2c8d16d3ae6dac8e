package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nono-audit/nono/lib/objstore"
)

func init() {
	commands["collector"] = cmdCollector
}

// collector start [SERVE-FLAG...]: a nono-collect serving a fresh bucket
// (with Object Lock) of the test MinIO on a free loopback port, stopped
// when the script ends. It sets $COLLECTOR_URL, $S3_URL, $S3_BUCKET, the
// S3 credentials, and $TOKEN (an enrollment token of tenant acme); the
// collector's log goes to $WORK/collector.log. A script using it starts
// with `[!minio] skip`, as the other S3 tests skip without MinIO.
func cmdCollector(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 || args[0] != "start" {
		ts.Fatalf("usage: collector start [nono-collect serve flag...]")
	}
	if err := minioStart(); err != nil {
		ts.Fatalf("no MinIO: %v", err)
	}
	for _, kv := range s3Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v) // the same values for every test
		ts.Setenv(k, v)
	}
	bucketSeq.Lock()
	bucketSeq.n++
	bucket := fmt.Sprintf("w%d-%d", time.Now().UnixNano()%1e9, bucketSeq.n)
	bucketSeq.Unlock()
	_, err := objstore.Create(context.Background(), minio.url, bucket, true, 1)
	ts.Check(err)
	ts.Setenv("S3_URL", minio.url)
	ts.Setenv("S3_BUCKET", bucket)

	work := ts.Getenv("WORK")
	addrFile := filepath.Join(work, ".collector-addr")
	logFile, err := os.Create(filepath.Join(work, "collector.log"))
	ts.Check(err)
	serve := append([]string{"serve", "--s3", minio.url, "--bucket", bucket, "--listen", "127.0.0.1:0", "--addr-file", addrFile}, args[1:]...)
	cmd := exec.Command(toolPath(ts, "nono-collect"), serve...)
	cmd.Env = append(os.Environ(), s3Env()...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	ts.Check(cmd.Start())
	ts.Defer(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logFile.Close()
	})
	var addr []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && len(addr) == 0; time.Sleep(20 * time.Millisecond) {
		addr, _ = os.ReadFile(addrFile)
	}
	if len(addr) == 0 {
		data, _ := os.ReadFile(logFile.Name())
		ts.Fatalf("nono-collect did not start:\n%s", data)
	}
	ts.Setenv("COLLECTOR_URL", "http://"+strings.TrimSpace(string(addr)))

	tok := exec.Command(toolPath(ts, "nono-collect"), "token", "create", "--s3", minio.url, "--bucket", bucket, "--tenant", "acme")
	tok.Env = cmd.Env
	out, err := tok.Output()
	ts.Check(err)
	ts.Setenv("TOKEN", strings.TrimSpace(string(out)))
}
