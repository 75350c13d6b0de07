package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/cache"
)

// fixturePython is a Python made of one small header, so that a parse is
// quick and needs no installed Python.
func fixturePython(t *testing.T) *cparse.Python {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "python3.98")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "patchlevel.h"), []byte("#define PY_VERSION \"3.98.0\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Python.h"), []byte("typedef struct S { int a; long b; } S;\n#define ANSWER 42\n"), 0o644)
	py, err := cparse.FromIncludeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return py
}

// entryFile is the file of the one cached include in dir.
func entryFile(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "include-*.inc"))
	if len(files) != 1 {
		t.Fatalf("want one include entry in the cache, have %v", files)
	}
	return files[0]
}

// TestDamagedCacheEntry: an entry whose stored include was altered, or
// cut short, is not served: the include is made again, the same as a
// fresh one, and the entry rewritten.
func TestDamagedCacheEntry(t *testing.T) {
	py := fixturePython(t)
	fresh, err := Run(py, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, damage := range map[string]func([]byte) []byte{
		"corrupted": func(b []byte) []byte { return bytes.Replace(b, []byte("ANSWER"), []byte("ANSWEX"), 1) },
		"truncated": func(b []byte) []byte { return b[:len(b)*2/3] },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if r, err := Cached(dir, py, nil); err != nil || r.Cached || !bytes.Equal(r.Include, fresh.Include) {
				t.Fatalf("first run: %v", err)
			}
			f := entryFile(t, dir)
			b, _ := os.ReadFile(f)
			if !bytes.Contains(b, []byte("ANSWER")) {
				t.Fatal("the entry does not hold the include as text: the test cannot alter it")
			}
			os.WriteFile(f, damage(b), 0o644)
			r, err := Cached(dir, py, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Cached || !bytes.Equal(r.Include, fresh.Include) {
				t.Fatalf("a %s entry was served", name)
			}
			if r, err := Cached(dir, py, nil); err != nil || !r.Cached {
				t.Error("the entry was not rewritten")
			}
		})
	}
}

// TestConcurrentCachedRuns: runs that make the same entry at once all
// get the right include, and leave one intact entry.
func TestConcurrentCachedRuns(t *testing.T) {
	py := fixturePython(t)
	fresh, err := Run(py, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := Cached(dir, py, nil)
			if err != nil || !bytes.Equal(r.Include, fresh.Include) {
				errs <- "a run got a wrong include"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	entryFile(t, dir)
	r, err := Cached(dir, py, nil)
	if err != nil || !r.Cached || !bytes.Equal(r.Include, fresh.Include) {
		t.Errorf("after concurrent runs: err %v, cached %v", err, err == nil && r.Cached)
	}
}

// TestHeaderChangedUnderSameTimes: a header rewritten with the same size
// and its modification time put back still differs in identity (its change
// time moved), so it is read again and the include made anew.
func TestHeaderChangedUnderSameTimes(t *testing.T) {
	py := fixturePython(t)
	dir := t.TempDir()
	if _, err := Cached(dir, py, nil); err != nil {
		t.Fatal(err)
	}
	header := filepath.Join(py.IncludeDirs[0], "Python.h")
	st, _ := os.Stat(header)
	b, _ := os.ReadFile(header)
	os.WriteFile(header, bytes.Replace(b, []byte("ANSWER 42"), []byte("ANSWER 43"), 1), 0o644)
	os.Chtimes(header, st.ModTime(), st.ModTime())
	r, err := Cached(dir, py, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Cached || !bytes.Contains(r.Include, []byte("%define ANSWER 43")) {
		t.Errorf("a changed header was not read again (cached %v)", r.Cached)
	}
	if r, err := Cached(dir, py, nil); err != nil || !r.Cached {
		t.Errorf("an unchanged header was not served from the cache: %v", err)
	}
}

// TestIncludeOfAnotherEntry: an intact include entry that is not the one
// its entry was made with (another run's, a bad copy) is not served.
func TestIncludeOfAnotherEntry(t *testing.T) {
	py := fixturePython(t)
	dir := t.TempDir()
	fresh, err := Cached(dir, py, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSuffix(filepath.Base(entryFile(t, dir)), ".inc")
	cache.Dir(dir).Put(key+".inc", []byte("; python.inc for CPython 0.0.0, not this one\n"))
	r, err := Cached(dir, py, nil)
	if err != nil || r.Cached || !bytes.Equal(r.Include, fresh.Include) {
		t.Errorf("another include was served (cached %v, err %v)", err == nil && r.Cached, err)
	}
}
