//go:build !nonorun_testhooks

package supervise

// TestHooks reports whether this binary honours the test hooks.
const TestHooks = false

// HooksFromEnv returns no hooks: this binary was built without the
// nonorun_testhooks tag.
func HooksFromEnv(getenv func(string) string) (Hooks, error) { return Hooks{}, nil }
