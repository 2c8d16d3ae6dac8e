// Package vectors finds the golden vectors of the module's
// testdata/vectors directory, the one copy every package's tests read:
// upstream's examples (copied from the spec) and the vectors derived from
// it. Tests run in their package's directory, so the directory is found
// by walking up from there.
package vectors

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir is the vectors directory relative to the module root.
const Dir = "testdata/vectors"

// Path is the path of the named vector, from the current directory's
// module root; when no parent holds the directory it is Dir/name, so
// opening it fails naming the file.
func Path(name string) string {
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join(Dir, name)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(filepath.Join(dir, Dir)); err == nil && st.IsDir() {
			return filepath.Join(dir, Dir, name)
		}
		if filepath.Dir(dir) == dir {
			return filepath.Join(Dir, name)
		}
	}
}

// Read returns the named vector's bytes or fails the test.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(Path(name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
