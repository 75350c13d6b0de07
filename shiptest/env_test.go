package shiptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/testutil"
)

// A runner is one Python 3 interpreter the tests install wheels into: on
// the host, or inside the Debian unstable tree of make pythons, where its
// commands run under chroot and its files live below root.
type runner struct {
	py   *cparse.Python
	root string // the tree, "" on the host
}

// facts are what the interpreter says of itself: the tags pip must accept
// and the suffix its importer looks for. They come from the interpreter,
// not from pyinc, so that a wrong tag in a wheel is caught.
type facts struct {
	major, minor int
	interpTag    string // cp311
	abiTag       string // cp311d
	extSuffix    string // .cpython-311d-x86_64-linux-gnu.so
	pipMajor     int    // the pip its venv gets from ensurepip
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..")
}

// runners lists every Python 3 with an interpreter, host Pythons first,
// then those of the tree (when it is built and this is root, for chroot).
// Skipped Pythons are reported as skipped subtests of t.
func runners(t *testing.T) []runner {
	var out []runner
	for _, py := range testutil.AllPythons(t) {
		if py.Interpreter == "" || !strings.HasPrefix(py.Version, "3.") {
			continue
		}
		r := runner{py: py, root: py.Root}
		if r.root != "" && os.Geteuid() != 0 {
			t.Run(r.name(), func(t *testing.T) {
				t.Skip("running the tree's interpreters needs chroot, so root")
			})
			continue
		}
		out = append(out, r)
	}
	if _, err := os.Stat(filepath.Join(repoRoot(), ".cache", "sid", "usr", "bin", "python3.14")); err != nil {
		t.Run("tree", func(t *testing.T) {
			t.Skip("no Debian unstable tree with Python 3.14 and 3.15: run make pythons")
		})
	}
	return out
}

func (r runner) name() string { return testutil.Name(r.py) }

// python is the interpreter's path as the runner sees it.
func (r runner) python() string { return r.inside(r.py.Interpreter) }

// inside turns a host path below the tree into the path chroot sees.
func (r runner) inside(path string) string {
	if r.root == "" {
		return path
	}
	return "/" + strings.TrimPrefix(strings.TrimPrefix(path, r.root), "/")
}

// tempDir is a fresh directory the runner's commands can reach.
func (r runner) tempDir(t *testing.T) string {
	t.Helper()
	if r.root == "" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(filepath.Join(r.root, "tmp"), "shiptest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// run runs args (paths as the runner sees them) in dir (a host path) and
// fails the test if the command fails.
func (r runner) run(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	out, err := r.try(dir, env, args...)
	if err != nil {
		t.Fatalf("%s%s: %v\n%s", r.where(), strings.Join(args, " "), err, out)
	}
	return out
}

// try is run that returns the error instead of failing.
func (r runner) try(dir string, env []string, args ...string) (string, error) {
	var cmd *exec.Cmd
	if r.root == "" {
		cmd = exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
	} else {
		full := append([]string{r.root, "env", "-C", r.inside(dir)}, env...)
		cmd = exec.Command("chroot", append(full, args...)...)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r runner) where() string {
	if r.root == "" {
		return ""
	}
	return "(in the tree) "
}

const factsScript = `import sys, sysconfig
print("%d %d cp%d%d cp%d%d%s %s" % (sys.version_info[0], sys.version_info[1],
    sys.version_info[0], sys.version_info[1], sys.version_info[0], sys.version_info[1],
    sys.abiflags, sysconfig.get_config_var("EXT_SUFFIX")))`

// facts asks the interpreter for its tags and EXT_SUFFIX.
func (r runner) facts(t *testing.T, dir string) facts {
	t.Helper()
	var f facts
	out := r.run(t, dir, nil, r.python(), "-c", factsScript)
	if _, err := fmt.Sscan(out, &f.major, &f.minor, &f.interpTag, &f.abiTag, &f.extSuffix); err != nil {
		t.Fatalf("%s: unexpected answer %q: %v", r.python(), out, err)
	}
	return f
}

// venv makes a virtual environment in dir/venv with pip from ensurepip
// (offline by nature) and returns its python, as the runner sees it.
func (r runner) venv(t *testing.T, dir string, f *facts) string {
	t.Helper()
	env := filepath.Join(dir, "venv")
	if out, err := r.try(dir, nil, r.python(), "-m", "venv", r.inside(env)); err != nil {
		if strings.Contains(out, "ensurepip") {
			t.Skipf("%s has no ensurepip, so no venv with pip (Debian: python3-venv, installed by make deps / make pythons): %s",
				r.python(), strings.TrimSpace(out))
		}
		t.Fatalf("%s-m venv: %v\n%s", r.where(), err, out)
	}
	py := r.inside(filepath.Join(env, "bin", "python"))
	out := r.run(t, dir, nil, py, "-c", "import pip; print(pip.__version__)")
	if _, err := fmt.Sscanf(out, "%d", &f.pipMajor); err != nil || f.pipMajor == 0 {
		t.Fatalf("cannot read the venv's pip version from %q: %v", out, err)
	}
	return py
}

// pip runs the venv's pip; pip install runs offline: nothing may come
// from an index.
func (r runner) pip(t *testing.T, dir, venvPy string, env []string, args ...string) string {
	t.Helper()
	base := []string{venvPy, "-m", "pip", "--disable-pip-version-check", "--no-cache-dir"}
	if args[0] == "install" {
		args = append([]string{"install", "--no-index"}, args[1:]...)
	}
	return r.run(t, dir, env, append(base, args...)...)
}

// need skips the test when tool is not on PATH.
func need(t *testing.T, tool, why string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s is not installed (%s): run make deps", tool, why)
	}
	return path
}

// pyinc runs the pyinc built from this checkout and returns its stdout
// lines: the paths of the files it wrote.
func pyinc(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	return pyincEnv(t, dir, nil, args...)
}

// pyincEnv is pyinc with env added to the environment.
func pyincEnv(t *testing.T, dir string, env []string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(testutil.Pyinc(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyinc %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return strings.Fields(string(out))
}

// one is pyinc's single output path, failing the test on any other count.
func one(t *testing.T, paths []string) string {
	t.Helper()
	if len(paths) != 1 {
		t.Fatalf("pyinc wrote %d files, want 1: %v", len(paths), paths)
	}
	return paths[0]
}

// copyFile copies src to dst (mode 0644).
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMain(m *testing.M) { testutil.Main(m) }
