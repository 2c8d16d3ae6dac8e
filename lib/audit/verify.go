package audit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nono-audit/nono/lib/attest"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/chain"
	"github.com/nono-audit/nono/lib/human"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/session"
)

// VerifyOptions say where the ledger is and which signer to expect.
type VerifyOptions struct {
	AuditRoot     string // holds ledger.ndjson
	PublicKeyFile string // pinned signer public key; "" for none
}

// Verification is the outcome of checking one session: its event log
// against session.json, its ledger entry, and its attestation. Every
// check runs; Problems lists each failure in words, in that order.
type Verification struct {
	Entry    *session.Entry
	Problems []string

	// The event log and how it compares with session.json.
	Log        *chain.Result // nil when the log could not be verified
	LogErr     error         // why not (missing, unreadable, a bad record)
	logProblem string        // the first problem with the log or the session
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
}

// VerifySession checks the session of e. It returns an error only when
// there is nothing to report on (no readable session.json) or the
// pinned key file cannot be used; every verification failure is in the
// result.
func VerifySession(e *session.Entry, opts VerifyOptions) (*Verification, error) {
	if e.Session == nil {
		return nil, fmt.Errorf("session %s: %w", e.ID, e.Err)
	}
	v := &Verification{Entry: e}
	s := e.Session
	v.checkLog()
	v.checkLedger(opts.AuditRoot)
	att, err := attest.VerifySession(e.Dir, s, opts.PublicKeyFile)
	if err != nil {
		return nil, err
	}
	v.Attestation = att
	if !att.OK() {
		msg := att.VerificationError
		if msg == "" {
			msg = "attestation does not verify"
		}
		v.Problems = append(v.Problems, "attestation: "+msg)
	}
	return v, nil
}

// checkLog verifies the records and compares their totals with what
// session.json says: the integrity summary (head, root, count), and the
// top-level audit_event_count, which --no-audit-integrity sessions keep
// too, so a cut-off tail is caught even without a summary.
func (v *Verification) checkLog() {
	e, s := v.Entry, v.Entry.Session
	v.idMatches = s.SessionID == e.ID
	if !v.idMatches {
		v.problem(fmt.Sprintf("session.json names session %q but its directory is %q", s.SessionID, e.ID))
	}
	switch e.Status {
	case session.Running:
		v.problem("the session is still running")
	case session.Incomplete:
		v.problem("the session never ended (its recorder crashed or was killed)")
	}
	if sum := s.AuditIntegrity; sum != nil && sum.HashAlgorithm != "sha256" {
		v.problem(fmt.Sprintf("audit_integrity.hash_algorithm is %q, want \"sha256\"", sum.HashAlgorithm))
	}

	res, err := verifyLog(e, s)
	if err != nil {
		v.LogErr = err
		v.problem("event log: " + err.Error())
		return
	}
	v.Log = res
	v.checkEnds(res)
	v.countMatches = res.EventCount == s.AuditEventCount
	if !v.countMatches {
		v.problem(fmt.Sprintf("session.json audit_event_count is %d but the log holds %d records", s.AuditEventCount, res.EventCount))
	}
	sum := s.AuditIntegrity
	if sum == nil {
		v.storedCountMatches, v.headMatches, v.rootMatches = true, true, true
		return
	}
	if res.MissingEventJSON {
		v.problem("event log: Alpha audit log is missing canonical event_json bytes")
	}
	v.storedCountMatches = sum.EventCount == res.EventCount
	if !v.storedCountMatches {
		v.problem(fmt.Sprintf("audit_integrity.event_count is %d but the log holds %d records", sum.EventCount, res.EventCount))
	}
	v.headMatches = hashEqual(sum.ChainHead, res.ChainHead)
	if !v.headMatches {
		v.problem(fmt.Sprintf("chain head mismatch: session.json has %s, the log gives %s", sum.ChainHead, hexOrNone(res.ChainHead)))
	}
	v.rootMatches = hashEqual(sum.MerkleRoot, res.MerkleRoot)
	if !v.rootMatches {
		v.problem(fmt.Sprintf("Merkle root mismatch: session.json has %s, the log gives %s", sum.MerkleRoot, hexOrNone(res.MerkleRoot)))
	}
}

// checkEnds checks that the log is a whole recording: it starts with
// session_started and, once the session has ended, ends with
// session_ended. The chain alone cannot tell a recording that stopped
// early (a recorder that died, then a summary sealed over what was left).
func (v *Verification) checkEnds(res *chain.Result) {
	if res.EventCount == 0 {
		v.problem("the event log holds no records")
		return
	}
	first, last, err := edgeEventTypes(filepath.Join(v.Entry.AuditDir, session.EventsFileName))
	if err != nil {
		v.problem("event log: " + err.Error())
		return
	}
	if first != "session_started" {
		v.problem(fmt.Sprintf("the event log starts with %q, not session_started", first))
	}
	if v.Entry.Session.Ended != nil && last != "session_ended" {
		v.problem(fmt.Sprintf("the event log ends with %q, not session_ended: the recording stopped early", last))
	}
}

// verifyLog runs chain.Verify over the session's log. A running session
// may end in a record still being written; any other must not.
func verifyLog(e *session.Entry, s *session.Session) (*chain.Result, error) {
	if e.AuditDir == "" {
		return nil, fmt.Errorf("no audit directory (the session is only in the rollback store at %s)", e.Dir)
	}
	path := filepath.Join(e.AuditDir, session.EventsFileName)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := chain.Verify(f, chain.Options{AllowPartialTail: e.Status == session.Running})
	if err != nil {
		var re *chain.RecordError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return res, nil
}

func (v *Verification) problem(msg string) {
	if v.logProblem == "" {
		v.logProblem = msg
	}
	v.Problems = append(v.Problems, msg)
}

// checkLedger looks the session up in the ledger of auditRoot.
func (v *Verification) checkLedger(auditRoot string) {
	res, err := ledger.Verify(auditRoot, v.Entry.Session)
	if err != nil {
		v.LedgerErr = err
		v.ledgerIssue = err.Error()
	} else {
		v.Ledger = res
		switch {
		case !res.LedgerChainVerified:
			v.ledgerIssue = "no ledger at " + filepath.Join(auditRoot, ledger.FileName)
		case !res.SessionFound:
			v.ledgerIssue = "the session is not in the ledger"
		case !res.SessionDigestMatches:
			v.ledgerIssue = "session.json does not match its ledger entry (it changed after the session was recorded)"
		}
	}
	if v.ledgerIssue != "" {
		v.Problems = append(v.Problems, "ledger: "+v.ledgerIssue)
	}
}

// OK reports whether everything verified.
func (v *Verification) OK() bool { return len(v.Problems) == 0 }

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

// SessionValue is the "session" object: upstream's keys in its order
// (hash_algorithm, merkle_scheme, event_count, computed_chain_head,
// computed_merkle_root, stored_event_count, stored_chain_head,
// stored_merkle_root, event_count_matches, records_verified), then ours:
// audit_event_count, audit_event_count_matches, chain_head_matches,
// merkle_root_matches, session_id_matches, status, verification_error.
func (v *Verification) SessionValue() canon.Value {
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

// LedgerValue is the "ledger" object: ledger.Result's keys, then
// verification_error. When the ledger could not be read it keeps the
// same keys, with what is known.
func (v *Verification) LedgerValue() canon.Value {
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
// three parts, in its order), then verified and problems.
func (v *Verification) Value() canon.Value {
	problems := make([]canon.Value, len(v.Problems))
	for i, p := range v.Problems {
		problems[i] = canon.StringValue(p)
	}
	return canon.ObjectValue(
		canon.Member{Key: "session", Value: v.SessionValue()},
		canon.Member{Key: "ledger", Value: v.LedgerValue()},
		canon.Member{Key: "attestation", Value: v.Attestation.Value()},
		canon.Member{Key: "verified", Value: canon.BoolValue(v.OK())},
		canon.Member{Key: "problems", Value: canon.ArrayValue(problems...)},
	)
}

// WriteText prints upstream's human report, then one line per problem.
func (v *Verification) WriteText(w io.Writer, pinned bool) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	verdict := "VERIFIED"
	if !v.OK() {
		verdict = "MISMATCH"
	}
	p("nono Audit integrity for session %s %s\n", v.Entry.ID, verdict)
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
	if a := v.Attestation; a.Present {
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
	if a := v.Attestation; a.VerificationError != "" {
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
