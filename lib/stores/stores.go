// Package stores names where nono keeps what the recorded command must
// never reach: the audit root (sessions and the ledger), the rollback
// root and the configuration directory (redaction rules, signing keys).
// It is a package of its own, with nothing but lib/sandbox below it, so
// that the in-place path of `nono run --no-audit` (lib/inplace) fences
// the same stores as the supervisor without linking the session store.
package stores

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/nono-audit/nono/lib/sandbox"
)

// AuditRoot is where sessions are recorded: $NONO_AUDIT_DIR, else
// $XDG_STATE_HOME/nono/audit when XDG_STATE_HOME is absolute, else
// ~/.nono/audit. A nil getenv reads the process environment.
func AuditRoot(getenv func(string) string) (string, error) {
	return stateRoot(getenv, "NONO_AUDIT_DIR", "audit")
}

// RollbackRoot is where rollback snapshots live: $NONO_ROLLBACK_DIR, else
// beside the audit root under the same rules (…/nono/rollbacks).
func RollbackRoot(getenv func(string) string) (string, error) {
	return stateRoot(getenv, "NONO_ROLLBACK_DIR", "rollbacks")
}

// ConfigPath is the user configuration file (the [redaction] and
// [checkpoint] tables): $XDG_CONFIG_HOME/nono/config.toml when
// XDG_CONFIG_HOME is an absolute path, else ~/.config/nono/config.toml.
// It returns "" when neither variable gives a usable directory.
func ConfigPath(getenv func(string) string) string {
	if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "nono", "config.toml")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".config", "nono", "config.toml")
	}
	return ""
}

func stateRoot(getenv func(string) string, override, leaf string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if dir := getenv(override); dir != "" {
		if !filepath.IsAbs(dir) {
			return "", fmt.Errorf("%s must be an absolute path, got %q", override, dir)
		}
		return filepath.Clean(dir), nil
	}
	if state := getenv("XDG_STATE_HOME"); state != "" && filepath.IsAbs(state) {
		return filepath.Join(state, "nono", leaf), nil
	}
	home := getenv("HOME")
	if home == "" || !filepath.IsAbs(home) {
		return "", fmt.Errorf("cannot find the %s root: set %s, XDG_STATE_HOME or HOME", leaf, override)
	}
	return filepath.Join(home, ".nono", leaf), nil
}

// Protected are the places no grant may reach, as getenv names them:
// the audit root, the rollback root and the configuration directory.
// A root that cannot be named (no HOME) is left out: nothing can be
// stored there either.
func Protected(getenv func(string) string) []sandbox.Store {
	var stores []sandbox.Store
	if root, err := AuditRoot(getenv); err == nil {
		stores = append(stores, sandbox.Store{Path: root, Name: "audit root"})
	}
	if root, err := RollbackRoot(getenv); err == nil {
		stores = append(stores, sandbox.Store{Path: root, Name: "rollback root"})
	}
	if cfg := ConfigPath(getenv); cfg != "" {
		stores = append(stores, sandbox.Store{Path: filepath.Dir(cfg), Name: "configuration directory"})
	}
	return stores
}
