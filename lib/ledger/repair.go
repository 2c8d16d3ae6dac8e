package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/merkle"
	"github.com/nono-audit/nono/lib/ndjson"
	"github.com/nono-audit/nono/lib/session"
)

// RepairReport says what repair kept and what it moved aside.
type RepairReport struct {
	Path          string       // the ledger file
	DryRun        bool         // nothing was changed
	Damaged       bool         // false: the ledger was whole (or absent)
	Line          int          // first bad physical line
	Reason        string       // what is wrong with it
	KeptEntries   uint64       // records kept: the longest valid prefix
	KeptHead      *merkle.Hash // chain hash of the last record kept
	MovedLines    int          // non-blank lines moved aside
	MovedBytes    int64        // bytes moved aside
	MovedSessions []string     // session ids named in the moved lines, in order
	MovedTo       string       // where they went ("" on a dry run)
}

// Value returns the report as a JSON object, keys in field order.
func (r *RepairReport) Value() canon.Value {
	opt := func(ok bool, v canon.Value) canon.Value {
		if !ok {
			return canon.NullValue()
		}
		return v
	}
	head := canon.NullValue()
	if r.KeptHead != nil {
		head = canon.StringValue(merkle.Hex(*r.KeptHead))
	}
	return canon.ObjectValue(
		canon.Member{Key: "ledger", Value: canon.StringValue(r.Path)},
		canon.Member{Key: "dry_run", Value: canon.BoolValue(r.DryRun)},
		canon.Member{Key: "damaged", Value: canon.BoolValue(r.Damaged)},
		canon.Member{Key: "line", Value: opt(r.Damaged, canon.IntValue(int64(r.Line)))},
		canon.Member{Key: "reason", Value: opt(r.Damaged, canon.StringValue(r.Reason))},
		canon.Member{Key: "kept_entries", Value: canon.UintValue(r.KeptEntries)},
		canon.Member{Key: "kept_head", Value: head},
		canon.Member{Key: "moved_lines", Value: canon.IntValue(int64(r.MovedLines))},
		canon.Member{Key: "moved_bytes", Value: canon.IntValue(r.MovedBytes)},
		canon.Member{Key: "moved_sessions", Value: canon.StringsValue(r.MovedSessions)},
		canon.Member{Key: "moved_to", Value: opt(r.MovedTo != "", canon.StringValue(r.MovedTo))},
	)
}

// repair makes a damaged ledger usable again without losing anything: under
// the exclusive lock it finds the longest valid prefix, copies everything
// after it to a new file beside the ledger (ledger.ndjson.damaged-<UTC
// time>), then atomically replaces ledger.ndjson with the prefix.
//
// It never re-appends the sessions of the moved part: a tail can be damaged
// by tampering as well as by a crash, and re-adding its sessions would
// bless whatever their session.json now says. To add one back after
// checking its directory: nono-chain ledger append <audit root>/<id>.
func repair(auditRoot string) (*RepairReport, error) {
	return RepairWith(auditRoot, RepairOptions{Wait: DefaultWait})
}

// RepairOptions adjusts RepairWith.
type RepairOptions struct {
	DryRun bool          // only report what would be done (under a shared lock)
	Wait   time.Duration // longest wait for the ledger lock
}

// RepairWith is repair with options.
func RepairWith(root string, opts RepairOptions) (*RepairReport, error) {
	dryRun, wait := opts.DryRun, opts.Wait
	rep := &RepairReport{Path: filepath.Join(root, FileName), DryRun: dryRun}
	if _, err := os.Stat(root); errors.Is(err, os.ErrNotExist) {
		return rep, nil
	}
	release, err := lockFile(root, !dryRun, !dryRun, wait)
	if err != nil {
		return nil, err
	}
	defer release()
	f, err := os.OpenFile(rep.Path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat ledger %s: %w", rep.Path, err)
	}
	size := st.Size()

	var c checker
	err = c.scan(io.NewSectionReader(f, 0, size), rep.Path, nil)
	rep.KeptEntries, rep.KeptHead = c.count, c.head
	var de *damagedError
	if err == nil || !errors.As(err, &de) {
		return rep, err
	}
	rep.Damaged, rep.Line, rep.Reason = true, de.Line, de.Reason

	cut, err := lineOffset(f, size, de.Line)
	if err != nil {
		return nil, fmt.Errorf("read ledger %s: %w", rep.Path, err)
	}
	rep.MovedBytes = size - cut
	if err := describeTail(io.NewSectionReader(f, cut, size-cut), rep); err != nil {
		return nil, fmt.Errorf("read ledger %s: %w", rep.Path, err)
	}
	if dryRun {
		return rep, nil
	}

	// First the moved part, durably, under a name nobody else uses; only
	// then the shorter ledger. A crash in between leaves the ledger as it
	// was and a copy of its tail.
	aside, err := asideName(root, time.Now())
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(aside, 0o600, func(w io.Writer) error {
		_, err := io.Copy(w, io.NewSectionReader(f, cut, size-cut))
		return err
	}); err != nil {
		return nil, err
	}
	rep.MovedTo = aside
	if err := atomicfile.Write(rep.Path, 0o600, func(w io.Writer) error {
		_, err := io.Copy(w, io.NewSectionReader(f, 0, cut))
		return err
	}); err != nil {
		return nil, fmt.Errorf("the damaged part is saved in %s, but rewriting the ledger failed: %w", aside, err)
	}
	return rep, nil
}

// lineOffset returns the byte offset where physical line n starts.
func lineOffset(f io.ReaderAt, size int64, n int) (int64, error) {
	if n <= 1 {
		return 0, nil
	}
	buf := make([]byte, 64<<10)
	line := 1
	for pos := int64(0); pos < size; {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
		for i := 0; ; {
			j := bytes.IndexByte(buf[i:k], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			if line++; line == n {
				return pos + int64(i), nil
			}
		}
		pos += int64(k)
		if err != nil && !(err == io.EOF && pos >= size) {
			return 0, err
		}
	}
	return size, nil
}

// describeTail counts the moved lines and collects the session ids they
// name (from whatever still parses), each once.
func describeTail(r io.Reader, rep *RepairReport) error {
	lines := ndjson.NewReader(r)
	seen := map[string]bool{}
	for {
		line, err := lines.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil && !errors.Is(err, ndjson.ErrTruncated) && !errors.Is(err, ndjson.ErrTooLong) {
			return err
		}
		rep.MovedLines++
		if id := movedSessionID(line); id != "" && !seen[id] {
			seen[id] = true
			rep.MovedSessions = append(rep.MovedSessions, id)
		}
		if err != nil {
			return nil
		}
	}
}

// movedSessionID returns the valid session_id of a ledger line that is
// still a JSON object with one, else "".
func movedSessionID(line []byte) string {
	var s canon.Scanner
	s.Reset(line)
	if s.Object() != nil {
		return ""
	}
	for {
		key, more, err := s.NextMember()
		if err != nil || !more {
			return ""
		}
		if string(key) != "session_id" {
			continue
		}
		if k, _ := s.Peek(); k != canon.String {
			return ""
		}
		id, err := s.String()
		if err != nil || session.ValidateID(string(id)) != nil {
			return ""
		}
		return string(id)
	}
}

// asideName picks a new file name beside the ledger for a damaged tail.
func asideName(root string, now time.Time) (string, error) {
	base := filepath.Join(root, FileName+".damaged-"+now.UTC().Format("20060102T150405Z"))
	for i := 1; i < 1000; i++ {
		name := base
		if i > 1 {
			name += "-" + strconv.Itoa(i)
		}
		if _, err := os.Lstat(name); errors.Is(err, os.ErrNotExist) {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free name for the damaged part beside %s", base)
}
