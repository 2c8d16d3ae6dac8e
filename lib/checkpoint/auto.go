package checkpoint

import (
	"fmt"
	"time"
)

// Auto updates the latest checkpoint of the ledger in auditRoot after an
// append, when the configuration at configPath names a note key. Every
// problem is a warning: the append stands either way.
func Auto(auditRoot string, wait time.Duration, configPath string, getenv func(string) string) (warnings []string) {
	cfg, err := LoadConfig(configPath, getenv)
	if err != nil {
		return []string{fmt.Sprintf("the ledger's checkpoint was not updated: %v", err)}
	}
	warnings = append(warnings, cfg.Warnings...)
	if cfg.KeyRef == "" {
		return warnings
	}
	key, err := LoadKey(cfg.KeyRef, getenv)
	if err == nil {
		var res *Result
		if res, err = Update(auditRoot, key, Options{Wait: wait}); err == nil {
			return append(warnings, res.Warnings...)
		}
	}
	return append(warnings, fmt.Sprintf("the ledger's checkpoint was not updated (note key from %s): %v", cfg.From, err))
}
