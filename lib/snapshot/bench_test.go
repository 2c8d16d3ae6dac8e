package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nono-audit/nono/lib/fstree"
)

// benchTree makes n small files in 100 directories.
func benchTree(b *testing.B, e *env, n int) {
	b.Helper()
	buf := make([]byte, 1024)
	for i := range n {
		p := filepath.Join(e.root, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%05d", i))
		if i < 100 {
			os.MkdirAll(filepath.Dir(p), 0o755)
		}
		buf[0], buf[1] = byte(i), byte(i>>8)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEndRescan is the end-of-session snapshot of 20,000 files with
// 1% changed: the baseline's stat cache spares the other 99%.
func BenchmarkEndRescan(b *testing.B) {
	e := newEnv(b)
	benchTree(b, e, 20000)
	later := func() time.Time { return time.Now().Add(2 * time.Second) }
	o := e.opts()
	o.Now = later
	o.Stderr = nil
	if _, err := Begin(o); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for k := 0; k < 200; k++ {
			p := filepath.Join(e.root, fmt.Sprintf("d%02d", (k*100)%100), fmt.Sprintf("f%05d", k*100))
			os.WriteFile(p, []byte(fmt.Sprint(i, k)), 0o644)
		}
		os.RemoveAll(filepath.Join(e.store, changesDir))
		b.StartTimer()
		if _, err := End(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkManifestEncodeParse(b *testing.B) {
	files := make([]fstree.File, 20000)
	for i := range files {
		files[i] = fstree.File{Path: fmt.Sprintf("/home/user/project/d%02d/f%05d.go", i%100, i), Size: int64(i), Mode: 0o100644,
			Mtime: 1776855600, MtimeNs: 1776855600123456789, CtimeNs: 1776855600123456789, Ino: uint64(i), Dev: 2049, Cacheable: true}
	}
	files = fstree.SortFiles(files)
	m := &Manifest{Timestamp: "1", Files: files, MerkleRoot: fstree.Root(files), Rules: &fstree.Rules{}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data := m.encode()
		if _, err := parseManifest(data); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
	}
}
