package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCache: a second run on unchanged headers comes from the cache with
// the same bytes; a changed header is parsed again; --no-cache parses.
func TestCache(t *testing.T) {
	t.Setenv("PYINC_CACHE_DIR", t.TempDir())
	dir := headerDir(t, "typedef struct S { int a; long b; } S;\n#define ANSWER 42\n")
	out := filepath.Join(t.TempDir(), "python.inc")
	gen := func(extra ...string) (string, string) {
		t.Helper()
		_, stderr, code := pyinc(t, append([]string{"gen", "--include-dir", dir, "-o", out}, extra...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, _ := os.ReadFile(out)
		return string(b), stderr
	}
	first, e1 := gen()
	second, e2 := gen()
	if strings.Contains(e1, "(cached)") || !strings.Contains(e2, "(cached)") {
		t.Errorf("first run %q, second run %q: want a parse, then the cache", e1, e2)
	}
	if first != second {
		t.Errorf("the cached include differs from the generated one")
	}
	if _, e := gen("--no-cache"); strings.Contains(e, "(cached)") {
		t.Errorf("--no-cache used the cache")
	}
	os.WriteFile(filepath.Join(dir, "Python.h"), []byte("typedef struct S { int a; long b; } S;\n#define ANSWER 43\n"), 0o644)
	third, e3 := gen()
	if strings.Contains(e3, "(cached)") || !strings.Contains(third, "%define ANSWER 43") {
		t.Errorf("a changed header was not parsed again: %q", e3)
	}
}

// TestGenAll: every Python found, in one run, into a directory.
func TestGenAll(t *testing.T) {
	all := pythons(t)
	dir := t.TempDir()
	_, stderr, code := pyinc(t, "gen", "--all", "-o", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "python*.inc"))
	if len(files) != len(all) {
		t.Errorf("%d includes for %d Pythons: %v", len(files), len(all), files)
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); !strings.HasSuffix(string(b), "%endif ; PYINC_PYTHON_INC\n") {
			t.Errorf("%s is not a whole include", f)
		}
	}
	_, stderr, code = pyinc(t, "gen", "--all", "-o", filepath.Join(dir, "missing"))
	checkError(t, stderr, code, "is not one")
	// A name ending in / is made.
	made := filepath.Join(dir, "made") + "/"
	if _, stderr, code := pyinc(t, "gen", "--all", "-q", "-o", made); code != 0 {
		t.Fatalf("--all -o NEWDIR/: exit %d: %s", code, stderr)
	}
	if again, _ := filepath.Glob(filepath.Join(made, "python*.inc")); len(again) != len(all) {
		t.Errorf("%d includes in %s for %d Pythons", len(again), made, len(all))
	}
}
