package supervise

// Hooks are test-only behaviours. A production binary never has any:
// HooksFromEnv fills them only in binaries built with the
// nonorun_testhooks build tag (docs/RUN.md, "Test hooks").
type Hooks struct {
	// BeforeExec runs after every resolution of the executable (and hash
	// of a script), before it is executed: a test replaces or changes the
	// file here to show that what is recorded is what ran.
	BeforeExec func(path string) error
	// Events is a number of synthetic events to emit between
	// session_started and session_ended (benchmarks).
	Events int
}
