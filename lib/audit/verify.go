package audit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/snapshot"
)

// VerifyOptions say where the ledger is, which signer to expect and how
// to read the log.
type VerifyOptions struct {
	AuditRoot     string // holds ledger.ndjson
	PublicKeyFile string // pinned signer public key; "" for none
	// Chain says how the log's records are verified (lenient records, a
	// torn final record). A running session's torn tail is always
	// allowed: it is being written.
	Chain chain.Options
}

// Verification is the outcome of checking one session: its event log
// against session.json, its ledger entry, and its attestation. Every
// check of Checks runs; Problems lists each failure in words, in order,
// and Failed the names of the checks that failed.
type Verification struct {
	Entry    *session.Entry
	Problems []string
	Failed   []string

	// The event log and how it compares with session.json.
	Log        *chain.Result // nil when the log could not be verified
	LogErr     error         // why not (missing, unreadable, a bad record)
	logProblem string        // the first problem with the log or the session
	events     sessionEvents // the log's session_started and session_ended
	// interrupted: the log is a recording that stopped early (no
	// records, or no session_ended) and nothing else is wrong with it.
	interrupted bool
	// Comparisons with session.json; meaningful only when Log is set.
	countMatches       bool // audit_event_count
	storedCountMatches bool // audit_integrity.event_count (true without a summary)
	headMatches        bool // audit_integrity.chain_head (true without a summary)
	rootMatches        bool // audit_integrity.merkle_root (true without a summary)
	idMatches          bool // session_id vs the directory name

	Ledger      *ledger.Result // nil when the ledger could not be read
	LedgerErr   error
	ledgerIssue string

	Attestation *attest.Result

	// Changes are the checks of the recorded change lists against the
	// snapshots session.json commits to (nil without an audit directory).
	Changes []snapshot.ChangeListCheck

	opts VerifyOptions
}

// A Check is one named check of a session. Run returns nil when the
// check passes, else what is wrong (errors.Join for several findings,
// one problem each). A check that depends on the log returns nil when
// the log could not be verified: that failure is reported once, by "log".
type Check struct {
	Name string // reported in failed_checks
	// Part is the part of the report the check belongs to ("session",
	// "ledger" or "attestation"), whose verification_error is the first
	// problem found there.
	Part string
	// WhileRunning says the check applies to a session still being
	// recorded; the others wait until it has ended.
	WhileRunning bool
	Run          func(v *Verification) error
}

// Checks are what VerifySession checks, in order. Adding a check is
// adding a row.
var Checks = []Check{
	{"session_id", "session", true, (*Verification).checkID},
	{"complete", "session", false, (*Verification).checkComplete},
	{"hash_algorithm", "session", true, (*Verification).checkHashAlgorithm},
	{"log", "session", true, (*Verification).checkLog},
	{"session_events", "session", true, (*Verification).checkSessionEvents},
	{"record", "session", true, (*Verification).checkRecord},
	{"audit_event_count", "session", false, (*Verification).checkEventCount},
	{"event_json", "session", false, (*Verification).checkEventJSON},
	{"summary", "session", false, (*Verification).checkSummary},
	{"changes", "session", false, (*Verification).checkChanges},
	{"ledger", "ledger", false, (*Verification).checkLedger},
	{"attestation", "attestation", false, (*Verification).checkAttestation},
}

// VerifySession checks the session of e. It returns an error only when
// there is nothing to report on (no readable session.json) or the
// pinned key file cannot be used; every verification failure is in the
// result.
func VerifySession(e *session.Entry, opts VerifyOptions) (*Verification, error) {
	if e.Session == nil {
		return nil, fmt.Errorf("session %s: %w", e.ID, e.Err)
	}
	v := &Verification{Entry: e, opts: opts}
	for _, c := range Checks {
		if v.Running() && !c.WhileRunning {
			continue
		}
		err := c.Run(v)
		if err == nil {
			continue
		}
		var unusable *unusableError
		if errors.As(err, &unusable) {
			return nil, unusable.err
		}
		v.Failed = append(v.Failed, c.Name)
		for _, msg := range problems(err) {
			v.addProblem(c.Part, msg)
		}
	}
	return v, nil
}

// unusableError stops verification: there is nothing to report on.
type unusableError struct{ err error }

func (e *unusableError) Error() string { return e.err.Error() }

// problems splits a check's error into its findings.
func problems(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, problems(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

func (v *Verification) addProblem(part, msg string) {
	switch part {
	case "session":
		if v.logProblem == "" {
			v.logProblem = msg
		}
	case "ledger":
		if v.ledgerIssue == "" {
			v.ledgerIssue = msg
		}
		msg = "ledger: " + msg
	default:
		msg = part + ": " + msg
	}
	v.Problems = append(v.Problems, msg)
}

// Running reports whether the session is still being recorded.
func (v *Verification) Running() bool { return v.Entry.Status == session.Running }

func (v *Verification) checkID() error {
	e, s := v.Entry, v.Entry.Session
	if v.idMatches = s.SessionID == e.ID; !v.idMatches {
		return fmt.Errorf("session.json names session %q but its directory is %q", s.SessionID, e.ID)
	}
	return nil
}

// checkComplete names the cause of a recording that never finished, and
// the way to commit it anyway. A session.json that says the session ended
// over a log cut short is the log checks' finding (session_events), told
// once, there.
func (v *Verification) checkComplete() error {
	if v.Entry.Status == session.Incomplete && v.Entry.Session.Ended == nil {
		return fmt.Errorf("the session never ended: its recorder was killed or crashed before writing the end (%s)", v.appendHint())
	}
	return nil
}

// appendHint is how a user commits a session to the ledger knowingly.
func (v *Verification) appendHint() string {
	return "after checking it, `nono audit ledger append " + v.Entry.ID + "` adds it to the ledger as it is"
}

func (v *Verification) checkHashAlgorithm() error {
	if sum := v.Entry.Session.AuditIntegrity; sum != nil && sum.HashAlgorithm != "sha256" {
		return fmt.Errorf("audit_integrity.hash_algorithm is %q, want \"sha256\"", sum.HashAlgorithm)
	}
	return nil
}

// checkLog verifies the records, picking out the log's own account of
// the session (session_started, session_ended) as they stream by.
func (v *Verification) checkLog() error {
	e := v.Entry
	if e.AuditDir == "" {
		v.LogErr = fmt.Errorf("no audit directory (the session is only in the rollback store at %s)", e.Dir)
		return fmt.Errorf("event log: %w", v.LogErr)
	}
	path := filepath.Join(e.AuditDir, session.EventsFileName)
	f, err := os.Open(path)
	if err != nil {
		v.LogErr = err
		return fmt.Errorf("event log: %w", err)
	}
	defer f.Close()
	opts := v.opts.Chain
	opts.AllowPartialTail = opts.AllowPartialTail || v.Running()
	w := &eventWatcher{r: f}
	res, err := chain.Verify(w, opts)
	if err != nil {
		var re *chain.RecordError
		if errors.As(err, &re) {
			v.LogErr = fmt.Errorf("%s: %w", path, err)
		} else {
			v.LogErr = fmt.Errorf("read %s: %w", path, err)
		}
		return fmt.Errorf("event log: %w", v.LogErr)
	}
	v.Log = res
	w.events.within(res.EventCount)
	v.events = w.events
	return nil
}

// checkSessionEvents checks that the log is one whole recording:
// session_started first and only there, session_ended (once the session
// has ended) last and only there. The chain alone cannot tell a
// recording that stopped early (a recorder that died, then a summary
// sealed over what was left) or two recordings spliced together.
func (v *Verification) checkSessionEvents() error {
	res := v.Log
	if res == nil {
		return nil
	}
	if res.EventCount == 0 {
		v.interrupted = true
		return errors.New("the event log holds no records")
	}
	var errs []error
	ev := v.events
	if len(ev.started) == 0 || ev.started[0].seq != 0 {
		errs = append(errs, errors.New("the event log does not start with session_started"))
	}
	if n := len(ev.started); n > 1 || n == 1 && ev.started[0].seq != 0 {
		errs = append(errs, fmt.Errorf("the event log holds session_started at record %d too: a second recording was spliced in", ev.started[n-1].seq))
	}
	last := res.EventCount - 1
	switch n := len(ev.ended); {
	case n > 1 || n == 1 && ev.ended[0].seq != last:
		errs = append(errs, fmt.Errorf("the event log holds session_ended at record %d, before its end", ev.ended[0].seq))
	case n == 0 && v.Entry.Session.Ended != nil && !v.Running():
		v.interrupted = len(errs) == 0
		errs = append(errs, fmt.Errorf("no session_ended: the recording was interrupted (a recorder stage stopped early); %s", v.appendHint()))
	case n == 1 && v.Running():
		errs = append(errs, errors.New("the event log ends with session_ended but the session is still running"))
	}
	return errors.Join(errs...)
}

// checkRecord checks that what session.json says of the run, the log
// backs: command and started as session_started has them, ended and
// exit_code as session_ended has them. A session.json edited after the
// run (and even re-signed and re-committed to the ledger) disagrees with
// the chained log here.
func (v *Verification) checkRecord() error {
	if v.Log == nil {
		return nil
	}
	s := v.Entry.Session
	var errs []error
	differs := func(field, log string) {
		errs = append(errs, fmt.Errorf("session.json %s differs from the log's %s", field, log))
	}
	if len(v.events.started) > 0 {
		e := &v.events.started[0]
		if started, _ := e.field("started"); started.Kind != canon.String || started.Str != s.Started {
			differs("started", "session_started")
		}
		if cmd, _ := e.field("command"); !canon.Equal(cmd, canon.StringsValue(s.Command)) {
			differs("command", "session_started")
		}
	}
	if len(v.events.ended) > 0 {
		e := &v.events.ended[len(v.events.ended)-1]
		if ended, _ := e.field("ended"); s.Ended == nil || ended.Kind != canon.String || ended.Str != *s.Ended {
			differs("ended", "session_ended")
		}
		code, _ := e.field("exit_code")
		if n, ok := code.Int(); s.ExitCode == nil || !ok || n != int64(*s.ExitCode) {
			differs("exit_code", "session_ended")
		}
	}
	return errors.Join(errs...)
}

// checkEventCount compares the log with session.json's top-level
// audit_event_count, which --no-audit-integrity sessions keep too, so a
// cut-off tail is caught even without a summary.
func (v *Verification) checkEventCount() error {
	if v.Log == nil {
		return nil
	}
	s := v.Entry.Session
	if v.countMatches = v.Log.EventCount == s.AuditEventCount; !v.countMatches {
		return fmt.Errorf("session.json audit_event_count is %d but the log holds %d records", s.AuditEventCount, v.Log.EventCount)
	}
	return nil
}

func (v *Verification) checkEventJSON() error {
	if v.Log != nil && v.Log.MissingEventJSON && v.Entry.Session.AuditIntegrity != nil {
		return errors.New("event log: Alpha audit log is missing canonical event_json bytes")
	}
	return nil
}

// checkChanges recomputes each recorded change list (changes/NNN.json)
// from the snapshots whose roots session.json's merkle_roots commit to,
// and compares: an edited change list fails here, though session.json
// (upstream's shape) holds no digest of it. A list whose snapshots were
// cleaned up cannot be checked; show marks it so.
func (v *Verification) checkChanges() error {
	e := v.Entry
	if e.AuditDir == "" {
		return nil
	}
	v.Changes = snapshot.CheckChanges(e.Session, e.AuditDir, e.RollbackDir)
	return snapshot.ChangesError(v.Changes)
}

// checkSummary compares the log with session.json's audit_integrity.
func (v *Verification) checkSummary() error {
	res, sum := v.Log, v.Entry.Session.AuditIntegrity
	if res == nil {
		return nil
	}
	if sum == nil {
		v.storedCountMatches, v.headMatches, v.rootMatches = true, true, true
		return nil
	}
	var errs []error
	if v.storedCountMatches = sum.EventCount == res.EventCount; !v.storedCountMatches {
		errs = append(errs, fmt.Errorf("audit_integrity.event_count is %d but the log holds %d records", sum.EventCount, res.EventCount))
	}
	if v.headMatches = hashEqual(sum.ChainHead, res.ChainHead); !v.headMatches {
		errs = append(errs, fmt.Errorf("chain head mismatch: session.json has %s, the log gives %s", sum.ChainHead, hexOrNone(res.ChainHead)))
	}
	if v.rootMatches = hashEqual(sum.MerkleRoot, res.MerkleRoot); !v.rootMatches {
		errs = append(errs, fmt.Errorf("Merkle root mismatch: session.json has %s, the log gives %s", sum.MerkleRoot, hexOrNone(res.MerkleRoot)))
	}
	return errors.Join(errs...)
}

// checkLedger looks the session up in the ledger of the audit root.
func (v *Verification) checkLedger() error {
	res, err := ledger.Verify(v.opts.AuditRoot, v.Entry.Session)
	if err != nil {
		v.LedgerErr = err
		return err
	}
	v.Ledger = res
	switch {
	case !res.LedgerChainVerified:
		return fmt.Errorf("no ledger at %s (%s)", filepath.Join(v.opts.AuditRoot, ledger.FileName), v.appendHint())
	case !res.SessionFound:
		return fmt.Errorf("the session is not in the ledger (%s)", v.appendHint())
	case !res.SessionDigestMatches:
		return errors.New("session.json does not match its ledger entry (it changed after the session was recorded)")
	}
	return nil
}

func (v *Verification) checkAttestation() error {
	att, err := attest.VerifySession(v.Entry.Dir, v.Entry.Session, v.opts.PublicKeyFile)
	if err != nil {
		return &unusableError{err}
	}
	v.Attestation = att
	if !att.OK() {
		msg := att.VerificationError
		if msg == "" {
			msg = "attestation does not verify"
		}
		return errors.New(msg)
	}
	return nil
}

// OK reports whether everything verified; a session still running has
// not, whatever its log holds so far.
func (v *Verification) OK() bool { return len(v.Problems) == 0 && !v.Running() }

// Headline is the one-word outcome: VERIFIED, MISMATCH, RUNNING (nothing
// wrong so far, but the session is still being recorded) or INCOMPLETE
// (the recording never finished).
func (v *Verification) Headline() string {
	switch {
	case len(v.Problems) == 0 && v.Running():
		return "RUNNING"
	case v.OK():
		return "VERIFIED"
	case slices.Contains(v.Failed, "complete") || v.interrupted && v.onlyFailed("session_events", "ledger"):
		return "INCOMPLETE"
	}
	return "MISMATCH"
}

// onlyFailed reports whether every failed check is one of names.
func (v *Verification) onlyFailed(names ...string) bool {
	for _, f := range v.Failed {
		if !slices.Contains(names, f) {
			return false
		}
	}
	return true
}

// attestation is the attestation result, empty when it was not checked
// (a session still running).
func (v *Verification) attestation() *attest.Result {
	if v.Attestation == nil {
		return &attest.Result{}
	}
	return v.Attestation
}

func hashEqual(stored string, computed *merkle.Hash) bool {
	if computed == nil {
		return false
	}
	h, err := merkle.ParseHash(stored)
	return err == nil && h == *computed
}

func hexOrNone(h *merkle.Hash) string {
	if h == nil {
		return "nothing (empty log)"
	}
	return merkle.Hex(*h)
}

func hashValue(h *merkle.Hash) canon.Value {
	if h == nil {
		return canon.NullValue()
	}
	return canon.StringValue(merkle.Hex(*h))
}

func errValue(msg string) canon.Value {
	if msg == "" {
		return canon.NullValue()
	}
	return canon.StringValue(msg)
}

// sessionValue is the "session" object: upstream's keys in its order
// (hash_algorithm, merkle_scheme, event_count, computed_chain_head,
// computed_merkle_root, stored_event_count, stored_chain_head,
// stored_merkle_root, event_count_matches, records_verified), then ours:
// audit_event_count, audit_event_count_matches, chain_head_matches,
// merkle_root_matches, session_id_matches, status, verification_error.
func (v *Verification) sessionValue() canon.Value {
	s := v.Entry.Session
	m := func(k string, val canon.Value) canon.Member { return canon.Member{Key: k, Value: val} }
	count, head, root := canon.NullValue(), canon.NullValue(), canon.NullValue()
	if v.Log != nil {
		count, head, root = canon.UintValue(v.Log.EventCount), hashValue(v.Log.ChainHead), hashValue(v.Log.MerkleRoot)
	}
	storedCount, storedHead, storedRoot := canon.NullValue(), canon.NullValue(), canon.NullValue()
	if sum := s.AuditIntegrity; sum != nil {
		storedCount, storedHead, storedRoot = canon.UintValue(sum.EventCount), canon.StringValue(sum.ChainHead), canon.StringValue(sum.MerkleRoot)
	}
	recordsOK := v.Log != nil && !(v.Log.MissingEventJSON && s.AuditIntegrity != nil)
	return canon.ObjectValue(
		m("hash_algorithm", canon.StringValue("sha256")),
		m("merkle_scheme", canon.StringValue("alpha")),
		m("event_count", count),
		m("computed_chain_head", head),
		m("computed_merkle_root", root),
		m("stored_event_count", storedCount),
		m("stored_chain_head", storedHead),
		m("stored_merkle_root", storedRoot),
		m("event_count_matches", canon.BoolValue(v.Log != nil && v.storedCountMatches)),
		m("records_verified", canon.BoolValue(recordsOK)),
		m("audit_event_count", canon.UintValue(s.AuditEventCount)),
		m("audit_event_count_matches", canon.BoolValue(v.Log != nil && v.countMatches)),
		m("chain_head_matches", canon.BoolValue(v.Log != nil && v.headMatches)),
		m("merkle_root_matches", canon.BoolValue(v.Log != nil && v.rootMatches)),
		m("session_id_matches", canon.BoolValue(v.idMatches)),
		m("status", canon.StringValue(string(v.Entry.Status))),
		m("verification_error", errValue(v.logProblem)),
	)
}

// ledgerValue is the "ledger" object: ledger.Result's keys, then
// verification_error. When the ledger could not be read it keeps the
// same keys, with what is known.
func (v *Verification) ledgerValue() canon.Value {
	var members []canon.Member
	if v.Ledger != nil {
		members = append(members, v.Ledger.Value().Members...)
	} else {
		digest := canon.NullValue()
		if d, err := ledger.SessionDigest(v.Entry.Session); err == nil {
			digest = canon.StringValue(merkle.Hex(d))
		}
		members = []canon.Member{
			{Key: "hash_algorithm", Value: canon.StringValue("sha256")},
			{Key: "entry_count", Value: canon.NullValue()},
			{Key: "session_digest", Value: digest},
			{Key: "session_found", Value: canon.BoolValue(false)},
			{Key: "session_digest_matches", Value: canon.BoolValue(false)},
			{Key: "ledger_chain_verified", Value: canon.BoolValue(false)},
			{Key: "ledger_head", Value: canon.NullValue()},
		}
	}
	members = append(members, canon.Member{Key: "verification_error", Value: errValue(v.ledgerIssue)})
	return canon.ObjectValue(members...)
}

// Value is the --json document: session, ledger, attestation (upstream's
// three parts, in its order), then verified, problems and the names of
// the failed checks.
func (v *Verification) Value() canon.Value {
	return canon.ObjectValue(
		canon.Member{Key: "session", Value: v.sessionValue()},
		canon.Member{Key: "ledger", Value: v.ledgerValue()},
		canon.Member{Key: "attestation", Value: v.attestation().Value()},
		canon.Member{Key: "verified", Value: canon.BoolValue(v.OK())},
		canon.Member{Key: "problems", Value: canon.StringsValue(v.Problems)},
		canon.Member{Key: "failed_checks", Value: canon.StringsValue(v.Failed)},
	)
}

// WriteText prints upstream's human report, then one line per problem.
// paint, when not nil, dresses the outcome word (colour on a terminal).
func (v *Verification) WriteText(w io.Writer, pinned bool, paint func(string) string) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	headline := v.Headline()
	if paint != nil {
		headline = paint(headline)
	}
	p("nono Audit integrity for session %s %s\n", v.Entry.ID, headline)
	if v.Log != nil {
		p("  Events:   %d\n", v.Log.EventCount)
		p("  Chain:    %s\n", hexOrDash(v.Log.ChainHead))
		p("  Root:     %s\n", hexOrDash(v.Log.MerkleRoot))
	} else {
		p("  Events:   -\n  Chain:    -\n  Root:     -\n")
	}
	p("  Scheme:   alpha\n")
	if sum := v.Entry.Session.AuditIntegrity; sum != nil {
		p("  Stored:   events=%d, chain=%s, root=%s\n", sum.EventCount, human.Sanitize(sum.ChainHead), human.Sanitize(sum.MerkleRoot))
	}
	ledgerState := "verified"
	if v.ledgerIssue != "" {
		ledgerState = "mismatch"
	}
	if v.Ledger != nil {
		p("  Ledger:   %s (entries=%d, head=%s)\n", ledgerState, v.Ledger.EntryCount, hexOrDash(v.Ledger.LedgerHead))
	} else {
		p("  Ledger:   %s (unreadable)\n", ledgerState)
	}
	if a := v.attestation(); a.Present {
		state := "mismatch"
		if a.OK() {
			state = "self-attested"
			if pinned {
				state = "verified"
			}
		}
		key := "-"
		if a.KeyID != nil {
			key = human.Sanitize(*a.KeyID)
		}
		p("  Signed:   %s (key=%s)\n", state, key)
		if pinned {
			pk := "mismatch"
			if a.ExpectedPublicKeyMatches != nil && *a.ExpectedPublicKeyMatches {
				pk = "matched"
			}
			p("  Pubkey:   %s\n", pk)
		}
		if a.OK() && !pinned {
			p("  Trust:    rely on ledger chain, or pass --public-key-file to pin signer\n")
		}
	}
	if a := v.attestation(); a.VerificationError != "" {
		p("  Attest:   %s\n", human.Sanitize(a.VerificationError))
	}
	for _, msg := range v.Problems {
		p("  Problem:  %s\n", human.Sanitize(msg))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func hexOrDash(h *merkle.Hash) string {
	if h == nil {
		return "-"
	}
	return merkle.Hex(*h)
}
