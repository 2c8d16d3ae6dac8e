package session

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// DestsFileName, in the rollback root, lists the other directories
// (--rollback-dest) that hold rollback sessions, one absolute path a
// line, so `nono rollback` commands and cleanup can reach them.
const DestsFileName = "dests"

// ReadDests returns the registered --rollback-dest directories of a
// rollback root (absolute, deduplicated, in file order).
func ReadDests(root string) ([]string, error) {
	f, err := os.OpenFile(filepath.Join(root, DestsFileName), os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if filepath.IsAbs(line) && !slices.Contains(out, line) {
			out = append(out, filepath.Clean(line))
		}
	}
	return out, sc.Err()
}
