package supervise

// Hooks are test-only behaviours. A production binary never has any:
// HooksFromEnv fills them only in binaries built with the
// nonorun_testhooks build tag (docs/RUN.md, "Test hooks").
type Hooks struct {
	// AfterHash runs after every hash of the executable, before it is
	// executed: a test replaces the file here to show that what ran is
	// what was hashed.
	AfterHash func(path string) error
	// Events is a number of synthetic events to emit between
	// session_started and session_ended (benchmarks).
	Events int
}
