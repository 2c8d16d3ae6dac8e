package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileReplacesWithMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(got) != "new" || st.Mode().Perm() != 0o600 {
		t.Fatalf("content %q mode %v", got, st.Mode())
	}
	assertNoTemps(t, dir)
}

func TestFailedFillKeepsOldFile(t *testing.T) {
	for name, write := range map[string]func(string, os.FileMode, func(io.Writer) error) error{
		"Write": Write, "ReplaceWith": ReplaceWith, "Draft": Draft,
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "f")
		os.WriteFile(p, []byte("keep"), 0o600)
		err := write(p, 0o600, func(w io.Writer) error {
			io.WriteString(w, "half")
			return errors.New("boom")
		})
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("%s: err = %v", name, err)
		}
		got, _ := os.ReadFile(p)
		if string(got) != "keep" {
			t.Fatalf("%s: old content lost: %q", name, got)
		}
		assertNoTemps(t, dir)
	}
}

func TestDraftReplacesWithMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("old"), 0o644)
	if err := Draft(p, 0o600, func(w io.Writer) error { _, err := io.WriteString(w, "draft"); return err }); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(got) != "draft" || st.Mode().Perm() != 0o600 {
		t.Fatalf("content %q mode %v", got, st.Mode())
	}
	assertNoTemps(t, dir)
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			t.Fatalf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestReplaceLeavesNoTemps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, content := range []string{"one", "two"} {
		if err := Replace(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(p)
		if string(got) != content {
			t.Fatalf("content %q, want %q", got, content)
		}
	}
	assertNoTemps(t, dir)
}
