package plan

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/sandbox"
	"github.com/nono-audit/nono/lib/session"
)

func str(s string) *string { return &s }

func TestCheck(t *testing.T) {
	cmd := []string{"true"}
	tests := []struct {
		o    Options
		want string // "" = fine
	}{
		{Options{Command: cmd}, ""},
		{Options{}, "missing command"},
		{Options{NoAudit: true, Rollback: true, Command: cmd}, "'--no-audit' cannot be used with '--rollback'"},
		{Options{NoAudit: true, AuditIntegrity: true, Command: cmd}, "'--no-audit' cannot be used with '--audit-integrity'"},
		{Options{NoAudit: true, NoAuditIntegrity: true, Command: cmd}, "'--no-audit' cannot be used with '--no-audit-integrity'"},
		{Options{NoAudit: true, AuditSignKey: str(""), Command: cmd}, "'--no-audit' cannot be used with '--audit-sign-key'"},
		{Options{NoAuditIntegrity: true, AuditIntegrity: true, Command: cmd}, "'--no-audit-integrity' cannot be used with '--audit-integrity'"},
		{Options{NoAuditIntegrity: true, Rollback: true, Command: cmd}, "'--no-audit-integrity' cannot be used with '--rollback'"},
		{Options{NoAuditIntegrity: true, AuditSignKey: str("file:///k"), Command: cmd}, "'--no-audit-integrity' cannot be used with '--audit-sign-key'"},
		{Options{Rollback: true, NoRollback: true, Command: cmd}, "'--rollback' cannot be used with '--no-rollback'"},
		{Options{Rollback: true, RollbackInclude: []string{"x"}, RollbackAll: true, Command: cmd}, "'--rollback-include' cannot be used with '--rollback-all'"},
		{Options{RollbackDest: str("/tmp/x"), Command: cmd}, "'--rollback-dest' requires '--rollback'"},
		{Options{Rollback: true, RollbackDest: str("/tmp/x"), NoRollbackPrompt: true, Command: cmd}, ""},
		{Options{NoRollback: true, RollbackExclude: []string{"x"}, Command: cmd}, ""},
		{Options{NoAudit: true, NoRollback: true, Command: cmd}, ""},
	}
	for _, tt := range tests {
		err := tt.o.Check()
		if tt.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", tt.o, err)
			}
			continue
		}
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) || ExitStatus(err) != 2 {
			t.Errorf("%+v: err = %v, want a usage error saying %q", tt.o, err, tt.want)
		}
	}
}

// world is a scratch HOME/state/config with a project directory.
type world struct {
	t                        *testing.T
	root, cwd, state, config string
	env                      map[string]string
	warn                     bytes.Buffer
}

func newWorld(t *testing.T) *world {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, root: root, cwd: root + "/proj", state: root + "/state", config: root + "/config"}
	for _, d := range []string{w.cwd + "/out", w.state, w.config, root + "/home"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w.env = map[string]string{
		"HOME": root + "/home", "XDG_STATE_HOME": w.state, "XDG_CONFIG_HOME": w.config,
		"PATH": os.Getenv("PATH"), "TMPDIR": root + "/tmp",
	}
	return w
}

func (w *world) make(o *Options) (*Plan, error) {
	return Make(o, Env{Getenv: func(k string) string { return w.env[k] }, Cwd: w.cwd, Now: time.Date(2026, 4, 21, 20, 0, 0, 0, time.UTC), Warn: &w.warn})
}

func (w *world) auditRoot() string { return filepath.Join(w.state, "nono", "audit") }

// sessions lists the session directories under the audit root.
func (w *world) sessions() []string {
	entries, _ := os.ReadDir(w.auditRoot())
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	return ids
}

func TestMakeCreatesSession(t *testing.T) {
	w := newWorld(t)
	p, err := w.make(&Options{Grants: sandbox.GrantFlags{Allow: []string{"out"}, Read: []string{w.root + "/home"}, AllowCwd: true},
		Command: []string{"sh", "-c", "exit 0", "--token", "sekrit"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := session.ValidateID(p.SessionID); err != nil || len(p.SessionID) != 16 {
		t.Errorf("session id %q: %v", p.SessionID, err)
	}
	if p.SessionDir != filepath.Join(w.auditRoot(), p.SessionID) || !p.Audit || !p.Integrity || p.FSIntegrity || p.Rollback || p.RollbackDir != "" || !p.RollbackPrompt {
		t.Errorf("plan = %+v", p)
	}
	for path, mode := range map[string]os.FileMode{w.auditRoot(): 0o700, p.SessionDir: 0o700, p.SessionDir + "/session.json": 0o600} {
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, %v; want %o", path, st.Mode().Perm(), err, mode)
		}
	}
	s, err := session.Read(p.SessionDir)
	if err != nil {
		t.Fatal(err)
	}
	want := &session.Session{
		SessionID:    p.SessionID,
		Started:      "2026-04-21T20:00:00+00:00",
		Command:      []string{"sh", "-c", "exit 0", "--token", "[REDACTED]"},
		TrackedPaths: []string{w.cwd + "/out", w.root + "/home", w.cwd}, // out (inside the cwd) stays first
		MerkleRoots:  []string{},
	}
	got, _ := s.Encode()
	if wantJSON, _ := want.Encode(); !bytes.Equal(got, wantJSON) {
		t.Errorf("session.json =\n%s\nwant\n%s", got, wantJSON)
	}
	if !reflect.DeepEqual(p.RunArgs, []string{"--allow=out", "--read=" + w.root + "/home", "--allow-cwd"}) {
		t.Errorf("run_args = %q", p.RunArgs)
	}
	if w.warn.Len() != 0 {
		t.Errorf("warnings: %s", w.warn.String())
	}
}

func TestMakeNoAudit(t *testing.T) {
	w := newWorld(t)
	p, err := w.make(&Options{NoAudit: true, Command: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Audit || p.Integrity || p.SessionID != "" || p.SessionDir != "" || !reflect.DeepEqual(p.RunArgs, []string{"--no-audit"}) {
		t.Errorf("plan = %+v", p)
	}
	if _, err := os.Stat(w.auditRoot()); !os.IsNotExist(err) {
		t.Errorf("--no-audit created the audit root: %v", err)
	}
	if !strings.Contains(w.warn.String(), "--no-audit disables session") {
		t.Errorf("no warning: %q", w.warn.String())
	}
	w.warn.Reset()
	if _, err := w.make(&Options{NoAudit: true, Silent: true, Command: []string{"true"}}); err != nil || w.warn.Len() != 0 {
		t.Errorf("--silent: %v, warned %q", err, w.warn.String())
	}
}

func TestMakeRefusesBeforeCreating(t *testing.T) {
	w := newWorld(t)
	if err := os.WriteFile(w.root+"/file", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		o      Options
		status int
		msg    string
	}{
		{"conflict", Options{NoAudit: true, Rollback: true, Command: []string{"true"}}, 2, "cannot be used with"},
		{"missing grant", Options{Grants: sandbox.GrantFlags{Allow: []string{"nope"}}, Command: []string{"true"}}, 2, "no such file"},
		{"file grant", Options{Grants: sandbox.GrantFlags{Read: []string{w.root + "/file"}}, Command: []string{"true"}}, 2, "not a directory"},
		{"directory file grant", Options{Grants: sandbox.GrantFlags{ReadFile: []string{w.root}}, Command: []string{"true"}}, 2, "is a directory"},
		{"not found", Options{NoAudit: true, Command: []string{"no-such-command-anywhere"}}, 127, "command not found"},
		{"not executable", Options{NoAudit: true, Command: []string{w.root + "/file"}}, 126, "permission denied"},
		{"bad key", Options{AuditSignKey: str("file://" + w.root + "/nokey"), Command: []string{"true"}}, 2, "--audit-sign-key"},
		{"bad key scheme", Options{AuditSignKey: str("cmd://x"), Command: []string{"true"}}, 2, "--audit-sign-key"},
		{"dest inside a grant", Options{Rollback: true, Grants: sandbox.GrantFlags{Allow: []string{"out"}}, RollbackDest: str("out/store"), Command: []string{"true"}}, 2, "rollback store (--rollback-dest)"},
		{"grant holding the audit root", Options{Grants: sandbox.GrantFlags{Read: []string{w.state}}, Command: []string{"true"}}, 2, "contains the audit root"},
		{"grant inside the config dir", Options{Grants: sandbox.GrantFlags{AllowFile: []string{w.root + "/config/nono/x"}}, Command: []string{"true"}}, 2, "lies inside the configuration directory"},
		{"grant holding a deny path", Options{Grants: sandbox.GrantFlags{Read: []string{w.root + "/home"}}, Command: []string{"true"}}, 2, "deny group deny_credentials"},
		{"no landlock", Options{Command: []string{"true"}}, 2, "--allow-unsandboxed"},
	}
	os.MkdirAll(w.root+"/config/nono", 0o700)
	os.WriteFile(w.root+"/config/nono/x", nil, 0o600)
	os.MkdirAll(w.root+"/home/.ssh", 0o700)
	defer os.RemoveAll(w.root + "/home/.ssh")
	for _, tt := range tests {
		if tt.name == "no landlock" {
			w.env["NONO_TEST_NO_LANDLOCK"] = "1"
		}
		_, err := w.make(&tt.o)
		delete(w.env, "NONO_TEST_NO_LANDLOCK")
		if err == nil || ExitStatus(err) != tt.status || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v (status %d), want status %d saying %q", tt.name, err, ExitStatus(err), tt.status, tt.msg)
		}
	}
	if ids := w.sessions(); len(ids) != 0 {
		t.Errorf("refused plans left sessions %q", ids)
	}

	// A malformed redaction config refuses too.
	cfgDir := filepath.Join(w.config, "nono")
	os.MkdirAll(cfgDir, 0o755)
	os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte("[redaction\n"), 0o644)
	if _, err := w.make(&Options{Command: []string{"true"}}); err == nil || ExitStatus(err) != 2 {
		t.Errorf("malformed config: %v", err)
	}
	if ids := w.sessions(); len(ids) != 0 {
		t.Errorf("a malformed config left sessions %q", ids)
	}
}

func TestMakeSigningKey(t *testing.T) {
	w := newWorld(t)
	keyFile := w.root + "/key.pk8.b64"
	writeKey(t, keyFile)
	p, err := w.make(&Options{AuditSignKey: str("file://" + keyFile), Command: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.SignKey != "file://"+keyFile {
		t.Errorf("sign_key = %q", p.SignKey)
	}
	// Blank means no signing.
	p, err = w.make(&Options{AuditSignKey: str("  "), Command: []string{"true"}})
	if err != nil || p.SignKey != "" {
		t.Errorf("blank key: %+v, %v", p, err)
	}
}

func TestMakeRollback(t *testing.T) {
	w := newWorld(t)
	os.MkdirAll(w.root+"/tmp", 0o755)
	p, err := w.make(&Options{Rollback: true, NoRollbackPrompt: true, Grants: sandbox.GrantFlags{AllowCwd: true, Allow: []string{"out"}, Read: []string{w.root + "/home"}},
		RollbackExclude: []string{"*.log", "-x"}, RollbackInclude: []string{"node_modules"}, SkipDir: []string{"big"}, Command: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Rollback || p.RollbackPrompt || p.FSIntegrity || p.RollbackDir != filepath.Join(w.state, "nono", "rollbacks", p.SessionID) {
		t.Errorf("plan = %+v", p)
	}
	if want := []string{"--rollback-exclude=*.log", "--rollback-exclude=-x", "--rollback-include=node_modules", "--skip-dir=big"}; !reflect.DeepEqual(p.SnapshotArgs, want) {
		t.Errorf("snapshot_args = %q, want %q", p.SnapshotArgs, want)
	}
	s, err := session.Read(p.SessionDir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.TrackedPaths, []string{w.cwd + "/out"}) { // writable ones only
		t.Errorf("tracked_paths = %q", s.TrackedPaths)
	}
	if !reflect.DeepEqual(p.RunArgs, []string{"--allow=out", "--read=" + w.root + "/home", "--allow-cwd", "--rollback"}) {
		t.Errorf("run_args = %q", p.RunArgs)
	}

	// A destination outside every grant (it need not exist yet) is the
	// supervisor's, and nono-run must protect it too.
	for _, dest := range []string{"store", w.root + "/tmp/new/store"} {
		p, err := w.make(&Options{Rollback: true, Grants: sandbox.GrantFlags{Allow: []string{"out"}}, RollbackDest: str(dest), Command: []string{"true"}})
		if err != nil {
			t.Errorf("dest %s: %v", dest, err)
			continue
		}
		base := dest
		if !filepath.IsAbs(base) {
			base = filepath.Join(w.cwd, dest)
		}
		if p.RollbackDir != filepath.Join(base, p.SessionID) {
			t.Errorf("dest %s: rollback_dir = %q", dest, p.RollbackDir)
		}
		if !reflect.DeepEqual(p.RunArgs, []string{"--allow=out", "--rollback", "--protect=" + base}) {
			t.Errorf("dest %s: run_args = %q", dest, p.RunArgs)
		}
	}

	p, err = w.make(&Options{AuditIntegrity: true, Grants: sandbox.GrantFlags{Allow: []string{"out"}}, Command: []string{"true"}})
	if err != nil || !p.FSIntegrity || p.Rollback || !reflect.DeepEqual(p.RunArgs, []string{"--allow=out", "--audit-integrity"}) {
		t.Errorf("--audit-integrity: %+v, %v", p, err)
	}

	// Nothing writable: nothing to snapshot, so an audit-only session that
	// tracks every granted directory, and no rollback store.
	for _, o := range []*Options{
		{Rollback: true, NoRollbackPrompt: true, Grants: sandbox.GrantFlags{AllowCwd: true, Read: []string{w.root + "/home"}}, Command: []string{"true"}},
		{AuditIntegrity: true, Grants: sandbox.GrantFlags{AllowCwd: true, Read: []string{w.root + "/home"}}, Command: []string{"true"}},
	} {
		p, err = w.make(o)
		if err != nil {
			t.Fatal(err)
		}
		if p.Rollback || p.FSIntegrity || p.RollbackDir != "" || !reflect.DeepEqual(p.RunArgs, []string{"--read=" + w.root + "/home", "--allow-cwd"}) {
			t.Errorf("nothing writable: plan = %+v", p)
		}
		if s, err := session.Read(p.SessionDir); err != nil || len(s.TrackedPaths) != 2 {
			t.Errorf("nothing writable: tracked_paths = %q, %v", s.TrackedPaths, err)
		}
	}
	// A read-only grant may not reach a rollback destination either.
	if _, err := w.make(&Options{Rollback: true, Grants: sandbox.GrantFlags{Read: []string{w.root + "/tmp"}, Allow: []string{"out"}}, RollbackDest: str(w.root + "/tmp/x"), Command: []string{"true"}}); ExitStatus(err) != 2 {
		t.Errorf("a destination under a read-only grant: %v", err)
	}
}

func TestMakeSandboxFlags(t *testing.T) {
	w := newWorld(t)
	keyFile := w.root + "/key"
	writeKey(t, keyFile)
	content, _ := os.ReadFile(keyFile)
	w.env["SIGNKEY"] = string(content)
	p, err := w.make(&Options{Grants: sandbox.GrantFlags{Write: []string{"out"}, ReadFile: []string{keyFile + ".pub"}}, BlockNet: true, AllowUnsandboxed: true,
		AuditSignKey: str("file://" + keyFile), Silent: true, Command: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--write=out", "--read-file=" + keyFile + ".pub", "--block-net", "--allow-unsandboxed", "--protect=" + keyFile, "--silent"}
	if !reflect.DeepEqual(p.RunArgs, want) {
		t.Errorf("run_args = %q, want %q", p.RunArgs, want)
	}
	// The signing key is protected: no grant may reach it.
	if _, err := w.make(&Options{Grants: sandbox.GrantFlags{ReadFile: []string{keyFile}}, AuditSignKey: str("file://" + keyFile), Command: []string{"true"}}); ExitStatus(err) != 2 {
		t.Errorf("a grant of the signing key: %v", err)
	}
	// An env:// key's variable is kept from the command.
	p, err = w.make(&Options{AuditSignKey: str("env://SIGNKEY"), Command: []string{"true"}})
	if err != nil || !reflect.DeepEqual(p.RunArgs, []string{"--scrub-env=SIGNKEY"}) {
		t.Errorf("env:// key: %v, run_args %q", err, p.RunArgs)
	}
}

func TestMakeDryRun(t *testing.T) {
	w := newWorld(t)
	p, err := w.make(&Options{DryRun: true, Grants: sandbox.GrantFlags{Allow: []string{"out"}}, BlockNet: true, Command: []string{"sh", "-c", "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if !p.DryRun || p.Sandbox == nil || p.SessionDir != "" || len(w.sessions()) != 0 {
		t.Fatalf("dry run: %+v, sessions %q", p, w.sessions())
	}
	var b bytes.Buffer
	if err := p.Sandbox.Describe(&b, p.ABI); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{w.cwd + "/out", "read+write  --allow", "system_read_linux_core", "executable", "TCP connect and bind denied", "audit root"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, b.String())
		}
	}
}

func writeKey(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(der)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".pub", nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestShellEval(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	p := &Plan{
		SessionID: "0123456789abcdef", SessionDir: "/state/it's here", Audit: true, Integrity: true,
		RollbackPrompt: true, SignKey: "file:///k$(x)", RedactArgs: []string{},
		SnapshotArgs: []string{"--rollback-exclude=*"}, RunArgs: []string{"--allow=/a b"},
		Command: hostile,
	}
	script := string(p.Shell()) + `
printf '%s\n' "$session_id" "$session_dir" "$audit$integrity$fs_integrity$rollback$rollback_prompt$silent" "$sign_key" "$rollback_dir" "${#redact_args[@]}" "${snapshot_args[*]}" "${run_args[*]}"
printf '%s\0' "${command[@]}"`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, p.Shell())
	}
	head, tail, _ := bytes.Cut(out, []byte("\n\n")) // rollback_dir is empty
	if want := "0123456789abcdef\n/state/it's here\n110010\nfile:///k$(x)"; string(head) != want {
		t.Errorf("scalars:\n%s\nwant:\n%s", head, want)
	}
	lines := strings.SplitN(string(tail), "\n", 4)
	if lines[0] != "0" || lines[1] != "--rollback-exclude=*" || lines[2] != "--allow=/a b" {
		t.Errorf("arrays: %q", lines[:3])
	}
	words := strings.Split(lines[3], "\x00")
	if !reflect.DeepEqual(words[:len(words)-1], hostile) {
		t.Errorf("command came back as %q", words)
	}
	if n := bytes.Count(p.Shell(), []byte("\n")); n != 15 {
		t.Errorf("%d lines, want one per assignment (15):\n%s", n, p.Shell())
	}
}

func TestSyncArgs(t *testing.T) {
	w := newWorld(t)
	p, err := w.make(&Options{Grants: sandbox.GrantFlags{AllowCwd: true}, Command: []string{"true"}})
	if err != nil || len(p.SyncArgs) != 0 {
		t.Fatalf("not enrolled: %v %q", err, p.SyncArgs)
	}
	// Enrolled: the finished session is shipped, quietly with --silent.
	os.MkdirAll(filepath.Join(w.state, "nono"), 0o700)
	os.WriteFile(filepath.Join(w.state, "nono", "platform.json"), []byte("{}"), 0o600)
	p, err = w.make(&Options{Grants: sandbox.GrantFlags{AllowCwd: true}, Silent: true, Command: []string{"true"}})
	if err != nil || !reflect.DeepEqual(p.SyncArgs, []string{"--after-run", p.SessionDir, "--silent"}) {
		t.Fatalf("enrolled: %v %q", err, p.SyncArgs)
	}
	for _, o := range []*Options{{Grants: sandbox.GrantFlags{AllowCwd: true}, NoSync: true, Command: []string{"true"}}, {NoAudit: true, Command: []string{"true"}}} {
		if p, err = w.make(o); err != nil || len(p.SyncArgs) != 0 {
			t.Errorf("%+v: %v %q", o, err, p.SyncArgs)
		}
	}
}
