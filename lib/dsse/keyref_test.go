package dsse

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseKeyRef(t *testing.T) {
	ok := map[string]KeyRef{
		"file:///tmp/k.pem":   {Ref: "file:///tmp/k.pem", Path: "/tmp/k.pem"},
		"file:///tmp//k.pem/": {Ref: "file:///tmp//k.pem/", Path: "/tmp/k.pem"},
		"env://NONO_KEY":      {Ref: "env://NONO_KEY", Env: "NONO_KEY"},
		"env://_k1":           {Ref: "env://_k1", Env: "_k1"},
	}
	for in, want := range ok {
		got, err := ParseKeyRef(in)
		if err != nil || got != want {
			t.Errorf("ParseKeyRef(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":                     "empty key reference",
		"file://tmp/k":         "file:// URI must use an absolute path (file:///path), got: file://tmp/k",
		"file:///":             "file:// URI path is empty: file:///",
		"file:////":            "file:// URI path is empty",
		"file:///a/../k":       "file:// URI must not contain path traversal (..): file:///a/../k",
		"file:///a/..":         "path traversal",
		"file:///a;b":          "forbidden character ';'",
		"file:///a$b":          "forbidden character '$'",
		"file:///a\nb":         "forbidden character '\\n'",
		"env://":               "env:// reference needs a variable name",
		"env://1X":             "variable name",
		"env://A-B":            "variable name",
		"cmd://cat":            "not allowed",
		"keystore://default":   "unsupported key reference keystore://default",
		"op://vault/item/key":  "unsupported key reference",
		"default":              "system keystore names are not supported",
		"https://example.com/": "unrecognized key reference scheme",
	}
	for in, want := range bad {
		_, err := ParseKeyRef(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeyRef(%q) err = %v, want %q", in, err, want)
		}
	}
	if _, err := parseFileURI("file:///a/..b/c"); err != nil {
		t.Errorf("a name that merely starts with .. is refused: %v", err)
	}
}

func TestLoadSigningKey(t *testing.T) {
	dir := t.TempDir()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := encodePrivateKey(k)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}
	env := map[string]string{"KEY": text, "BLANK": "  "}
	getenv := func(k string) string { return env[k] }
	for _, ref := range []string{
		write("plain", text),
		write("lf", text+"\n"),
		write("crlf", text+"\r\n"),
		"env://KEY",
	} {
		got, err := LoadSigningKey(ref, getenv)
		if err != nil || !got.Equal(k) {
			t.Errorf("LoadSigningKey(%s) = %v", ref, err)
		}
	}
	fail := map[string]string{
		write("empty", ""):                        "is empty",
		write("newline", "\n"):                    "is empty",
		write("garbage", "-----BEGIN"):            "invalid PEM private key",
		"file://" + filepath.Join(dir, "missing"): "no such file",
		"file://" + dir:                           "is a directory",
		"env://UNSET":                             "environment variable UNSET is unset or empty",
		"env://BLANK":                             "unset or empty",
		"keystore://x":                            "unsupported",
	}
	for ref, want := range fail {
		_, err := LoadSigningKey(ref, getenv)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadSigningKey(%s) err = %v, want %q", ref, err, want)
		}
		if err != nil && strings.Contains(err.Error(), text[:40]) {
			t.Errorf("error quotes key material: %v", err)
		}
	}
}

func TestWriteKeyPair(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "key.pem")
	k, _ := GenerateKey()
	if err := WriteKeyPair(path, k, false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + ".pub", filepath.Dir(path)} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if st.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", p, st.Mode().Perm(), want)
		}
	}
	got, err := LoadSigningKey("file://"+path, nil)
	if err != nil || !got.Equal(k) {
		t.Fatalf("reload: %v", err)
	}
	der, pub, err := ReadPublicKeyFile(path + ".pub")
	if err != nil || !pub.Equal(&k.PublicKey) || KeyIDOf(der) != KeyID(&k.PublicKey) {
		t.Fatalf("public key file: %v", err)
	}
	pubText, _ := os.ReadFile(path + ".pub")
	if strings.HasSuffix(string(pubText), "\n") {
		t.Error(".pub ends with a newline")
	}

	// Refuse to overwrite either file; nothing changes.
	k2, _ := GenerateKey()
	if err := WriteKeyPair(path, k2, false); !errors.Is(err, ErrKeyExists) {
		t.Errorf("overwrite without force: %v", err)
	}
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other+".pub", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(other, k2, false); !errors.Is(err, ErrKeyExists) {
		t.Errorf("existing .pub: %v", err)
	}
	if _, err := os.Lstat(other); err == nil {
		t.Error("private key written although .pub existed")
	}
	if got, _ := LoadSigningKey("file://"+path, nil); !got.Equal(k) {
		t.Error("refused keygen changed the key")
	}

	// A dangling symlink counts as existing; with force it is replaced,
	// never written through.
	victim := filepath.Join(dir, "victim")
	link := filepath.Join(dir, "link")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(link, k2, false); !errors.Is(err, ErrKeyExists) {
		t.Errorf("dangling symlink: %v", err)
	}
	if err := WriteKeyPair(link, k2, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(victim); err == nil {
		t.Error("keygen wrote through a symlink")
	}
	if st, _ := os.Lstat(link); !st.Mode().IsRegular() {
		t.Error("symlink not replaced by a regular file")
	}
	if err := WriteKeyPair(path, k2, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := LoadSigningKey("file://"+path, nil); !got.Equal(k2) {
		t.Error("force did not replace the key")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 2 {
		t.Errorf("leftover files: %v", entries)
	}
}
