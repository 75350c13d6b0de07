// Package ext holds the reference extension; its test builds it for every
// Python on the machine and runs test_refext.py under each.
package ext

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

func TestRefext(t *testing.T) {
	src, _ := filepath.Abs("refext.asm")
	script, _ := filepath.Abs("test_refext.py")
	sawDebug := false
	for _, py := range testutil.Pythons(t) {
		py := py
		if strings.Contains(strings.Join(py.Defines, ","), "Py_DEBUG") {
			sawDebug = true
		}
		t.Run(testutil.Name(py), func(t *testing.T) {
			if strings.HasPrefix(py.Version, "2.") {
				t.Skipf("Python %s: the reference extension is a Python 3 module", py.Version)
			}
			if py.Interpreter == "" {
				t.Skipf("Python %s has headers but no interpreter to import with", py.Version)
			}
			t.Parallel()
			dir := t.TempDir()
			testutil.BuildModule(t, py, dir, src, "refext")
			inc, _ := os.ReadFile(filepath.Join(dir, "python.inc"))
			debug := strings.Contains(strings.Join(py.Defines, ","), "Py_DEBUG")
			if calls := strings.Contains(string(inc), "; Scheme: Py_REF_DEBUG is defined"); calls != debug {
				t.Errorf("refcount macros: call variant %v for a build with defines %v", calls, py.Defines)
			}
			out := testutil.Run(t, dir, []string{"PYTHONPATH=" + dir}, py.Interpreter, script)
			if !strings.HasSuffix(out, "ok\n") {
				t.Fatalf("test_refext.py under %s:\n%s", py.Interpreter, out)
			}
		})
	}
	if !sawDebug {
		t.Run("debug-build", func(t *testing.T) {
			t.Skip("no debug build of Python installed (Debian: python3.11-dbg, installed by make deps): debug refcounting not tested")
		})
	}
}
