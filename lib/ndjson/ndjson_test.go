package ndjson

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func collect(t *testing.T, r *Reader) (lines []string, nums []int, err error) {
	t.Helper()
	for {
		l, e := r.Next()
		if e != nil {
			return lines, nums, e
		}
		lines = append(lines, string(l))
		nums = append(nums, r.Line())
	}
}

func TestLinesAndNumbers(t *testing.T) {
	in := "a\n\n  \nb\r\n{\"c\":1}\n"
	r := NewReader(iotest.OneByteReader(strings.NewReader(in)))
	lines, nums, err := collect(t, r)
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	if strings.Join(lines, "|") != "a|b\r|{\"c\":1}" {
		t.Fatalf("lines %q", lines)
	}
	if nums[0] != 1 || nums[1] != 4 || nums[2] != 5 {
		t.Fatalf("line numbers %v", nums)
	}
}

func TestTruncatedTail(t *testing.T) {
	r := NewReader(strings.NewReader("x\ny\n{\"half"))
	lines, _, err := collect(t, r)
	var le *Error
	if !errors.As(err, &le) || !errors.Is(err, ErrTruncated) || le.Line != 3 {
		t.Fatalf("err = %v", err)
	}
	if len(lines) != 2 {
		t.Fatalf("lines %q", lines)
	}
	if !strings.Contains(err.Error(), "line 3: truncated") {
		t.Fatalf("message %q", err)
	}
}

func TestTrailingBlankWithoutNewlineIsNotTruncation(t *testing.T) {
	_, _, err := collect(t, NewReader(strings.NewReader("x\n  ")))
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
}

func TestMaxLine(t *testing.T) {
	r := NewReader(strings.NewReader("ok\n" + strings.Repeat("z", 100) + "\nafter\n"))
	r.SetMaxLine(10)
	_, _, err := collect(t, r)
	var le *Error
	if !errors.As(err, &le) || !errors.Is(err, ErrTooLong) || le.Line != 2 {
		t.Fatalf("err = %v", err)
	}
}

func TestLongLinesGrowBuffer(t *testing.T) {
	long := strings.Repeat("q", 1<<20)
	lines, _, err := collect(t, NewReader(strings.NewReader(long+"\n"+long+"\n")))
	if err != io.EOF || len(lines) != 2 || lines[1] != long {
		t.Fatalf("err %v, %d lines", err, len(lines))
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("a\nb\n"), 4)
	f.Add([]byte("\n\n{x"), 1)
	f.Fuzz(func(t *testing.T, data []byte, max int) {
		if max < 0 {
			max = -max
		}
		r := NewReader(strings.NewReader(string(data)))
		r.SetMaxLine(max%64 + 1)
		last := 0
		for {
			line, err := r.Next()
			if err != nil {
				break
			}
			if r.Line() <= last || len(line) > max%64+1 || strings.Contains(string(line), "\n") {
				t.Fatalf("bad line %q at %d (last %d)", line, r.Line(), last)
			}
			last = r.Line()
		}
	})
}
