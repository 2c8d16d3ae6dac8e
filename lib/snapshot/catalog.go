package snapshot

// SessionChanges are every change a session directory records
// (changes/001.json, 002.json, … up to the first missing or unreadable
// one), in order.
func SessionChanges(dir string) []Change {
	var out []Change
	for n := 1; ; n++ {
		cs, err := ReadChanges(dir, n)
		if err != nil {
			return out
		}
		out = append(out, cs...)
	}
}

// SnapshotCount is how many snapshots dir holds (snapshots/000.json,
// 001.json, … from 0 up).
func SnapshotCount(dir string) int { return countSnapshots(dir) }
