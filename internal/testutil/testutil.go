// Package testutil holds what pyinc's tests share: the built pyinc binary,
// the Pythons to test against, and running commands.
package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pyinc/pyinc/cparse"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Pyinc returns the path of a pyinc binary built from this checkout.
func Pyinc(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pyinc-bin")
		if err != nil {
			buildErr = err
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		binPath = filepath.Join(dir, "pyinc")
		cmd := exec.Command("go", "build", "-buildvcs=auto", "-o", binPath, "./cmd/pyinc")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("building pyinc: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// RemovePyinc removes the binary Pyinc built, if any: call it from a
// package's TestMain after m.Run, so that test runs leave nothing in the
// temporary directory.
func RemovePyinc() {
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
}

// Main runs a package's tests and then RemovePyinc: TestMain for packages
// that need nothing else.
func Main(m *testing.M) {
	code := m.Run()
	RemovePyinc()
	os.Exit(code)
}

// Pythons lists the Pythons found on this machine; none skips the test,
// and so does -short: the fast tier runs no interpreter.
func Pythons(t testing.TB) []*cparse.Python {
	if testing.Short() {
		t.Skip("-short: the fast tier uses no installed Python")
	}
	all := cparse.Discover()
	if len(all) == 0 {
		t.Skip("no Python with headers is installed")
	}
	return all
}

// Name is a test name for py: version, source and interpreter or headers.
func Name(py *cparse.Python) string {
	if py.Interpreter != "" {
		return py.Version + "-" + py.Source + "-" + filepath.Base(py.Interpreter)
	}
	return py.Version + "-headers-" + filepath.Base(py.IncludeDirs[0])
}

// NeedTools fails the test when a tool is missing, pointing at make deps.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		// The fast tier (-short) needs gcc at most: what assembles,
		// links or runs a module belongs to the full suite.
		if testing.Short() && tool != "gcc" {
			t.Skipf("-short: %s is not used in the fast tier", tool)
		}
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps", tool)
		}
	}
}

// Run runs a command in dir and fails the test if it fails.
func Run(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// BuildModule generates the include for py with pyinc (extra flags in
// genArgs), assembles src against it and links name+suffix in dir. It
// checks the module has no text relocations and a non-executable stack.
func BuildModule(t testing.TB, py *cparse.Python, dir, src, name, suffix string, genArgs ...string) string {
	t.Helper()
	NeedTools(t, "nasm", "cc", "readelf")
	args := append([]string{"gen", "-q", "--python", py.Interpreter, "-o", "python.inc"}, genArgs...)
	Run(t, dir, nil, Pyinc(t), args...)
	Run(t, dir, nil, "nasm", "-f", "elf64", "-I", dir+"/", "-o", name+".o", src)
	so := name + suffix
	Run(t, dir, nil, "cc", "-shared", "-o", so, name+".o")
	if strings.Contains(Run(t, dir, nil, "readelf", "-d", so), "TEXTREL") {
		t.Errorf("%s has text relocations", so)
	}
	for _, line := range strings.Split(Run(t, dir, nil, "readelf", "-lW", so), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "GNU_STACK" && f[len(f)-2] != "RW" {
			t.Errorf("%s: stack is not RW: %s", so, line)
		}
	}
	return filepath.Join(dir, so)
}

// repoRoot is the checkout's top directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Tree returns the Debian unstable tree make pythons builds, or skips the
// test with what make pythons said.
func Tree(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the fast tier uses no Debian tree")
	}
	root := filepath.Join(repoRoot(), ".cache", "sid")
	if _, err := os.Stat(filepath.Join(root, "usr", "bin", "python3.14")); err == nil {
		return root
	}
	why := "the tree is not built: run make pythons"
	if b, err := os.ReadFile(filepath.Join(repoRoot(), ".cache", "pythons.status")); err == nil {
		why = strings.TrimSpace(string(b))
	}
	t.Skipf("no Debian unstable tree with Python 3.14 and 3.15: %s", why)
	return ""
}

// TreePythons lists the tree's Pythons, skipping the test when there is no
// tree.
func TreePythons(t testing.TB) []*cparse.Python {
	t.Helper()
	all := cparse.DiscoverRoot(Tree(t))
	if len(all) == 0 {
		t.Skip("the tree has no Python with headers")
	}
	return all
}

// RunInTree runs a command inside the tree with chroot (root only).
func RunInTree(t testing.TB, root string, env []string, args ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running the tree's interpreters needs chroot, so root")
	}
	full := append([]string{root, "env"}, env...)
	return Run(t, "", nil, "chroot", append(full, args...)...)
}

// AllPythons is Pythons plus those of the tree, when make pythons built it.
func AllPythons(t testing.TB) []*cparse.Python {
	Pythons(t) // skips the test when there is none
	var roots []string
	if root := filepath.Join(repoRoot(), ".cache", "sid"); dirExists(filepath.Join(root, "usr", "bin")) {
		roots = append(roots, root)
	}
	return cparse.DiscoverWith(roots)
}

func dirExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// SourceTrees lists the directories holding CPython source trees
// (Python-X.Y.Z), which make pythons fetches into .cache/src; none when
// they are not there.
func SourceTrees() []string {
	if d := filepath.Join(repoRoot(), ".cache", "src"); dirExists(d) {
		return []string{d}
	}
	return nil
}
