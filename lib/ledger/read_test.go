package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readAll(t *testing.T, root string, from Position) ([]*Record, Position) {
	t.Helper()
	release, err := Lock(root, false, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var recs []*Record
	pos, err := ReadFrom(root, from, func(r *Record) { recs = append(recs, r) })
	if err != nil {
		t.Fatal(err)
	}
	return recs, pos
}

// Reading on from a position sees exactly the records appended since, and
// ends where a reading of the whole ledger ends.
func TestReadFromContinues(t *testing.T) {
	root := t.TempDir()
	if recs, pos := readAll(t, root, Position{}); len(recs) != 0 || pos != (Position{}) {
		t.Fatalf("missing ledger: %v %+v", recs, pos)
	}
	appendN(t, root, 3)
	recs, pos := readAll(t, root, Position{})
	if len(recs) != 3 || pos.Count != 3 || *pos.Head != recs[2].ChainHash || pos.Line != 3 {
		t.Fatalf("%d records, %+v", len(recs), pos)
	}
	for i := range 2 {
		if _, err := Append(root, testSession(fmt.Sprintf("more%d", i)), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	more, next := readAll(t, root, pos)
	if len(more) != 2 || more[0].Sequence != 3 || more[1].SessionID != "more1" {
		t.Fatalf("%+v", more)
	}
	all, whole := readAll(t, root, Position{})
	if len(all) != 5 || next.Count != whole.Count || *next.Head != *whole.Head || next.Offset != whole.Offset || next.Line != whole.Line {
		t.Fatalf("continued %+v, whole %+v", next, whole)
	}
	if again, same := readAll(t, root, next); len(again) != 0 || same.Offset != next.Offset {
		t.Fatalf("nothing new: %v %+v", again, same)
	}
}

// A position taken when the last record had no newline continues with the
// right line numbers once an append finishes that line.
func TestReadFromUnterminated(t *testing.T) {
	root := t.TempDir()
	appendN(t, root, 2)
	path := filepath.Join(root, FileName)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.TrimSuffix(data, []byte("\n")), 0o600)
	_, pos := readAll(t, root, Position{})
	if _, same := readAll(t, root, pos); same.Line != pos.Line {
		t.Fatalf("line %d, want %d", same.Line, pos.Line)
	}
	if _, err := Append(root, testSession("next"), time.Second); err != nil {
		t.Fatal(err)
	}
	_, next := readAll(t, root, pos)
	_, whole := readAll(t, root, Position{})
	if next.Line != whole.Line || next.Line != 3 || next.Count != 3 {
		t.Fatalf("continued %+v, whole %+v", next, whole)
	}
	// Damage after the position is reported with its true line number.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("garbage\n")
	f.Close()
	release, _ := Lock(root, false, time.Second)
	defer release()
	_, err := ReadFrom(root, pos, nil)
	var de *damagedError
	if !errors.As(err, &de) || de.Line != 4 {
		t.Fatalf("%v", err)
	}
}

// A ledger rewritten or cut back since a position is not read from the
// middle.
func TestReadFromMoved(t *testing.T) {
	root := t.TempDir()
	appendN(t, root, 4)
	_, pos := readAll(t, root, Position{})
	path := filepath.Join(root, FileName)
	data, _ := os.ReadFile(path)

	check := func(name string) {
		t.Helper()
		release, _ := Lock(root, false, time.Second)
		defer release()
		if _, err := ReadFrom(root, pos, nil); !errors.Is(err, ErrMoved) {
			t.Fatalf("%s: %v, want ErrMoved", name, err)
		}
	}
	// Cut back: the last record gone.
	lines := bytes.SplitAfter(data, []byte("\n"))
	os.WriteFile(path, bytes.Join(lines[:3], nil), 0o600)
	check("cut back")
	// The same length, another last record.
	other := t.TempDir()
	appendN(t, other, 3)
	if _, err := Append(other, testSession("zz"), time.Second); err != nil {
		t.Fatal(err)
	}
	alt, _ := os.ReadFile(filepath.Join(other, FileName))
	os.WriteFile(path, alt, 0o600)
	check("rewritten")
	os.Remove(path)
	check("removed")
}
