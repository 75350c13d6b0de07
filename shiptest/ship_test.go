package shiptest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

// demo is the module name of the project pyinc new scaffolds here.
const demo = "shipdemo"

// treeRoot is the Debian unstable tree of make pythons, "" when absent.
func treeRoot() string {
	root := filepath.Join(repoRoot(), ".cache", "sid")
	if _, err := os.Stat(filepath.Join(root, "usr", "bin", "python3.14")); err != nil {
		return ""
	}
	return root
}

var unsafeRE = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// TestShip is the matrix: for every Python 3 found, the wheels of a
// scaffolded project and of refext are built, checked, installed with pip
// (offline) into a fresh venv and imported from outside the project; the
// abi3 wheel is installed into the same venv under every 3.8+; and, where
// pip supports in-tree PEP 517 backends, pip install . builds the project
// through its backend. Then twine check --strict and auditwheel show judge
// every wheel built.
func TestShip(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	rs := runners(t)
	if len(rs) == 0 {
		t.Skip("no Python 3 with an interpreter is installed")
	}
	shared := t.TempDir() // wheels outlive the legs, for twine and auditwheel
	abi3 := buildABI3(t, rs, filepath.Join(shared, "abi3"))
	var mu sync.Mutex
	wheels := []string{abi3}
	t.Run("pythons", func(t *testing.T) {
		for _, r := range rs {
			t.Run(r.name(), func(t *testing.T) {
				t.Parallel() // at most GOMAXPROCS legs at once: -parallel
				out := filepath.Join(shared, unsafeRE.ReplaceAllString(r.name(), "_"))
				built := shipLeg(t, r, out, abi3)
				mu.Lock()
				wheels = append(wheels, built...)
				mu.Unlock()
			})
		}
	})
	t.Run("twine-check", func(t *testing.T) { twineCheck(t, wheels) })
	t.Run("auditwheel-show", func(t *testing.T) { auditwheel(t, treeRoot(), wheels) })
}

// buildABI3 builds refext once for the limited API of 3.8, with the
// headers of the newest host Python, and checks its name and contents.
func buildABI3(t *testing.T, rs []runner, out string) string {
	t.Helper()
	builder := rs[0] // newest first; host Pythons come before the tree's
	whl := one(t, pyinc(t, repoRoot(), "build", filepath.Join(repoRoot(), "ext"),
		"--python", builder.py.Interpreter, "--limited-api", "3.8", "-q", "-o", out))
	w := parseWheelName(t, whl)
	if strings.Join(w.pythons, ".") != "cp38" || strings.Join(w.abis, ".") != "abi3" {
		t.Fatalf("%s: want the tags cp38-abi3 for --limited-api 3.8", filepath.Base(whl))
	}
	members := checkWheel(t, whl)
	if mods := moduleFiles(members); !slices.Equal(mods, []string{"refext.abi3.so"}) {
		t.Fatalf("%s holds modules %v, want refext.abi3.so", filepath.Base(whl), mods)
	}
	return whl
}

// shipLeg builds, checks, installs and imports for one Python, and
// returns the wheels it built (in out).
func shipLeg(t *testing.T, r runner, out, abi3 string) []string {
	work := r.tempDir(t)
	f := r.facts(t, work)
	proj := filepath.Join(work, demo)
	pyinc(t, work, "new", demo, proj)
	demoWhl := one(t, pyinc(t, proj, "build", "--python", r.py.Interpreter, "-q", "-o", out))
	refWhl := one(t, pyinc(t, repoRoot(), "build", filepath.Join(repoRoot(), "ext"),
		"--python", r.py.Interpreter, "-q", "-o", out))
	checkTagged(t, demoWhl, demo, f)
	checkTagged(t, refWhl, "refext", f)

	venvPy := r.venv(t, work, &f)
	run := filepath.Join(work, "run") // outside both projects: only site-packages has the modules
	os.Mkdir(run, 0o755)
	copyFile(t, filepath.Join(proj, "test_"+demo+".py"), filepath.Join(run, "test_"+demo+".py"))
	copyFile(t, filepath.Join(repoRoot(), "ext", "test_refext.py"), filepath.Join(run, "test_refext.py"))
	wheels := filepath.Join(work, "wheels")
	os.Mkdir(wheels, 0o755)
	for _, w := range []string{demoWhl, refWhl, abi3} {
		copyFile(t, w, filepath.Join(wheels, filepath.Base(w)))
	}
	in := func(w string) string { return r.inside(filepath.Join(wheels, filepath.Base(w))) }

	// pip refusing the wheels' tags fails here.
	r.pip(t, work, venvPy, nil, "install", in(demoWhl), in(refWhl))
	importsInstalled(t, r, run, venvPy, f.extSuffix)

	t.Run("abi3", func(t *testing.T) {
		if f.major == 3 && f.minor < 8 {
			t.Skipf("Python %d.%d is older than the abi3 wheel's 3.8", f.major, f.minor)
		}
		if testutil.HasDefine(r.py, "Py_TRACE_REFS") && f.minor < 13 {
			// Its PyObject has two more pointers, which abi3 modules do not
			// know; pip cannot tell (the tags are a regular build's).
			t.Skipf("Python %d.%d with Py_TRACE_REFS: the stable ABI does not cover trace-refs builds before 3.13", f.major, f.minor)
		}
		if strings.Contains(strings.TrimLeft(f.abiTag, "cp0123456789"), "t") { // cp313t, cp313td
			// abi3 is not for free-threaded builds (PEP 803 adds abi3t
			// from 3.15): pip must refuse the wheel.
			out, err := r.try(work, nil, venvPy, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir",
				"install", "--no-index", "--no-deps", in(abi3))
			if err == nil || !strings.Contains(out, "not a supported wheel") {
				t.Fatalf("pip of free-threaded %s did not refuse the abi3 wheel (%v):\n%s", r.name(), err, out)
			}
			return
		}
		r.pip(t, work, venvPy, nil, "install", "--force-reinstall", "--no-deps", in(abi3))
		// test_refext.py checks the limited API's behaviour for this build.
		out := r.run(t, run, []string{"REFEXT_LIMITED_API=3.8"}, venvPy, "-c",
			"import refext; assert refext.__file__.endswith('/refext.abi3.so'), refext.__file__; exec(open('test_refext.py').read())")
		if !strings.HasSuffix(out, "ok\n") {
			t.Fatalf("test_refext.py with the abi3 wheel:\n%s", out)
		}
	})
	t.Run("pip-install-project", func(t *testing.T) {
		pipInstallProject(t, r, f, work, proj, venvPy, run)
	})
	return []string{demoWhl, refWhl}
}

// checkTagged checks a wheel built for one interpreter: the binary
// distribution format, tags that interpreter accepts, and the module named
// with the EXT_SUFFIX its importer looks for.
func checkTagged(t *testing.T, whl, module string, f facts) {
	t.Helper()
	w := parseWheelName(t, whl)
	if !slices.Contains(w.pythons, f.interpTag) || !slices.Contains(w.abis, f.abiTag) {
		t.Errorf("%s: tags %v, the interpreter is %s-%s", filepath.Base(whl), w.tags(), f.interpTag, f.abiTag)
	}
	members := checkWheel(t, whl)
	if mods := moduleFiles(members); !slices.Equal(mods, []string{module + f.extSuffix}) {
		t.Errorf("%s holds modules %v, want %s", filepath.Base(whl), mods, module+f.extSuffix)
	}
}

// importsInstalled runs both projects' tests in run, a directory holding
// neither module, and checks the modules came from the venv.
func importsInstalled(t *testing.T, r runner, run, venvPy, extSuffix string) {
	t.Helper()
	where := r.run(t, run, nil, venvPy, "-c",
		"import sys, refext, "+demo+"\nfor m in (refext, "+demo+"): assert m.__file__.startswith(sys.prefix) and m.__file__.endswith('"+extSuffix+"'), m.__file__\nprint('from venv')")
	if !strings.Contains(where, "from venv") {
		t.Fatalf("modules not imported from the venv:\n%s", where)
	}
	if out := r.run(t, run, nil, venvPy, "test_"+demo+".py"); !strings.Contains(out, "\nOK") {
		t.Fatalf("test_%s.py:\n%s", demo, out)
	}
	if out := r.run(t, run, nil, venvPy, "test_refext.py"); !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("test_refext.py:\n%s", out)
	}
}

// pipInstallProject runs pip install PROJECT with pip's default build
// isolation, offline: the scaffold's in-tree backend needs nothing from an
// index (not even setuptools or wheel), only pyinc ($PYINC).
func pipInstallProject(t *testing.T, r runner, f facts, work, proj, venvPy, run string) {
	if r.root != "" {
		t.Skip("the tree has no nasm and cc for the backend's pyinc to run")
	}
	if f.pipMajor < 20 {
		t.Skipf("pip %d from ensurepip predates in-tree PEP 517 backends (backend-path: pip 20)", f.pipMajor)
	}
	// --force-reinstall: the wheel-installed module is replaced by the one
	// pip builds (one pip run less than uninstalling first).
	out := r.pip(t, work, venvPy, []string{"PYINC=" + testutil.Pyinc(t)}, "install", "--force-reinstall", "--no-deps", proj)
	if strings.Contains(out, "setup.py") || strings.Contains(strings.ToLower(out), "setuptools") {
		t.Errorf("pip went through setuptools, not the in-tree backend:\n%s", out)
	}
	if out := r.run(t, run, nil, venvPy, "test_"+demo+".py"); !strings.Contains(out, "\nOK") {
		t.Fatalf("test_%s.py after pip install .:\n%s", demo, out)
	}
}
