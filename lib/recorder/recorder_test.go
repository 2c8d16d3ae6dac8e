package recorder

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	got, err := Split(" a --x |b\tc|  d  ")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "--x"}, {"b", "c"}, {"d"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Split = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "  ", "a |", "| a", "a || b", "a | \t | b"} {
		if _, err := Split(bad); err == nil {
			t.Errorf("Split(%q): no error", bad)
		}
	}
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestParseResolves(t *testing.T) {
	dir := t.TempDir()
	onPath := t.TempDir()
	writeScript(t, filepath.Join(dir, "beside"), "cat")
	writeScript(t, filepath.Join(onPath, "beside"), "cat")
	writeScript(t, filepath.Join(onPath, "elsewhere"), "cat")
	os.WriteFile(filepath.Join(dir, "plain"), []byte("x"), 0o644)
	t.Setenv("PATH", onPath)

	stages, err := Parse("beside -a | elsewhere | "+filepath.Join(dir, "beside"), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "beside"), filepath.Join(onPath, "elsewhere"), filepath.Join(dir, "beside")}
	for i, s := range stages {
		if s.Path != want[i] {
			t.Errorf("stage %d: %s, want %s (the tool beside first, then PATH)", i+1, s.Path, want[i])
		}
	}
	if !reflect.DeepEqual(stages[0].Argv, []string{"beside", "-a"}) || stages[0].Name() != "beside" || stages[2].Name() != "beside" {
		t.Errorf("stage 1: %q %q", stages[0].Argv, stages[0].Name())
	}
	for _, bad := range []string{"nosuch", "beside | nosuch", filepath.Join(dir, "plain"), "./nosuch", filepath.Join(dir, "nosuch")} {
		if _, err := Parse(bad, dir); err == nil || !strings.Contains(err.Error(), "program") {
			t.Errorf("Parse(%q) = %v, want an unknown program", bad, err)
		}
	}
}

func TestStartWait(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "upper"), "tr a-z A-Z")
	writeScript(t, filepath.Join(dir, "tag"), `sed "s/^/$1:/"`)
	stages, err := Parse("upper | tag x", dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Start(stages, os.Environ(), out, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if pg := pgid(t, r.pids[1]); pg != r.pids[0] {
		t.Errorf("stage 2 in process group %d, want the first stage's %d", pg, r.pids[0])
	}
	io.WriteString(r.Stream(), "hello\nworld\n")
	statuses, err := r.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := []Status{{"upper", 0}, {"tag", 0}}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	got, _ := os.ReadFile(out.Name())
	if string(got) != "x:HELLO\nx:WORLD\n" {
		t.Errorf("output %q", got)
	}
}

// The stages run with one P unless the environment chose otherwise.
func TestStageEnvGOMAXPROCS(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "procs"), `cat >/dev/null; echo "$GOMAXPROCS"`)
	stages, err := Parse("procs", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"PATH=/usr/bin:/bin"}, "1\n"},
		{[]string{"PATH=/usr/bin:/bin", "GOMAXPROCS="}, "1\n"},
		{[]string{"GOMAXPROCS=3", "PATH=/usr/bin:/bin"}, "3\n"},
	} {
		out, err := os.CreateTemp(t.TempDir(), "out")
		if err != nil {
			t.Fatal(err)
		}
		env := append([]string(nil), c.env...)
		r, err := Start(stages, env, out, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Wait(); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(out.Name()); string(got) != c.want {
			t.Errorf("env %q: the stage saw GOMAXPROCS=%q, want %q", c.env, got, c.want)
		}
		if !reflect.DeepEqual(env, c.env) {
			t.Errorf("Start changed its env argument: %q", env)
		}
	}
}

func pgid(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid pgrp ...
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWaitReportsFailures(t *testing.T) {
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "drain"), "cat >/dev/null")
	writeScript(t, filepath.Join(dir, "fail"), "cat >/dev/null; exit 3")
	writeScript(t, filepath.Join(dir, "killed"), "cat >/dev/null; kill -TERM $$")
	stages, err := Parse("drain | fail | killed", dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Start(stages, os.Environ(), os.Stdout, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Wait()
	var fe *FailedError
	if !errors.As(err, &fe) {
		t.Fatalf("Wait = %v, want a FailedError", err)
	}
	if want := "recording the session failed (drain exit 0, fail exit 3, killed exit 143)"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestStartFailsWhole(t *testing.T) {
	stages := []Stage{{Path: "/bin/cat", Argv: []string{"cat"}}, {Path: "/nonexistent", Argv: []string{"nope"}}}
	if _, err := Start(stages, nil, os.Stdout, os.Stderr); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Start = %v, want an error naming the stage", err)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("nono-redact --session-header | nono-chain --session-header | nono-merkle session --session-header")
	f.Add("a||b")
	f.Add(" | ")
	f.Fuzz(func(t *testing.T, spec string) {
		stages, err := Split(spec)
		if err != nil {
			return
		}
		if len(stages) != strings.Count(spec, "|")+1 {
			t.Fatalf("%q: %d stages", spec, len(stages))
		}
		for _, words := range stages {
			if len(words) == 0 {
				t.Fatalf("%q: an empty stage", spec)
			}
			for _, w := range words {
				if w == "" || strings.ContainsAny(w, "|") || strings.TrimSpace(w) != w {
					t.Fatalf("%q: word %q", spec, w)
				}
			}
		}
	})
}
