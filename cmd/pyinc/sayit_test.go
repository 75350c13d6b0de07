package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

// TestSayitClient: a NASM module written in the hand-written-include style
// (testdata/sayit.asm) assembles against the generated include, links with
// cc -shared into a module without text relocations and with a
// non-executable stack, and imports and runs under every installed Python 3.
func TestSayitClient(t *testing.T) {
	src, err := filepath.Abs("testdata/sayit.asm")
	if err != nil {
		t.Fatal(err)
	}
	for _, py := range testutil.Pythons(t) {
		t.Run(testutil.Name(py), func(t *testing.T) {
			if strings.HasPrefix(py.Version, "2.") {
				t.Skipf("Python %s has no PyModule_Create2: the fixture is a Python 3 module", py.Version)
			}
			if py.Interpreter == "" {
				t.Skipf("Python %s has headers but no interpreter to import with", py.Version)
			}
			if testutil.HasDefine(py, "Py_GIL_DISABLED") {
				t.Skipf("Python %s is free-threaded: the fixture reads PyObject.ob_refcnt, which that build has not", py.Version)
			}
			t.Parallel()
			dir := t.TempDir()
			testutil.BuildModule(t, py, dir, src, "sayit", py.ExtSuffix)
			script := `
import io, sys, sayit
real = sys.stdout
for i in range(1000):
    sayit.sayit()
buf = io.StringIO()
sys.stdout = buf
r = sayit.sayit()
sys.stdout = real
assert r is None, r
assert buf.getvalue() == "Assembly is great fun! :)\n", repr(buf.getvalue())
assert sayit.count() == 0 and sayit.count(1, "a", None) == 3
assert sayit.refs(1) >= 1
assert sayit.__doc__ == "A module written in assembly."
print("ok")
`
			out := testutil.Run(t, dir, []string{"PYTHONPATH=" + dir}, py.Interpreter, "-c", script)
			if !strings.HasSuffix(out, "ok\n") {
				t.Fatalf("import and run under %s:\n%s", py.Interpreter, out)
			}
		})
	}
}
