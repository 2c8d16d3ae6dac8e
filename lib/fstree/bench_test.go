package fstree

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkWalkHash hashes 64 MiB in 512 files (page-cached after the
// first round): the parallel hashing throughput.
func BenchmarkWalkHash(b *testing.B) {
	root, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 128<<10)
	for i := range 512 {
		buf[0] = byte(i)
		p := filepath.Join(root, fmt.Sprintf("d%d", i%16), fmt.Sprintf("f%d", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(512 * int64(len(buf)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Walk([]string{root}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWalkCached is the same tree walked with a stat cache: nothing
// is read.
func BenchmarkWalkCached(b *testing.B) {
	root, err := filepath.EvalSymlinks(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5000 {
		p := filepath.Join(root, fmt.Sprintf("d%d", i%50), fmt.Sprintf("f%d", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(p), 0o644)
	}
	later := time.Now().Add(2 * time.Second)
	first, err := Walk([]string{root}, Options{Now: later})
	if err != nil {
		b.Fatal(err)
	}
	cache := cacheOf(first)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t, err := Walk([]string{root}, Options{Now: later, Cache: cache})
		if err != nil || t.Hashed != 0 {
			b.Fatal(err, t.Hashed)
		}
	}
}
