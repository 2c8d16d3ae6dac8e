package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nono-audit/nono/lib/session"
	"github.com/nono-audit/nono/lib/stores"
)

// registerStore records the store's parent in the rollback root's dests
// file when it is not the rollback root itself. Failing to record it only
// costs discoverability, so it is a warning.
func (o *Options) registerStore() {
	root, err := stores.RollbackRoot(o.Getenv)
	if err != nil {
		return
	}
	dest := canonical(filepath.Dir(o.StoreDir))
	if dest == canonical(root) {
		return
	}
	known, _ := session.ReadDests(root)
	if slices.Contains(known, dest) {
		return
	}
	if err := appendDest(root, dest); err != nil {
		o.warn(fmt.Sprintf("could not record %s in %s: %v", dest, filepath.Join(root, session.DestsFileName), err))
	}
}

func appendDest(root, dest string) error {
	if strings.ContainsRune(dest, '\n') {
		return fmt.Errorf("path holds a newline")
	}
	if err := session.EnsureRoot(root); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(root, session.DestsFileName), os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	// One write of one line with O_APPEND: concurrent sessions never
	// interleave within a line.
	if _, err := f.WriteString(dest + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
