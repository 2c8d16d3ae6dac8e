package snapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/fstree"
	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
)

// evidence is what the audit session directory says about a rollback
// session. The rollback store may lie where the sandboxed command could
// write (a --rollback-dest), and anyone can edit it after the audit
// record is cleaned up; the audit directory never is writable by the
// command, and its session.json is the record the ledger's digest covers.
// A restore or a verify trusts the store only as far as this agrees.
type evidence struct {
	ID       string
	AuditDir string

	// Audit is the audit copy of session.json; nil when it is gone.
	Audit *session.Session
	// Store is the rollback store's copy.
	Store *session.Session
	// Digests are the manifest digests recorded in the audit directory;
	// nil when the file is gone.
	Digests map[int]fstree.Hash

	// Missing names what is gone (each one stops a restore without
	// --force); Differs names every field in which the two copies of
	// session.json disagree beyond what an unfinished session explains.
	Missing []string
	Differs []string
	// Notes are differences that an interrupted recording explains.
	Notes []string
}

// Trusted is the session record to rely on: the audit copy when there is
// one, else the store's own.
func (ev *evidence) Trusted() *session.Session {
	if ev.Audit != nil {
		return ev.Audit
	}
	return ev.Store
}

// Problems are every failed expectation in words.
func (ev *evidence) Problems() []string {
	out := slices.Clone(ev.Missing)
	if len(ev.Differs) > 0 {
		out = append(out, fmt.Sprintf("%s differs from the audit copy %s in %s",
			filepath.Join(ev.ID, session.FileName), filepath.Join(ev.AuditDir, session.FileName), strings.Join(ev.Differs, ", ")))
	}
	return out
}

// gatherEvidence reads the audit side of the rollback session in dir
// (whose name is the session ID). It fails only when the store's own
// record cannot be read; everything missing or different is reported in
// the result.
func gatherEvidence(dir string, getenv func(string) string) (*evidence, error) {
	id := filepath.Base(dir)
	if err := session.ValidateID(id); err != nil {
		return nil, fmt.Errorf("rollback directory %s: %w", dir, err)
	}
	storeRaw, err := os.ReadFile(filepath.Join(dir, session.FileName))
	if err != nil {
		return nil, fmt.Errorf("read session record: %w", err)
	}
	store, err := session.Decode(storeRaw)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", filepath.Join(dir, session.FileName), err)
	}
	ev := &evidence{ID: id, Store: store}
	if store.SessionID != id {
		ev.Differs = append(ev.Differs, fmt.Sprintf("session_id (%q, in a directory named %s)", store.SessionID, id))
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := stores.AuditRoot(getenv)
	if err != nil {
		ev.Missing = append(ev.Missing, fmt.Sprintf("the audit record cannot be found (%v)", err))
		return ev, nil
	}
	ev.AuditDir = filepath.Join(root, id)
	auditRaw, err := os.ReadFile(filepath.Join(ev.AuditDir, session.FileName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		what := "the audit session directory " + ev.AuditDir
		if _, serr := os.Lstat(ev.AuditDir); serr == nil {
			what = "the audit copy " + filepath.Join(ev.AuditDir, session.FileName)
		}
		ev.Missing = append(ev.Missing, what+" is missing (removed by `nono audit cleanup`?)")
	case err != nil:
		ev.Missing = append(ev.Missing, fmt.Sprintf("the audit copy of session.json cannot be read: %v", err))
	default:
		audit, err := session.Decode(auditRaw)
		if err != nil {
			ev.Missing = append(ev.Missing, fmt.Sprintf("the audit copy %s does not parse: %v", filepath.Join(ev.AuditDir, session.FileName), err))
			break
		}
		ev.Audit = audit
		ev.compare(storeRaw, auditRaw)
	}
	if ev.Audit == nil {
		return ev, nil
	}
	digests, err := readDigests(ev.AuditDir)
	switch {
	case err != nil:
		ev.Missing = append(ev.Missing, fmt.Sprintf("the manifest digests cannot be read: %v", err))
	case digests == nil:
		ev.Missing = append(ev.Missing, fmt.Sprintf("the manifest digests %s are missing", filepath.Join(ev.AuditDir, digestsFileName)))
	default:
		ev.Digests = digests
	}
	return ev, nil
}

// laterFields are the keys of session.json that stages write after the
// baseline: a store copy taken before the session finished holds their
// initial values while the audit copy has moved on.
var laterFields = map[string]bool{
	"ended": true, "exit_code": true, "executable_identity": true,
	"network_events": true, "audit_event_count": true, "audit_integrity": true,
	"audit_attestation": true, "command_policy_summary": true,
	"snapshot_count": true, "merkle_roots": true,
}

// compare records how the two copies of session.json differ. A copy
// made before the session finished (a crash between stages) may lack what
// later stages wrote; anything else that differs is a forgery or damage.
func (ev *evidence) compare(storeRaw, auditRaw []byte) {
	if string(storeRaw) == string(auditRaw) {
		return
	}
	sv, err1 := canon.Parse(storeRaw)
	av, err2 := canon.Parse(auditRaw)
	if err1 != nil || err2 != nil || sv.Kind != canon.Object || av.Kind != canon.Object {
		ev.Differs = append(ev.Differs, "its bytes")
		return
	}
	var keys []string
	for _, m := range av.Members {
		keys = append(keys, m.Key)
	}
	for _, m := range sv.Members {
		if !slices.Contains(keys, m.Key) {
			keys = append(keys, m.Key)
		}
	}
	var stale []string
	for _, k := range keys {
		s, sok := sv.Get(k)
		a, aok := av.Get(k)
		if sok == aok && canon.Equal(s, a) {
			continue
		}
		if laterFields[k] && aok && (!sok || earlierValue(k, s, a)) {
			stale = append(stale, k)
			continue
		}
		ev.Differs = append(ev.Differs, k)
	}
	if len(stale) > 0 {
		ev.Notes = append(ev.Notes, fmt.Sprintf("the store's copy of session.json was taken before the session finished (it lacks %s): the recording was interrupted", strings.Join(stale, ", ")))
	}
}

// earlierValue reports whether s, the store's value of key k, is what it
// held before a later stage wrote a, the audit copy's: null, empty or
// zero; for merkle_roots a prefix (the baseline root alone); for
// snapshot_count a smaller number.
func earlierValue(k string, s, a canon.Value) bool {
	switch {
	case k == "merkle_roots":
		ss, ok1 := s.Strings()
		as, ok2 := a.Strings()
		return ok1 && ok2 && len(ss) < len(as) && slices.Equal(ss, as[:len(ss)])
	case k == "snapshot_count":
		sn, ok1 := s.Uint()
		an, ok2 := a.Uint()
		return ok1 && ok2 && sn < an
	}
	switch s.Kind {
	case canon.Null:
		return true
	case canon.Array:
		return len(s.Elems) == 0
	case canon.Number:
		n, ok := s.Uint()
		return ok && n == 0
	}
	return false
}

// IntegrityError is a record that fails a check (a manifest that is not
// the one recorded, a root that does not match): a verdict about the
// store, not a failure to read it.
type IntegrityError struct{ Err error }

func (e *IntegrityError) Error() string { return e.Err.Error() }
func (e *IntegrityError) Unwrap() error { return e.Err }

// IsVerdict reports whether err is a finding about the session's records
// (tampered, inconsistent, or a restore refused for what it found) rather
// than a failure to read them.
func IsVerdict(err error) bool {
	var ie *IntegrityError
	var te *TrustError
	var ce *ConflictError
	return errors.As(err, &ie) || errors.As(err, &te) || errors.As(err, &ce)
}

// checkManifest checks manifest n of the session against what is
// recorded about it: its bytes against the audit directory's digest (when
// want is set), its files against its own merkle_root, and that root
// against the record's merkle_roots.
func checkManifest(m *Manifest, n int, roots []string) error {
	if err := checkManifestRoots(m, n, roots); err != nil {
		return &IntegrityError{Err: err}
	}
	return nil
}

func checkManifestRoots(m *Manifest, n int, roots []string) error {
	if int(m.Number) != n {
		return fmt.Errorf("snapshot %03d says it is snapshot %d", n, m.Number)
	}
	if rebuilt := fstree.Root(m.Files); rebuilt != m.MerkleRoot {
		return fmt.Errorf("snapshot %03d: its merkle_root %s is not the root of its files (%s)", n, short(m.MerkleRoot), short(rebuilt))
	}
	if n >= len(roots) {
		return fmt.Errorf("snapshot %03d: the session record holds no merkle root for it", n)
	}
	if !strings.EqualFold(roots[n], fstree.Hex(m.MerkleRoot)) {
		return fmt.Errorf("snapshot %03d: its merkle root %s is not the one the session recorded (%.16s)", n, short(m.MerkleRoot), roots[n])
	}
	return nil
}

// RecordCheck is how far a rollback session's own record can be vouched
// for, for `nono rollback show`: the session record to present (the audit
// copy when there is one), what is missing or differs, and the checks of
// the store's change lists.
type RecordCheck struct {
	Session  *session.Session // the audit copy, else the store's own
	AuditDir string
	Missing  []string // evidence that is gone: nothing can be checked against it
	Differs  []string // fields of the store's session.json that differ from the audit copy
	Notes    []string // differences an interrupted recording explains
	Changes  []ChangeListCheck
}

// Verified reports whether the record matches the audit record.
func (c *RecordCheck) Verified() bool { return len(c.Missing) == 0 && len(c.Differs) == 0 }

// CheckRecord checks the rollback session in dir against its audit
// record, and its change lists against the snapshots the record commits
// to. It fails only when the store's own session.json cannot be read.
func CheckRecord(dir string, getenv func(string) string) (*RecordCheck, error) {
	ev, err := gatherEvidence(dir, getenv)
	if err != nil {
		return nil, err
	}
	c := &RecordCheck{Session: ev.Trusted(), AuditDir: ev.AuditDir, Missing: ev.Missing, Differs: ev.Differs, Notes: ev.Notes}
	auditDir := ""
	if ev.Audit != nil {
		auditDir = ev.AuditDir
	}
	if auditDir != "" {
		for _, ch := range CheckChanges(c.Session, auditDir, dir) {
			if filepath.Dir(filepath.Dir(ch.Path)) == filepath.Clean(dir) {
				c.Changes = append(c.Changes, ch)
			}
		}
	}
	return c, nil
}
