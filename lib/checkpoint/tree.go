package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/canon"
	"github.com/nono-audit/nono/lib/ledger"
	"github.com/nono-audit/nono/lib/merkle"
)

// Names of the files this package keeps beside the ledger.
const (
	FileName  = "ledger.checkpoint" // the latest signed checkpoint
	StateName = "ledger.tree"       // where the tree of that checkpoint left off
)

// tree is the Merkle tree over the ledger records read so far: leaf i is
// record i's chain hash.
type tree struct {
	pos ledger.Position
	b   merkle.Builder
}

// read adds the records after t.pos to the tree, calling each (when not
// nil) after each record's leaf is in. The caller holds the ledger lock.
// On error the tree is incomplete and must be discarded.
func (t *tree) read(auditRoot string, each func(*ledger.Record)) error {
	pos, err := ledger.ReadFrom(auditRoot, t.pos, func(r *ledger.Record) {
		t.b.Append(r.ChainHash)
		if each != nil {
			each(r)
		}
	})
	if err != nil {
		return err
	}
	t.pos = pos
	return nil
}

func (t *tree) root() (merkle.Hash, bool) { return t.b.Root() }

// The state file lets the next checkpoint read only the records appended
// since this one: where the reading stopped (ledger.Position) and the
// roots of the tree's perfect subtrees (merkle.Builder), one compact JSON
// object:
//
//	{"size":N,"head":HEX,"offset":BYTES,"line":N,"subtrees":[HEX,…]}
//
// It is a cache: anything wrong with it (missing, unreadable, not
// matching the ledger or the checkpoint) only means the whole ledger is
// read again.

func (t *tree) encodeState() []byte {
	b := []byte(`{"size":`)
	b = strconv.AppendUint(b, t.pos.Count, 10)
	b = append(b, `,"head":"`...)
	b = merkle.AppendHex(b, *t.pos.Head)
	b = append(b, `","offset":`...)
	b = strconv.AppendInt(b, t.pos.Offset, 10)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(t.pos.Line), 10)
	b = append(b, `,"subtrees":[`...)
	for i, h := range t.b.Subtrees() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = merkle.AppendHex(b, h)
		b = append(b, '"')
	}
	return append(b, "]}\n"...)
}

// parseState reads a state file. Every key is required, no other is
// allowed, and the subtrees must fit the size.
func parseState(data []byte) (*tree, error) {
	v, err := canon.Parse(data)
	if err != nil {
		return nil, err
	}
	if v.Kind != canon.Object || len(v.Members) != 5 {
		return nil, errors.New("want an object of size, head, offset, line, subtrees")
	}
	num := func(key string, max uint64) (uint64, error) {
		f, _ := v.Get(key)
		n, ok := f.Uint()
		if !ok || n > max {
			return 0, fmt.Errorf("%s: want an integer from 0 to %d", key, max)
		}
		return n, nil
	}
	hash := func(key string, f canon.Value) (merkle.Hash, error) {
		if f.Kind != canon.String {
			return merkle.Hash{}, fmt.Errorf("%s: want a hex string", key)
		}
		return merkle.ParseHash(f.Str)
	}
	size, err := num("size", 1<<63-1)
	if err != nil {
		return nil, err
	}
	offset, err := num("offset", 1<<63-1)
	if err != nil {
		return nil, err
	}
	line, err := num("line", 1<<31-1)
	if err != nil {
		return nil, err
	}
	hv, _ := v.Get("head")
	head, err := hash("head", hv)
	if err != nil {
		return nil, err
	}
	sv, ok := v.Get("subtrees")
	if !ok || sv.Kind != canon.Array {
		return nil, errors.New("subtrees: want an array")
	}
	subtrees := make([]merkle.Hash, len(sv.Elems))
	for i, e := range sv.Elems {
		if subtrees[i], err = hash("subtrees", e); err != nil {
			return nil, err
		}
	}
	b, err := merkle.ResumeBuilder(size, subtrees)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		return nil, errors.New("size: an empty tree is never saved")
	}
	return &tree{pos: ledger.Position{Count: size, Head: &head, Offset: int64(offset), Line: int(line)}, b: *b}, nil
}

// loadState reads the state file of auditRoot; nil when there is none
// or it cannot be used.
func loadState(auditRoot string) *tree {
	data, err := os.ReadFile(filepath.Join(auditRoot, StateName))
	if err != nil {
		return nil
	}
	t, err := parseState(data)
	if err != nil {
		return nil
	}
	return t
}

func (t *tree) saveState(auditRoot string) error {
	return atomicfile.Replace(filepath.Join(auditRoot, StateName), t.encodeState(), 0o600)
}
