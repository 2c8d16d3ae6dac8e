package snapshot

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nono-audit/nono/lib/atomicfile"
	"github.com/nono-audit/nono/lib/fstree"
)

// digestsFileName, in the audit session directory, holds the SHA-256 of
// every manifest written to the rollback store, in sha256sum's format
// ("<hex>  snapshots/000.json"). The merkle root covers a manifest's
// files but not its exclusions, directories or links; a --rollback-dest
// store may be writable by the sandboxed command, the audit directory
// never is. Restore and verify refuse a manifest whose bytes differ.
const digestsFileName = "snapshots.sha256"

// recordDigest writes manifest n's digest into auditDir's digest file.
func recordDigest(auditDir string, n int, data []byte) error {
	digests, err := readDigests(auditDir)
	if err != nil {
		return err
	}
	if digests == nil {
		digests = map[int]fstree.Hash{}
	}
	digests[n] = sha256.Sum256(data)
	keys := make([]int, 0, len(digests))
	for k := range digests {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s  %s/%03d.json\n", fstree.Hex(digests[k]), snapshotsDir, k)
	}
	return atomicfile.WriteFile(filepath.Join(auditDir, digestsFileName), b.Bytes(), 0o600)
}

// readDigests reads auditDir's manifest digests by snapshot number; nil
// when the session recorded none.
func readDigests(auditDir string) (map[int]fstree.Hash, error) {
	p := filepath.Join(auditDir, digestsFileName)
	data, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[int]fstree.Hash{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		hexPart, name, ok := strings.Cut(sc.Text(), "  ")
		num, isManifest := strings.CutPrefix(name, snapshotsDir+"/")
		num, isJSON := strings.CutSuffix(num, ".json")
		n, nerr := strconv.Atoi(num)
		h, herr := fstree.ParseHash(hexPart)
		if !ok || !isManifest || !isJSON || nerr != nil || n < 0 || herr != nil {
			return nil, fmt.Errorf("%s: line %d: want \"<sha256>  snapshots/NNN.json\"", p, line)
		}
		out[n] = h
	}
	return out, sc.Err()
}

// readManifestChecked reads manifest n of dir, checking its bytes against
// the recorded digests unless there are none (nil: not available, which a
// caller has already dealt with). A manifest the digests do not list is
// refused: it was not written by the session.
func readManifestChecked(dir string, n int, digests map[int]fstree.Hash) (*Manifest, error) {
	p := ManifestPath(dir, n)
	data, err := readDocument(p)
	if err != nil {
		return nil, err
	}
	if digests != nil {
		want, ok := digests[n]
		switch {
		case !ok:
			return nil, &IntegrityError{fmt.Errorf("%s has no digest recorded in the audit session's %s: refusing to use it", p, digestsFileName)}
		case fstree.Hash(sha256.Sum256(data)) != want:
			return nil, &IntegrityError{fmt.Errorf("%s was modified after it was recorded (its SHA-256 differs from the audit session's %s): refusing to use it", p, digestsFileName)}
		}
	}
	m, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}
