package shiptest

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/testutil"
)

// hostRunner is the newest Python 3 on the host (tests that need one
// venv, not the matrix).
func hostRunner(t *testing.T) runner {
	t.Helper()
	testutil.NeedTools(t, "nasm", "cc")
	for _, py := range testutil.Pythons(t) {
		if py.Interpreter != "" && strings.HasPrefix(py.Version, "3.") && py.Root == "" {
			return runner{py: py}
		}
	}
	t.Skip("no Python 3 with an interpreter on the host")
	return runner{}
}

// TestSdist builds the scaffold's sdist, checks what it holds, unpacks it,
// builds a wheel from the unpacked tree and installs and runs that; pip
// also installs the sdist itself (building it through the in-tree backend)
// where its pip can.
func TestSdist(t *testing.T) {
	r := hostRunner(t)
	work := t.TempDir()
	proj := filepath.Join(work, demo)
	pyinc(t, work, "new", demo, proj)
	dist := filepath.Join(work, "dist")
	sd := one(t, pyinc(t, proj, "sdist", "-o", dist))
	if want := demo + "-0.1.0.tar.gz"; filepath.Base(sd) != want {
		t.Fatalf("sdist %s, want %s", filepath.Base(sd), want)
	}
	unpacked := unpackSdist(t, sd, filepath.Join(work, "unpacked"))
	for _, name := range []string{"PKG-INFO", "pyproject.toml", demo + ".asm", "README.md", "test_" + demo + ".py"} {
		if _, err := os.Stat(filepath.Join(unpacked, name)); err != nil {
			t.Errorf("the sdist lacks %s", name)
		}
	}
	pkgInfo, _ := os.ReadFile(filepath.Join(unpacked, "PKG-INFO"))
	if headerValue(string(pkgInfo), "Name") != demo || headerValue(string(pkgInfo), "Version") != "0.1.0" {
		t.Errorf("PKG-INFO does not name %s 0.1.0:\n%s", demo, pkgInfo)
	}
	whl := one(t, pyinc(t, unpacked, "build", "--python", r.py.Interpreter, "-q", "-o", filepath.Join(work, "wheel")))
	f := r.facts(t, work)
	checkTagged(t, whl, demo, f)
	venvPy := r.venv(t, work, &f)
	run := filepath.Join(work, "run")
	os.Mkdir(run, 0o755)
	copyFile(t, filepath.Join(unpacked, "test_"+demo+".py"), filepath.Join(run, "test_"+demo+".py"))
	r.pip(t, work, venvPy, nil, "install", whl)
	if out := r.run(t, run, nil, venvPy, "test_"+demo+".py"); !strings.Contains(out, "\nOK") {
		t.Fatalf("test_%s.py with the wheel built from the sdist:\n%s", demo, out)
	}
	t.Run("pip-install-sdist", func(t *testing.T) {
		if f.pipMajor < 20 {
			t.Skipf("pip %d predates in-tree PEP 517 backends", f.pipMajor)
		}
		r.pip(t, work, venvPy, nil, "uninstall", "-y", demo)
		r.pip(t, work, venvPy, []string{"PYINC=" + testutil.Pyinc(t)}, "install", sd)
		if out := r.run(t, run, nil, venvPy, "test_"+demo+".py"); !strings.Contains(out, "\nOK") {
			t.Fatalf("test_%s.py after pip install SDIST:\n%s", demo, out)
		}
	})
	t.Run("twine-check", func(t *testing.T) { twineCheck(t, []string{sd, whl}) })
}

// unpackSdist extracts an sdist into dir and returns its one top
// directory, which must be NAME-VERSION; members may not leave it.
func unpackSdist(t *testing.T, sd, dir string) string {
	t.Helper()
	top := strings.TrimSuffix(filepath.Base(sd), ".tar.gz")
	fh, err := os.Open(sd)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		t.Fatalf("%s: %v", sd, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", sd, err)
		}
		name := filepath.Clean(h.Name)
		if name != top && !strings.HasPrefix(name, top+"/") {
			t.Fatalf("%s: member %s is outside %s/", sd, h.Name, top)
		}
		dst := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(dst, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(dst), 0o755)
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, os.FileMode(h.Mode)&0o755|0o600); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: member %s is neither a file nor a directory", sd, h.Name)
		}
	}
	return filepath.Join(dir, top)
}

// TestReproducible builds the same project twice, and once more from a
// copy at another path with newer file times: the wheels must be byte
// for byte the same. With SOURCE_DATE_EPOCH every member carries that time.
func TestReproducible(t *testing.T) {
	r := hostRunner(t)
	work := t.TempDir()
	proj := filepath.Join(work, demo)
	pyinc(t, work, "new", demo, proj)
	if _, set := os.LookupEnv("SOURCE_DATE_EPOCH"); set {
		t.Setenv("SOURCE_DATE_EPOCH", "") // restored after the test
		os.Unsetenv("SOURCE_DATE_EPOCH")
	}
	build := func(dir, out string, env ...string) []byte {
		t.Helper()
		whl := one(t, pyincEnv(t, dir, env, "build", "--python", r.py.Interpreter, "-q", "-o", filepath.Join(work, out)))
		b, err := os.ReadFile(whl)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := build(proj, "a")
	if second := build(proj, "b"); !bytes.Equal(first, second) {
		t.Errorf("two builds of the same project differ (%d and %d bytes)", len(first), len(second))
	}
	moved := filepath.Join(work, "elsewhere", demo)
	copyTree(t, proj, moved)
	later := time.Now().Add(time.Hour)
	filepath.Walk(moved, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
	if third := build(moved, "c"); !bytes.Equal(first, third) {
		t.Errorf("the build of a copy at another path with newer file times differs from the original's")
	}
	const epoch = 1600000000 // 2020-09-13T12:26:40Z, an even second as zip needs
	b := build(proj, "d", "SOURCE_DATE_EPOCH=1600000000")
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if got := f.Modified.UTC(); !got.Equal(time.Unix(epoch, 0).UTC()) {
			t.Errorf("with SOURCE_DATE_EPOCH=%d, %s is dated %s", epoch, f.Name, got)
		}
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// scriptPython is the interpreter a script's #! line names: Debian's
// pyproject-build runs under the system python3, the one it builds for.
func scriptPython(t *testing.T, script string) *cparse.Python {
	t.Helper()
	fh, err := os.Open(script)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	line, _ := bufio.NewReader(fh).ReadString('\n')
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if !strings.HasPrefix(line, "#!") || len(fields) == 0 {
		t.Fatalf("%s has no #! line", script)
	}
	return &cparse.Python{Interpreter: fields[0], Version: "system", Source: "build"}
}

// TestPythonBuild runs Debian's python -m build (pyproject-build) with its
// default isolated build on a scaffolded project, offline: an sdist, and a
// wheel built from it, both passing the checks and the wheel working.
func TestPythonBuild(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	pb := need(t, "pyproject-build", "Debian: python3-build")
	r := runner{py: scriptPython(t, pb)}
	work := t.TempDir()
	proj := filepath.Join(work, demo)
	pyinc(t, work, "new", demo, proj)
	dist := filepath.Join(work, "dist")
	r.run(t, work, []string{"PYINC=" + testutil.Pyinc(t), "PIP_NO_INDEX=1"}, pb, "-o", dist, proj)
	sds, _ := filepath.Glob(filepath.Join(dist, "*.tar.gz"))
	whls, _ := filepath.Glob(filepath.Join(dist, "*.whl"))
	if len(sds) != 1 || len(whls) != 1 {
		t.Fatalf("python -m build wrote sdists %v and wheels %v, want one of each", sds, whls)
	}
	f := r.facts(t, work)
	checkTagged(t, whls[0], demo, f)
	venvPy := r.venv(t, work, &f)
	run := filepath.Join(work, "run")
	os.Mkdir(run, 0o755)
	copyFile(t, filepath.Join(proj, "test_"+demo+".py"), filepath.Join(run, "test_"+demo+".py"))
	r.pip(t, work, venvPy, nil, "install", whls[0])
	if out := r.run(t, run, nil, venvPy, "test_"+demo+".py"); !strings.Contains(out, "\nOK") {
		t.Fatalf("test_%s.py with the wheel python -m build made:\n%s", demo, out)
	}
	t.Run("twine-check", func(t *testing.T) { twineCheck(t, []string{sds[0], whls[0]}) })
}
