package supervise

import (
	"os"
	"strconv"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		in   string
		want procStat
		ok   bool
	}{
		{"42 (sh) S 1 42 42 34816 42 4194304", procStat{ppid: 1, pgrp: 42, sid: 42}, true},
		{"7 (a) b) (c) R 3 5 6 0", procStat{ppid: 3, pgrp: 5, sid: 6}, true}, // comm with ") ("
		{"7 (x) S 3 5", procStat{}, false},
		{"7 (x) S a 5 6", procStat{}, false},
		{"no parenthesis", procStat{}, false},
		{"", procStat{}, false},
	}
	for _, tt := range tests {
		got, ok := parseProcStat([]byte(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseProcStat(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	self, ok := readProcStat(strconv.Itoa(os.Getpid()))
	if !ok || self.ppid != os.Getppid() {
		t.Errorf("own stat = %+v, %v; want ppid %d", self, ok, os.Getppid())
	}
}

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("42 (sh) S 1 42 42 34816 42 4194304"))
	f.Add([]byte("1 ()) ) Z 0 0 0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseProcStat(data) // must not panic
	})
}

func TestOrphaned(t *testing.T) {
	// Whatever runs the tests, the answer must agree with what /proc says
	// about our own parent.
	self, _ := readProcStat(strconv.Itoa(os.Getpid()))
	parent, ok := readProcStat(strconv.Itoa(os.Getppid()))
	if !ok {
		t.Skip("cannot read the parent's stat")
	}
	if parent.pgrp != self.pgrp && parent.sid == self.sid && orphaned(self.pgrp, self.sid) {
		t.Errorf("group %d has a parent in group %d of the same session, yet looks orphaned", self.pgrp, parent.pgrp)
	}
	if !orphaned(self.pgrp, self.sid+1<<20) {
		t.Error("a group with no member's parent in the session must look orphaned")
	}
}
