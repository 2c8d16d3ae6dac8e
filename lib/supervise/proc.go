package supervise

import (
	"bytes"
	"os"
	"strconv"
)

// procStat is the part of /proc/PID/stat job control cares about.
type procStat struct{ ppid, pgrp, sid int }

func readProcStat(pid string) (procStat, bool) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return procStat{}, false
	}
	return parseProcStat(data)
}

// parseProcStat reads "pid (comm) state ppid pgrp session ...". comm may
// hold anything, spaces and parentheses included, so the fields are
// taken after its last ')'.
func parseProcStat(data []byte) (procStat, bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(data[i+1:])
	if len(f) < 4 {
		return procStat{}, false
	}
	var s procStat
	var errs [3]error
	s.ppid, errs[0] = strconv.Atoi(string(f[1]))
	s.pgrp, errs[1] = strconv.Atoi(string(f[2]))
	s.sid, errs[2] = strconv.Atoi(string(f[3]))
	return s, errs[0] == nil && errs[1] == nil && errs[2] == nil
}

// orphaned reports whether process group pgrp of session sid is orphaned:
// no member has a parent in another group of the same session, so no
// job-control shell could ever continue it, and the kernel discards
// terminal stop signals sent to it. When in doubt (a /proc that hides
// other users' processes), it says orphaned: ignoring one Ctrl-Z is
// better than stopping for good.
func orphaned(pgrp, sid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	procs := make(map[int]procStat, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, ok := readProcStat(e.Name()); ok {
			procs[pid] = s
		}
	}
	for _, p := range procs {
		if p.pgrp != pgrp {
			continue
		}
		if parent, ok := procs[p.ppid]; ok && parent.pgrp != pgrp && parent.sid == sid {
			return false
		}
	}
	return true
}
