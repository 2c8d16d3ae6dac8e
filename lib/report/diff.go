package report

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxDiffBytes bounds each side of a text diff; larger files are only
// reported as changed.
const maxDiffBytes = 1 << 20

// maxDiffCells bounds the LCS table of the changed middle part.
const maxDiffCells = 4 << 20

// unifiedDiff writes a unified diff (3 lines of context) of old and new
// under the given names ("/dev/null" for a side that does not exist).
// Binary content (a NUL byte or invalid UTF-8) and files over
// maxDiffBytes get a one-line note instead.
func unifiedDiff(w io.Writer, oldName, newName string, old, new []byte) error {
	if isBinary(old) || isBinary(new) {
		_, err := fmt.Fprintf(w, "Binary files %s and %s differ\n", oldName, newName)
		return err
	}
	if len(old) > maxDiffBytes || len(new) > maxDiffBytes {
		_, err := fmt.Fprintf(w, "Files %s and %s differ (too large to show)\n", oldName, newName)
		return err
	}
	a, b := splitLines(old), splitLines(new)
	ops := diffLines(a, b)
	if len(ops) == 0 {
		return nil
	}
	fmt.Fprintf(w, "--- %s\n+++ %s\n", oldName, newName)
	const context = 3
	for start := 0; start < len(ops); {
		// Find the next change and the end of its hunk.
		for start < len(ops) && ops[start].kind == ' ' {
			start++
		}
		if start == len(ops) {
			break
		}
		lo := max(start-context, 0)
		for lo > 0 && ops[lo-1].kind != ' ' {
			lo--
		}
		hi := start
		for hi < len(ops) {
			if ops[hi].kind != ' ' {
				hi++
				continue
			}
			run := hi
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-hi > 2*context {
				hi = min(hi+context, len(ops))
				break
			}
			hi = run
		}
		var aStart, aLen, bStart, bLen int
		aStart, bStart = -1, -1
		for _, op := range ops[lo:hi] {
			if op.kind != '+' {
				if aStart < 0 {
					aStart = op.a
				}
				aLen++
			}
			if op.kind != '-' {
				if bStart < 0 {
					bStart = op.b
				}
				bLen++
			}
		}
		fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(aStart, aLen, ops[lo].a), hunkRange(bStart, bLen, ops[lo].b))
		for _, op := range ops[lo:hi] {
			line := op.text
			fmt.Fprintf(w, "%c%s", op.kind, line)
			if !bytes.HasSuffix(line, []byte{'\n'}) {
				fmt.Fprint(w, "\n\\ No newline at end of file\n")
			}
		}
		start = hi
	}
	return nil
}

func hunkRange(start, n, at int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", at)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func isBinary(b []byte) bool {
	head := b[:min(len(b), 8000)]
	return bytes.IndexByte(head, 0) >= 0 || !utf8.Valid(b)
}

// splitLines splits after each '\n'; a last line without one is kept.
func splitLines(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i+1])
		b = b[i+1:]
	}
	return out
}

type diffOp struct {
	kind byte // ' ', '-', '+'
	a, b int  // line index in old and new (where the op sits)
	text []byte
}

// diffLines is a line diff: common prefix and suffix, then a longest
// common subsequence of the middle when it is small enough, else the
// whole middle as replaced.
func diffLines(a, b [][]byte) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && bytes.Equal(a[pre], b[pre]) {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && bytes.Equal(a[len(a)-1-suf], b[len(b)-1-suf]) {
		suf++
	}
	if pre == len(a) && pre == len(b) {
		return nil
	}
	var ops []diffOp
	for i := 0; i < pre; i++ {
		ops = append(ops, diffOp{' ', i, i, a[i]})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if (len(ma)+1)*(len(mb)+1) <= maxDiffCells {
		ops = append(ops, lcsOps(ma, mb, pre)...)
	} else {
		for i := range ma {
			ops = append(ops, diffOp{'-', pre + i, pre, ma[i]})
		}
		for j := range mb {
			ops = append(ops, diffOp{'+', pre + len(ma), pre + j, mb[j]})
		}
	}
	for k := 0; k < suf; k++ {
		i, j := len(a)-suf+k, len(b)-suf+k
		ops = append(ops, diffOp{' ', i, j, a[i]})
	}
	return ops
}

func lcsOps(a, b [][]byte, off int) []diffOp {
	n, m := len(a), len(b)
	w := m + 1
	t := make([]uint32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if bytes.Equal(a[i], b[j]) {
				t[i*w+j] = t[(i+1)*w+j+1] + 1
			} else {
				t[i*w+j] = max(t[(i+1)*w+j], t[i*w+j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && bytes.Equal(a[i], b[j]):
			ops = append(ops, diffOp{' ', off + i, off + j, a[i]})
			i++
			j++
		case i < n && (j == m || t[(i+1)*w+j] >= t[i*w+j+1]):
			ops = append(ops, diffOp{'-', off + i, off + j, a[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', off + i, off + j, b[j]})
			j++
		}
	}
	return ops
}

// diffStat counts the lines a diff of old and new adds and removes; ok is
// false for content UnifiedDiff would not show (binary or too large).
func diffStat(old, new []byte) (ins, del int, ok bool) {
	if isBinary(old) || isBinary(new) || len(old) > maxDiffBytes || len(new) > maxDiffBytes {
		return 0, 0, false
	}
	for _, op := range diffLines(splitLines(old), splitLines(new)) {
		switch op.kind {
		case '+':
			ins++
		case '-':
			del++
		}
	}
	return ins, del, true
}
