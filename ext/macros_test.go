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

// TestMacros builds macros.asm, which uses every accessor, bitfield and
// type-flag macro, for every Python 3 on the machine and runs
// test_macros.py under each.
func TestMacros(t *testing.T) {
	src, _ := filepath.Abs("macros.asm")
	script, _ := filepath.Abs("test_macros.py")
	for _, py := range testutil.Pythons(t) {
		t.Run(testutil.Name(py), func(t *testing.T) {
			skipUnlessImportable(t, py, "the macros module")
			t.Parallel()
			dir := t.TempDir()
			testutil.BuildModule(t, py, dir, src, "macros", py.ExtSuffix)
			// No warning either: a flag at bit 31 in a 64-bit test would
			// make NASM warn that it sign-extends the immediate.
			testutil.Run(t, dir, nil, "nasm", "-w+error", "-f", "elf64", "-I", dir+"/", "-o", "check.o", src)
			out := testutil.Run(t, dir, []string{"PYTHONPATH=" + dir}, py.Interpreter, script)
			checkOK(t, py.Interpreter, out)
		})
	}
}

// TestMacrosABI3 builds macros.abi3.so against the limited API of 3.6
// with the newest Python and runs it under every Python 3.6 and newer:
// Py_TYPE and Py_SIZE read the object, PY_JUMP_UNLESS_FLAG calls
// PyType_GetFlags, and the macros the limited API has no layout for are
// absent.
func TestMacrosABI3(t *testing.T) {
	src, _ := filepath.Abs("macros.asm")
	script, _ := filepath.Abs("test_macros.py")
	var runners []*cparse.Python
	for _, py := range testutil.Pythons(t) {
		var major, minor int
		fmt.Sscanf(py.Version, "%d.%d", &major, &minor)
		// abi3 is not for free-threaded builds (PEP 803's abi3t is), nor
		// for trace-refs builds before 3.13 (another PyObject).
		if py.Interpreter != "" && major == 3 && minor >= 6 && !testutil.HasDefine(py, "Py_GIL_DISABLED") &&
			!(testutil.HasDefine(py, "Py_TRACE_REFS") && minor < 13) {
			runners = append(runners, py)
		}
	}
	if len(runners) == 0 {
		t.Skip("no Python 3.6 or newer with an interpreter is installed")
	}
	dir := t.TempDir()
	testutil.BuildModule(t, runners[0], dir, src, "macros", ".abi3.so", "--limited-api", "3.6")
	inc, _ := os.ReadFile(filepath.Join(dir, "python.inc"))
	if !strings.Contains(string(inc), "PY_CALL PyType_GetFlags") {
		t.Errorf("the limited API's PY_JUMP_UNLESS_FLAG does not call PyType_GetFlags")
	}
	for _, py := range runners {
		t.Run(testutil.Name(py), func(t *testing.T) {
			t.Parallel()
			out := testutil.Run(t, dir, []string{"PYTHONPATH=" + dir}, py.Interpreter, "-c",
				"import sys, macros; assert macros.__file__.endswith('.abi3.so'), macros.__file__; "+
					"sys.argv = ['test_macros.py', 'limited']; exec(open("+strconv.Quote(script)+").read())")
			checkOK(t, py.Interpreter, out)
		})
	}
}

// TestMacrosInTree runs the module under the Pythons of the Debian
// unstable tree with chroot (3.14 moves str's state bitfields into a
// struct of their own), and, for each, an abi3 build against the limited
// API of that version: from 3.14 the headers' Py_TYPE, and from 3.15
// Py_SIZE, are calls of exported functions, and so are the macros.
func TestMacrosInTree(t *testing.T) {
	src, _ := filepath.Abs("macros.asm")
	script, _ := os.ReadFile("test_macros.py")
	root := testutil.Tree(t)
	for _, py := range testutil.TreePythons(t) {
		for _, limited := range []bool{false, true} {
			limited := limited
			name := testutil.Name(py)
			if limited {
				name += "-abi3"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dir, err := os.MkdirTemp(filepath.Join(root, "tmp"), "macros-")
				if err != nil {
					t.Fatal(err)
				}
				defer os.RemoveAll(dir)
				args := []string{}
				suffix := py.ExtSuffix
				if limited {
					var major, minor int
					fmt.Sscanf(py.Version, "%d.%d", &major, &minor)
					args = []string{"--limited-api", fmt.Sprintf("%d.%d", major, minor)}
					suffix = ".abi3.so"
				}
				testutil.BuildModule(t, py, dir, src, "macros", suffix, args...)
				testutil.Run(t, dir, nil, "nasm", "-w+error", "-f", "elf64", "-I", dir+"/", "-o", "check.o", src)
				if limited {
					inc, _ := os.ReadFile(filepath.Join(dir, "python.inc"))
					if !strings.Contains(string(inc), "call [rel Py_TYPE wrt ..gotpc]") {
						t.Errorf("the limited API of %s: Py_TYPE does not call the exported Py_TYPE", py.Version)
					}
				}
				os.WriteFile(filepath.Join(dir, "test_macros.py"), script, 0o644)
				in := "/tmp/" + filepath.Base(dir)
				rel := strings.TrimPrefix(py.Interpreter, root)
				cmd := []string{rel, in + "/test_macros.py"}
				if limited {
					cmd = append(cmd, "limited")
				}
				out := testutil.RunInTree(t, root, []string{"PYTHONPATH=" + in}, cmd...)
				checkOK(t, rel, out)
			})
		}
	}
}

func checkOK(t *testing.T, interp, out string) {
	t.Helper()
	if !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("test_macros.py under %s:\n%s", interp, out)
	}
}
