// Package ext holds the reference extension; its test builds it for every
// Python on the machine and runs test_refext.py under each.
package ext

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
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
			testutil.BuildModule(t, py, dir, src, "refext", py.ExtSuffix)
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

// TestRefextABI3 builds the extension once against the limited API of 3.6,
// with the newest Python's headers, as refext.abi3.so, and runs the tests
// under every Python 3.6 and newer.
func TestRefextABI3(t *testing.T) {
	src, _ := filepath.Abs("refext.asm")
	script, _ := filepath.Abs("test_refext.py")
	var runners []*cparse.Python
	for _, py := range testutil.Pythons(t) {
		var major, minor int
		fmt.Sscanf(py.Version, "%d.%d", &major, &minor)
		if py.Interpreter != "" && major == 3 && minor >= 6 {
			runners = append(runners, py)
		}
	}
	if len(runners) == 0 {
		t.Skip("no Python 3.6 or newer with an interpreter is installed")
	}
	builder := runners[0] // Discover lists the newest first
	dir := t.TempDir()
	testutil.BuildModule(t, builder, dir, src, "refext", ".abi3.so", "--limited-api", "3.6")
	inc, _ := os.ReadFile(filepath.Join(dir, "python.inc"))
	if !strings.Contains(string(inc), "Py_LIMITED_API=0x03060000") {
		t.Fatalf("the include does not say it is for the limited API of 3.6")
	}
	for _, py := range runners {
		py := py
		t.Run(testutil.Name(py), func(t *testing.T) {
			t.Parallel()
			// The .abi3.so must be what imports, then the usual tests run.
			out := testutil.Run(t, dir, []string{"PYTHONPATH=" + dir}, py.Interpreter, "-c",
				"import refext; assert refext.__file__.endswith('.abi3.so'), refext.__file__; exec(open("+strconv.Quote(script)+").read())")
			if !strings.HasSuffix(out, "ok\n") {
				t.Fatalf("test_refext.py under %s with refext.abi3.so:\n%s", py.Interpreter, out)
			}
		})
	}
}

// TestRefextInTree builds the extension on the host for each Python of the
// Debian unstable tree (make pythons) and runs its tests inside the tree
// with chroot: the tree's glibc also refuses a module whose stack is
// executable.
func TestRefextInTree(t *testing.T) {
	src, _ := filepath.Abs("refext.asm")
	script, _ := os.ReadFile("test_refext.py")
	root := testutil.Tree(t)
	for _, py := range testutil.TreePythons(t) {
		py := py
		t.Run(testutil.Name(py), func(t *testing.T) {
			t.Parallel()
			dir, err := os.MkdirTemp(filepath.Join(root, "tmp"), "refext-")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			testutil.BuildModule(t, py, dir, src, "refext", py.ExtSuffix)
			os.WriteFile(filepath.Join(dir, "test_refext.py"), script, 0o644)
			in := "/tmp/" + filepath.Base(dir)
			rel := strings.TrimPrefix(py.Interpreter, root)
			out := testutil.RunInTree(t, root, []string{"PYTHONPATH=" + in}, rel, in+"/test_refext.py")
			if !strings.HasSuffix(out, "ok\n") {
				t.Fatalf("test_refext.py under %s in the tree:\n%s", rel, out)
			}
		})
	}
}
