package chain

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("broken pipe")
}

func TestTeeKeepsLoggingWhenDownstreamFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.ndjson")
	down := &failingWriter{}
	tee, err := OpenTee(path, down)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []string{"a\n", "b\n", "c\n"} {
		if _, err := tee.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	err = tee.Close()
	if err == nil || !strings.Contains(err.Error(), "downstream") {
		t.Fatalf("Close = %v, want the downstream failure", err)
	}
	got, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(got) != "a\nb\nc\n" || st.Mode().Perm() != 0o600 || down.n != 1 {
		t.Fatalf("log %q mode %v, downstream writes %d", got, st.Mode(), down.n)
	}
}

func TestTeeRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "target"), nil, 0o600)
	os.Symlink("target", filepath.Join(dir, "log"))
	if _, err := OpenTee(filepath.Join(dir, "log"), os.Stdout); err == nil {
		t.Fatal("followed a symlink")
	}
}

func TestVerifyTeedChecksTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.ndjson")
	var stream strings.Builder
	tee, err := OpenTee(path, &stream)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(tee)
	for _, e := range []string{`{"type":"a"}`, `{"type":"b"}`} {
		if err := rec.Append([]byte(e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tee.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := VerifyTeed(strings.NewReader(stream.String()), path, Options{})
	if err != nil || res.EventCount != 2 {
		t.Fatalf("VerifyTeed = %+v, %v", res, err)
	}
	// A file that lost its last record no longer matches the stream.
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:strings.Index(string(data), "\n")+1], 0o600)
	if _, err := VerifyTeed(strings.NewReader(stream.String()), path, Options{}); !errors.Is(err, ErrStreamMismatch) {
		t.Fatalf("err = %v, want ErrStreamMismatch", err)
	}
}
