package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyinc/pyinc/internal/testutil"
)

// scaffold makes a project with pyinc new in a temporary directory.
func scaffold(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if _, stderr, code := pyinc(t, "new", name, dir); code != 0 {
		t.Fatalf("pyinc new: exit %d: %s", code, stderr)
	}
	return dir
}

// python3 is the interpreter the python3 on PATH runs (which build uses
// by default), by its real path: pyenv's shim needs PATH to run.
func python3(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Skip("no python3 on PATH")
	}
	return strings.TrimSpace(string(out))
}

// treeState is every path below dir with a hash of its content, to see
// that a refused build left it as it was.
func treeState(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			lines = append(lines, rel+"/")
			return nil
		}
		b, _ := os.ReadFile(p)
		lines = append(lines, fmt.Sprintf("%s %x", rel, sha256.Sum256(b)))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestBuildBadInput: every bad input is one line on stderr, exit 2, and
// the project (its dist/ with an earlier wheel in it) as it was.
func TestBuildBadInput(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	py := python3(t)
	empty := t.TempDir()
	cases := []struct {
		name   string
		edit   func(dir string) // breaks the project
		args   []string
		env    []string
		stderr string
	}{
		{"no pyproject", func(d string) { os.Remove(filepath.Join(d, "pyproject.toml")) }, nil, nil, "no pyproject.toml"},
		{"no project table", replace("[project]", "[other]"), nil, nil, "no [project] table"},
		{"no name", replace(`name = "m"`+"\n"+`version`, "version"), nil, nil, "has no name"},
		{"bad name", replace(`name = "m"`+"\n"+`version`, `name = "m m"`+"\n"+`version`), nil, nil, "not a valid distribution name"},
		{"no version", replace(`version = "0.1.0"`, ""), nil, nil, "has no version"},
		{"bad version", replace(`version = "0.1.0"`, `version = "0.1.0-final-x"`), nil, nil, "PEP 440"},
		{"module not identifier", replace(`name = "m"`+"\n"+`sources`, `name = "m-x"`+"\n"+`sources`), nil, nil, "not a Python identifier"},
		{"assembly error", appendTo("m.asm", "    bogus rax, 1\n"), nil, nil, "m.asm:"},
		{"no PyInit", replace2("m.asm", "PyInit_m", "PyInit_other"), nil, nil, "no PyInit_m"},
		{"own python.inc", writeFile("python.inc", "%define PY_VERSION_HEX 0x03060000\n"), nil, nil, "python.inc in the project is a hand-written include"},
		{"python not there", nil, []string{"--python", "3.99"}, nil, "no Python 3.99"},
		{"python path not there", nil, []string{"--python", "/nonexistent/python3"}, nil, "does not exist"},
		{"outdir is a file", nil, []string{"-o", "pyproject.toml"}, nil, "not a directory"},
		{"bad SOURCE_DATE_EPOCH", nil, nil, []string{"SOURCE_DATE_EPOCH=soon"}, "SOURCE_DATE_EPOCH"},
		{"nasm missing", nil, []string{"--python", py}, []string{"PATH=" + empty}, "nasm is not installed"},
		{"limited API too new", nil, []string{"--limited-api", "3.99"}, nil, "--limited-api"},
		{"inplace and output", nil, []string{"--inplace", "-o", "x"}, nil, "--inplace and -o"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := scaffold(t, "m")
			os.Mkdir(filepath.Join(dir, "dist"), 0o755)
			os.WriteFile(filepath.Join(dir, "dist", "earlier.whl"), []byte("an earlier wheel"), 0o644)
			if c.edit != nil {
				c.edit(dir)
			}
			before := treeState(t, dir)
			cmd := exec.Command(testutil.Pyinc(t), append([]string{"build"}, c.args...)...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), c.env...)
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			msg := e.String()
			if code != 2 || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, c.stderr) || o.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line saying %q", code, o.String(), msg, c.stderr)
			}
			if after := treeState(t, dir); after != before {
				t.Errorf("the project changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func replace(from, to string) func(string) { return replace2("pyproject.toml", from, to) }

func replace2(file, from, to string) func(string) {
	return func(dir string) {
		p := filepath.Join(dir, file)
		b, _ := os.ReadFile(p)
		if !bytes.Contains(b, []byte(from)) {
			panic(fmt.Sprintf("%s has no %q", file, from))
		}
		os.WriteFile(p, bytes.ReplaceAll(b, []byte(from), []byte(to)), 0o644)
	}
}

func writeFile(file, text string) func(string) {
	return func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			panic(err)
		}
	}
}

func appendTo(file, text string) func(string) {
	return func(dir string) {
		f, _ := os.OpenFile(filepath.Join(dir, file), os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(text)
		f.Close()
	}
}

func TestNewBadInput(t *testing.T) {
	parent := t.TempDir()
	os.WriteFile(filepath.Join(parent, "file"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(parent, "full"), 0o755)
	os.WriteFile(filepath.Join(parent, "full", "x"), []byte("x"), 0o644)
	before := treeState(t, parent)
	for _, args := range [][]string{
		{"new", "1abc", filepath.Join(parent, "a")},
		{"new", "fast-math", filepath.Join(parent, "b")},
		{"new", "import", filepath.Join(parent, "c")},
		{"new", "ok", filepath.Join(parent, "full")},
		{"new", "ok", filepath.Join(parent, "file")},
		{"new"},
	} {
		_, stderr, code := pyinc(t, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("pyinc %s: exit %d, stderr %q; want exit 2 and one line", strings.Join(args, " "), code, stderr)
		}
	}
	if after := treeState(t, parent); after != before {
		t.Errorf("refused pyinc new changed %s:\n%s", parent, after)
	}
}

// TestBuildScaffold: a new project builds in place and as a wheel for the
// python3 on PATH; the wheel installs offline into a venv and imports
// from outside the project; two builds are byte-identical, and so are two
// sdists; the sdist unpacked builds the same wheel.
func TestBuildScaffold(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	py := python3(t)
	dir := scaffold(t, "fastmath")
	stdout, stderr, code := pyincIn(t, dir, "build", "--inplace", "-q")
	if code != 0 || !strings.HasPrefix(stdout, "fastmath.") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("build --inplace: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	testutil.Run(t, dir, nil, py, "test_fastmath.py")

	w1, w2 := t.TempDir(), t.TempDir()
	stdout, stderr, code = pyincIn(t, dir, "build", "-o", w1)
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	wheel := strings.TrimSpace(stdout)
	if strings.Contains(wheel, "\n") || filepath.Dir(wheel) != w1 || !strings.HasSuffix(wheel, ".whl") {
		t.Fatalf("build printed %q, want one wheel path in %s", stdout, w1)
	}
	if !strings.Contains(filepath.Base(wheel), "-manylinux_2_5_x86_64.manylinux1_x86_64.whl") {
		t.Errorf("wheel %s: the module needs nothing past glibc 2.5, want manylinux_2_5", filepath.Base(wheel))
	}
	stdout, _, _ = pyincIn(t, dir, "build", "-q", "-o", w2)
	if a, b := read(t, wheel), read(t, strings.TrimSpace(stdout)); !bytes.Equal(a, b) {
		t.Errorf("two builds of the same project differ")
	}

	venv := filepath.Join(t.TempDir(), "venv")
	testutil.Run(t, "", nil, py, "-m", "venv", venv)
	vpy := filepath.Join(venv, "bin", "python")
	testutil.Run(t, "", nil, vpy, "-m", "pip", "install", "--no-index", "--disable-pip-version-check", "-q", wheel)
	out := testutil.Run(t, t.TempDir(), nil, vpy, "-c", "import fastmath, os; print(fastmath.add(2, 3), os.path.dirname(fastmath.__file__) != os.getcwd())")
	if strings.TrimSpace(out) != "5 True" {
		t.Errorf("the installed module: %q", out)
	}
	testutil.Run(t, t.TempDir(), nil, vpy, filepath.Join(dir, "test_fastmath.py"))

	s1, _, code := pyincIn(t, dir, "sdist", "-q", "-o", w1)
	s2, _, _ := pyincIn(t, dir, "sdist", "-q", "-o", w2)
	if code != 0 || !bytes.Equal(read(t, strings.TrimSpace(s1)), read(t, strings.TrimSpace(s2))) {
		t.Fatalf("sdist: exit %d, or two sdists differ", code)
	}
	unpacked := t.TempDir()
	testutil.Run(t, unpacked, nil, "tar", "xzf", strings.TrimSpace(s1))
	stdout, stderr, code = pyincIn(t, filepath.Join(unpacked, "fastmath-0.1.0"), "build", "-q", "-o", t.TempDir())
	if code != 0 || !bytes.Equal(read(t, strings.TrimSpace(stdout)), read(t, wheel)) {
		t.Errorf("the wheel built from the sdist differs from the project's (exit %d: %s)", code, stderr)
	}
}

// TestBuildPassesOnNasmWarnings: nasm's warnings reach stderr once, even
// when the build is for several Pythons, and the build goes on.
func TestBuildPassesOnNasmWarnings(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	var args []string
	for _, py := range testutil.Pythons(t) {
		if py.Interpreter != "" && strings.HasPrefix(py.Version, "3.") && len(args) < 4 {
			args = append(args, "--python", py.Interpreter)
		}
	}
	if len(args) < 4 {
		t.Skip("fewer than two Python 3 interpreters are installed")
	}
	dir := scaffold(t, "warns")
	src := filepath.Join(dir, "warns.asm")
	text := strings.Replace(string(read(t, src)), "section .data\n", "section .data\n    db 300\n", 1)
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(text[:strings.Index(text, "db 300")], "\n") + 1
	stdout, stderr, code := pyincIn(t, dir, append([]string{"build", "--inplace", "-q"}, args...)...)
	want := fmt.Sprintf("pyinc build: warning: warns.asm:%d: byte data exceeds bounds [-w+number-overflow]\n", line)
	if code != 0 || strings.Count(stdout, "\n") != 2 || stderr != want {
		t.Errorf("build: exit %d, stdout %q, stderr %q; want stderr %q", code, stdout, stderr, want)
	}
}

// TestDevelop installs the project into a venv with pyinc develop.
func TestDevelop(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	py := python3(t)
	dir := scaffold(t, "devmod")
	venv := filepath.Join(t.TempDir(), "venv")
	testutil.Run(t, "", nil, py, "-m", "venv", venv)
	vpy := filepath.Join(venv, "bin", "python")
	stdout, stderr, code := pyincIn(t, dir, "develop", "-q", "--python", vpy)
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(stdout), ".whl") {
		t.Fatalf("develop: exit %d, stdout %q: %s", code, stdout, stderr)
	}
	if out := testutil.Run(t, t.TempDir(), nil, vpy, "-c", "import devmod; print(devmod.add(40, 2))"); strings.TrimSpace(out) != "42" {
		t.Errorf("devmod.add(40, 2) = %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
		t.Errorf("develop wrote dist/")
	}
}

// TestBuildInterrupted: SIGINT or SIGHUP mid-build ends pyinc with dist/
// as it was and no temporary directory left.
func TestBuildInterrupted(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	python3(t)
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGHUP, 129}} {
		t.Run(c.sig.String(), func(t *testing.T) { buildInterrupted(t, c.sig, c.code) })
	}
}

func buildInterrupted(t *testing.T, sig syscall.Signal, want int) {
	dir := scaffold(t, "m")
	before := treeState(t, dir)
	handled := 0
	// Signals at several moments: parsing the headers, assembling,
	// linking, packing. A run that finished first must be whole.
	for _, delay := range []time.Duration{100, 250, 400, 600, 900} {
		tmp := t.TempDir()
		cmd := exec.Command(testutil.Pyinc(t), "build", "--no-cache")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		var e bytes.Buffer
		cmd.Stderr = &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		if err == nil {
			os.RemoveAll(filepath.Join(dir, "dist")) // finished first: start again
			continue
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != want || !strings.Contains(e.String(), "interrupted") {
			t.Errorf("%v after %v: %v, stderr %q: want exit %d and pyinc's interrupt message", sig, delay*time.Millisecond, err, e.String(), want)
			continue
		}
		handled++
		if after := treeState(t, dir); after != before {
			t.Errorf("the interrupted build changed the project:\n%s", after)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("left in TMPDIR: %v", left)
		}
	}
	if handled == 0 {
		t.Errorf("every build finished before its signal: the interrupt went untested")
	}
}

func pyincIn(t *testing.T, dir string, args ...string) (string, string, int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(testutil.Pyinc(t), args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBuildExplainsNasmErrors: a failing build shows every message nasm
// gave (the warning that explains the error first), once across Pythons;
// a macro the include leaves out is named, with the include's reason, at
// the source's line.
func TestBuildExplainsNasmErrors(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	var args []string
	for _, py := range testutil.Pythons(t) {
		// Regular builds: the last one also builds for the limited API.
		if py.Interpreter != "" && len(py.Defines) == 0 && (py.Version >= "3.8" && py.Version < "3.9" || py.Version >= "3.12" && py.Version < "3.14") {
			args = append(args, "--python", py.Interpreter)
		}
	}
	if len(args) < 4 {
		t.Skip("want two Pythons of 3.8, 3.12 and 3.13 with interpreters")
	}
	dir := scaffold(t, "explain")
	src := filepath.Join(dir, "explain.asm")
	text := strings.Replace(string(read(t, src)), "    Py_INCREF rbx\n", "    Py_INCREF rbx\n    PyUnicode_DATA r12\n", 1)
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(text[:strings.Index(text, "PyUnicode_DATA r12")], "\n") + 1
	_, stderr, code := pyincIn(t, dir, append([]string{"build", "--inplace", "-q"}, args...)...)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	warning := fmt.Sprintf("pyinc build: warning: explain.asm:%d: multi-line macro `PyUnicode_DATA' exists, but not taking 1 parameter", line)
	failure := fmt.Sprintf("explain.asm:%d: error: parser: instruction expected", line)
	if code != 2 || len(lines) != 3 || !strings.HasPrefix(lines[0], warning) || !strings.Contains(lines[1], failure) ||
		!strings.HasSuffix(lines[2], "Pythons failed; nothing written") {
		t.Errorf("build: exit %d, stderr:\n%s\nwant the warning, then once the error for every Python, then the count", code, stderr)
	}

	// Under the limited API the include has no PyUnicode_DATA: it says so.
	text = strings.Replace(text, "PyUnicode_DATA r12\n", "PyUnicode_DATA r12, r13\n", 1)
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = pyincIn(t, dir, "build", "--inplace", "-q", "--limited-api", "3.8", args[len(args)-2], args[len(args)-1])
	want := fmt.Sprintf("pyinc build: explain.asm:%d: PyUnicode_DATA is not available with the limited API 3.8: the limited API hides the str's layout (no PyASCIIObject)\n", line)
	if code != 2 || stderr != want {
		t.Errorf("limited API: exit %d, stderr %q; want %q", code, stderr, want)
	}
}

// TestBuildInplaceLimited: the scaffold built in place for the limited
// API initialises in two phases, its PyInit a tail call of
// PyModuleDef_Init (which takes no API version, so PYTHON_ABI_VERSION has
// no part in it), and the progress line names no wheel tag for the plain
// module it wrote.
func TestBuildInplaceLimited(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc", "objdump")
	py := python3(t)
	dir := scaffold(t, "lim")
	stdout, stderr, code := pyincIn(t, dir, "build", "--inplace", "--limited-api", "3.6", "--python", py)
	so := strings.TrimSpace(stdout)
	if code != 0 || !strings.HasSuffix(so, "lim.abi3.so") {
		t.Fatalf("build: exit %d, stdout %q: %s", code, stdout, stderr)
	}
	if strings.Contains(stderr, "abi3-") || strings.Contains(stderr, "manylinux") || !strings.Contains(stderr, "lim.abi3.so: CPython") {
		t.Errorf("progress %q: want the module and its Python, no wheel tag", stderr)
	}
	out := testutil.Run(t, dir, nil, "objdump", "-d", "--no-show-raw-insn", so)
	_, init, _ := strings.Cut(out, "<PyInit_lim>:")
	if !strings.Contains(init, "<PyModuleDef_Init@plt>") || strings.Contains(init, "PyModule_Create2") {
		t.Errorf("PyInit_lim is not a tail call of PyModuleDef_Init:\n%.600s", init)
	}
}

// TestBuildIncludeName: a project whose source includes "asm/python.inc",
// as hand-written NASM extensions do, builds unchanged once [tool.pyinc]
// include-name names it, and its module works; without the key nasm
// cannot find the file, and a hand-written asm/python.inc is refused.
func TestBuildIncludeName(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	py := python3(t)
	dir := scaffold(t, "named")
	src := filepath.Join(dir, "src", "named.asm")
	os.Mkdir(filepath.Dir(src), 0o755)
	text := strings.Replace(string(read(t, filepath.Join(dir, "named.asm"))), `%include "python.inc"`, `%include "asm/python.inc"`, 1)
	os.Remove(filepath.Join(dir, "named.asm"))
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	toml := filepath.Join(dir, "pyproject.toml")
	conf := strings.Replace(string(read(t, toml)), `sources = ["named.asm"]`, `sources = ["src/named.asm"]`, 1)
	if err := os.WriteFile(toml, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := pyincIn(t, dir, "build", "--inplace", "-q", "--python", py)
	if code != 2 || !strings.Contains(stderr, "unable to open include file `asm/python.inc'") {
		t.Errorf("without include-name: exit %d, stderr %q; want nasm's missing include", code, stderr)
	}

	conf = strings.Replace(conf, "[tool.pyinc]\n", "[tool.pyinc]\ninclude-name = \"asm/python.inc\"\n", 1)
	if err := os.WriteFile(toml, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := pyincIn(t, dir, "build", "--inplace", "-q", "--python", py)
	if code != 0 {
		t.Fatalf("with include-name: exit %d: %s", code, stderr)
	}
	out := testutil.Run(t, dir, nil, py, "-c", "import named; print(named.add(40, 2))")
	if strings.TrimSpace(out) != "42" || !strings.HasPrefix(filepath.Base(strings.TrimSpace(stdout)), "named.") {
		t.Errorf("the module built with include-name: %q, stdout %q", out, stdout)
	}
	os.Remove(strings.TrimSpace(stdout))

	// A hand-written asm/python.inc would be what nasm reads: refused.
	os.Mkdir(filepath.Join(dir, "asm"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "asm", "python.inc"), []byte("; hand-written\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = pyincIn(t, dir, "build", "--inplace", "-q", "--python", py)
	if code != 2 || !strings.Contains(stderr, "asm/python.inc in the project is a hand-written include") {
		t.Errorf("a hand-written asm/python.inc: exit %d, stderr %q", code, stderr)
	}
}
