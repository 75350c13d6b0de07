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

// skipUnlessImportable skips the test for a Python that cannot import the
// module (what names it): Python 2, or headers without an interpreter.
func skipUnlessImportable(t *testing.T, py *cparse.Python, what string) {
	t.Helper()
	if strings.HasPrefix(py.Version, "2.") {
		t.Skipf("Python %s: %s is a Python 3 module", py.Version, what)
	}
	if py.Interpreter == "" {
		t.Skipf("Python %s has headers but no interpreter to import with", py.Version)
	}
}

func TestRefext(t *testing.T) {
	src, _ := filepath.Abs("refext.asm")
	script, _ := filepath.Abs("test_refext.py")
	sawDebug := false
	saw := map[string]bool{}
	for _, py := range testutil.Pythons(t) {
		if strings.Contains(strings.Join(py.Defines, ","), "Py_DEBUG") {
			sawDebug = true
		}
		for _, d := range []string{"Py_GIL_DISABLED", "Py_TRACE_REFS"} {
			saw[d] = saw[d] || testutil.HasDefine(py, d)
		}
		t.Run(testutil.Name(py), func(t *testing.T) {
			skipUnlessImportable(t, py, "the reference extension")
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
	if !saw["Py_GIL_DISABLED"] {
		t.Run("free-threaded", func(t *testing.T) { testutil.SkipNoBuild(t, "3.13t", "refext on a free-threaded Python") })
	}
	if !saw["Py_TRACE_REFS"] {
		t.Run("trace-refs", func(t *testing.T) { testutil.SkipNoBuild(t, "3.11-trace", "refext on a trace-refs Python") })
	}
}

// abi3Builds are the limited APIs refext.abi3.so is built for: 3.6, the
// oldest refext supports (the module then asks the running Python whether
// it is older than 3.8, for Counter's dealloc); 3.8; and 3.12, the first
// whose headers have Py_mod_multiple_interpreters, so that the build
// declares support for interpreters with their own GIL.
var abi3Builds = []string{"3.6", "3.8", "3.12"}

// version returns the major and minor number of a version string.
func version(v string) (major, minor int) {
	fmt.Sscanf(v, "%d.%d", &major, &minor)
	return major, minor
}

// atLeast reports whether version v is limited ("3.8") or newer.
func atLeast(v, limited string) bool {
	major, minor := version(v)
	lmajor, lminor := version(limited)
	return major == lmajor && minor >= lminor
}

// TestRefextABI3 builds the extension once per limited API of abi3Builds,
// with the newest Python's headers, as refext.abi3.so, and runs the tests
// under every Python that limited API covers: those installed and those of
// the Debian unstable tree.
func TestRefextABI3(t *testing.T) {
	src, _ := filepath.Abs("refext.asm")
	script, _ := filepath.Abs("test_refext.py")
	var pys []*cparse.Python
	for _, py := range testutil.Pythons(t) {
		// abi3 is not for free-threaded builds (PEP 803's abi3t is), nor
		// for trace-refs builds before 3.13 (another PyObject).
		if py.Interpreter != "" && atLeast(py.Version, "3.6") && !testutil.HasDefine(py, "Py_GIL_DISABLED") &&
			!(testutil.HasDefine(py, "Py_TRACE_REFS") && !atLeast(py.Version, "3.13")) {
			pys = append(pys, py)
		}
	}
	if len(pys) == 0 {
		t.Skip("no Python 3.6 or newer with an interpreter is installed")
	}
	builder := pys[0] // Discover lists the newest first
	for _, limited := range abi3Builds {
		limited := limited
		t.Run("limited-"+limited, func(t *testing.T) {
			if !atLeast(builder.Version, limited) {
				t.Skipf("the newest Python installed, %s, has no limited API %s", builder.Version, limited)
			}
			dir := t.TempDir()
			testutil.BuildModule(t, builder, dir, src, "refext", ".abi3.so", "--limited-api", limited)
			inc, _ := os.ReadFile(filepath.Join(dir, "python.inc"))
			major, minor := version(limited)
			if want := fmt.Sprintf("Py_LIMITED_API=0x%02x%02x0000", major, minor); !strings.Contains(string(inc), want) {
				t.Fatalf("the include does not say it is for the limited API of %s (%s)", limited, want)
			}
			env := []string{"PYTHONPATH=" + dir, "REFEXT_LIMITED_API=" + limited}
			for _, py := range pys {
				if !atLeast(py.Version, limited) {
					continue
				}
				t.Run(testutil.Name(py), func(t *testing.T) {
					t.Parallel()
					// The .abi3.so must be what imports, then the usual tests run.
					out := testutil.Run(t, dir, env, py.Interpreter, "-c",
						"import refext; assert refext.__file__.endswith('.abi3.so'), refext.__file__; exec(open("+strconv.Quote(script)+").read())")
					if !strings.HasSuffix(out, "ok\n") {
						t.Fatalf("test_refext.py under %s with refext.abi3.so:\n%s", py.Interpreter, out)
					}
				})
			}
			t.Run("tree", func(t *testing.T) {
				root := testutil.Tree(t)
				for _, py := range testutil.TreePythons(t) {
					if !atLeast(py.Version, limited) {
						continue
					}
					t.Run(testutil.Name(py), func(t *testing.T) {
						in := copyIntoTree(t, root, filepath.Join(dir, "refext.abi3.so"), script)
						rel := strings.TrimPrefix(py.Interpreter, root)
						out := testutil.RunInTree(t, root, []string{"PYTHONPATH=" + in, "REFEXT_LIMITED_API=" + limited},
							rel, in+"/test_refext.py")
						if !strings.HasSuffix(out, "ok\n") {
							t.Fatalf("test_refext.py under %s in the tree with refext.abi3.so:\n%s", rel, out)
						}
					})
				}
			})
		})
	}
}

// copyIntoTree copies files into a new directory under the tree's /tmp,
// removed when the test ends, and returns its path inside the tree.
func copyIntoTree(t *testing.T, root string, files ...string) string {
	t.Helper()
	dir, err := os.MkdirTemp(filepath.Join(root, "tmp"), "refext-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return "/tmp/" + filepath.Base(dir)
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

// TestRefcountThreads builds rcthreads.asm for every Python 3 found and
// runs test_rcthreads.py: four threads incrementing and decrementing the
// same objects a million times leave every count as it was. On a
// free-threaded Python (3.13t, make pythons) the module runs without the
// GIL, so the include's biased counting races as the headers' does.
func TestRefcountThreads(t *testing.T) {
	src, _ := filepath.Abs("rcthreads.asm")
	script, _ := filepath.Abs("test_rcthreads.py")
	sawFT := false
	for _, py := range testutil.Pythons(t) {
		if testutil.HasDefine(py, "Py_GIL_DISABLED") && !py.IsDebug() {
			sawFT = true
		}
		t.Run(testutil.Name(py), func(t *testing.T) {
			skipUnlessImportable(t, py, "rcthreads")
			t.Parallel()
			dir := t.TempDir()
			testutil.BuildModule(t, py, dir, src, "rcthreads", py.ExtSuffix)
			inc, _ := os.ReadFile(filepath.Join(dir, "python.inc"))
			if testutil.HasDefine(py, "Py_GIL_DISABLED") && !py.IsDebug() && !strings.Contains(string(inc), "lock add qword") {
				t.Errorf("the free-threaded include's Py_INCREF is not inline")
			}
			out := testutil.Run(t, dir, []string{"PYTHONPATH=" + dir}, py.Interpreter, script)
			if !strings.HasSuffix(out, "ok\n") {
				t.Fatalf("test_rcthreads.py under %s:\n%s", py.Interpreter, out)
			}
		})
	}
	if !sawFT {
		t.Run("free-threaded", func(t *testing.T) {
			testutil.SkipNoBuild(t, "3.13t", "the free-threaded Py_INCREF and Py_DECREF under threads")
		})
	}
}

// TestRefextABI3T builds refext the abi3t way (pyinc build --limited-api
// 3.15 --abi3t, PEP 803) with the headers of the tree's 3.15: one module,
// refext.abi3t.so, in a cp315-abi3.abi3t wheel, for GIL and free-threaded
// 3.15+. It runs test_refext.py under each 3.15+ of the tree (release and
// debug: the GIL side; no free-threaded 3.15 can be built here), where
// 3.15 makes the module through PyModExport_refext, the only export; and
// pip installs the wheel into a venv of the tree's 3.15 and imports it.
func TestRefextABI3T(t *testing.T) {
	root := testutil.Tree(t)
	var builder *cparse.Python
	var runners []*cparse.Python
	for _, py := range testutil.TreePythons(t) {
		if atLeast(py.Version, "3.15") {
			runners = append(runners, py)
			if !py.IsDebug() && builder == nil {
				builder = py
			}
		}
	}
	if builder == nil {
		t.Skip("the tree has no release build of Python 3.15")
	}
	out, err := os.MkdirTemp(filepath.Join(root, "tmp"), "abi3t-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(out)
	whl := strings.TrimSpace(testutil.Run(t, "", nil, testutil.Pyinc(t), "build", ".", "--root", root, "--python", builder.Interpreter,
		"--limited-api", "3.15", "--abi3t", "-q", "-o", out))
	if !strings.HasPrefix(filepath.Base(whl), "refext-0.1.0-cp315-abi3.abi3t-") {
		t.Fatalf("wheel %s: want the tags cp315-abi3.abi3t (PEP 803)", filepath.Base(whl))
	}
	testutil.Run(t, out, nil, "unzip", "-q", whl, "refext.abi3t.so")
	script, _ := os.ReadFile("test_refext.py")
	os.WriteFile(filepath.Join(out, "test_refext.py"), script, 0o644)
	in := "/tmp/" + filepath.Base(out)
	env := []string{"PYTHONPATH=" + in, "REFEXT_LIMITED_API=3.15"}
	for _, py := range runners {
		t.Run(testutil.Name(py), func(t *testing.T) {
			rel := strings.TrimPrefix(py.Interpreter, root)
			got := testutil.RunInTree(t, root, env, rel, "-c",
				"import refext; assert refext.__file__.endswith('/refext.abi3t.so'), refext.__file__; "+
					"assert refext._export == 'PyModExport_refext', refext._export; exec(open('"+in+"/test_refext.py').read())")
			if !strings.HasSuffix(got, "ok\n") {
				t.Fatalf("test_refext.py under %s in the tree with refext.abi3t.so:\n%s", rel, got)
			}
		})
	}
	t.Run("pip", func(t *testing.T) {
		rel := strings.TrimPrefix(builder.Interpreter, root)
		testutil.RunInTree(t, root, nil, rel, "-m", "venv", in+"/venv")
		testutil.RunInTree(t, root, nil, in+"/venv/bin/python", "-m", "pip", "--disable-pip-version-check", "install", "--no-index",
			in+"/"+filepath.Base(whl))
		got := testutil.RunInTree(t, root, []string{"REFEXT_LIMITED_API=3.15"}, in+"/venv/bin/python", "-c",
			"import sys, refext; assert refext.__file__.startswith(sys.prefix), refext.__file__; exec(open('"+in+"/test_refext.py').read())")
		if !strings.HasSuffix(got, "ok\n") {
			t.Fatalf("test_refext.py with the abi3t wheel installed by pip:\n%s", got)
		}
	})
}
