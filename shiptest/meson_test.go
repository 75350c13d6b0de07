package shiptest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

// TestMesonPython builds examples/meson-python the way a meson project
// does, with Debian's meson, meson-python and build for the system
// python3 (python -m build --no-isolation), where meson's custom_target
// runs pyinc gen for that interpreter; the wheel passes the same checks as
// pyinc's own, installs into a venv and its test passes.
func TestMesonPython(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	need(t, "meson", "Debian: meson")
	need(t, "ninja", "Debian: ninja-build, which meson depends on")
	pb := need(t, "pyproject-build", "Debian: python3-build")
	r := runner{py: scriptPython(t, pb)}
	work := t.TempDir()
	if out, err := r.try(work, nil, r.python(), "-c", "import mesonpy"); err != nil {
		t.Skipf("%s cannot import mesonpy (Debian: python3-mesonpy): run make deps\n%s", r.python(), out)
	}
	src := filepath.Join(work, "src") // meson-python writes its build directory into the source tree
	copyTree(t, filepath.Join(repoRoot(), "examples", "meson-python"), src)
	dist := filepath.Join(work, "dist")
	path := "PATH=" + filepath.Dir(testutil.Pyinc(t)) + string(os.PathListSeparator) + os.Getenv("PATH")
	r.run(t, src, []string{path}, r.python(), "-m", "build", "--no-isolation", "--wheel", "-o", dist, ".")
	whls, _ := filepath.Glob(filepath.Join(dist, "*.whl"))
	if len(whls) != 1 {
		t.Fatalf("python -m build wrote wheels %v, want one", whls)
	}
	f := r.facts(t, work)
	checkTagged(t, whls[0], "asmsum", f)
	venvPy := r.venv(t, work, &f)
	run := filepath.Join(work, "run")
	os.Mkdir(run, 0o755)
	copyFile(t, filepath.Join(src, "test_asmsum.py"), filepath.Join(run, "test_asmsum.py"))
	r.pip(t, work, venvPy, nil, "install", whls[0])
	if out := r.run(t, run, nil, venvPy, "test_asmsum.py"); !strings.HasSuffix(out, "ok\n") {
		t.Fatalf("test_asmsum.py:\n%s", out)
	}
}
