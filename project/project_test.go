package project

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

// TestNormalizeVersion: the spellings PEP 440's normalization section
// lists, and their canonical forms.
func TestNormalizeVersion(t *testing.T) {
	good := map[string]string{
		"0.1.0": "0.1.0", "1.0": "1.0", "v1.0": "1.0", "01.002.0": "1.2.0",
		"1.0a1": "1.0a1", "1.0-ALPHA1": "1.0a1", "1.0.beta.2": "1.0b2", "1.0c1": "1.0rc1",
		"1.0-pre3": "1.0rc3", "1.0preview2": "1.0rc2", "1.0rc": "1.0rc0", "1.0.0-rc.1": "1.0.0rc1",
		"1.0-1": "1.0.post1", "1.0.post": "1.0.post0", "1.0-r4": "1.0.post4", "1.0rev5": "1.0.post5",
		"1.0-dev": "1.0.dev0", "1.0.dev03": "1.0.dev3", "1.0a1.post2.dev3": "1.0a1.post2.dev3",
		"1!2.0": "1!2.0", "1.0+Ubuntu-1": "1.0+ubuntu.1", "1.0+abc.007": "1.0+abc.7", " 2.1 ": "2.1",
	}
	for in, want := range good {
		got, err := NormalizeVersion(in)
		if err != nil || got != want {
			t.Errorf("NormalizeVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.0-foo", "1..0", "a1", "1.0+", "1.0+-x", "1.0.", "one", "1.0 beta"} {
		if got, err := NormalizeVersion(bad); err == nil {
			t.Errorf("NormalizeVersion(%q) = %q, want an error", bad, got)
		}
	}
}

func TestNormalizedName(t *testing.T) {
	for in, want := range map[string]string{"fastmath": "fastmath", "Fast.Math": "fast_math",
		"fast--math__x": "fast_math_x", "A-B_c.D": "a_b_c_d"} {
		if got := NormalizedName(in); got != want {
			t.Errorf("NormalizedName(%q) = %q, want %q", in, got, want)
		}
	}
}

const goodToml = `
[build-system]
requires = []
build-backend = "pyinc_backend"
backend-path = ["."]

[project]
name = "Fast.Math"
version = "1.0-ALPHA1"
description = "adds"
readme = "README.rst"
requires-python = ">=3.8"
license = "MIT"
authors = [{name = "Ann", email = "ann@example.org"}, {name = "Bob"}]
keywords = ["asm", "nasm"]
dependencies = ["numpy>=1.20"]
[project.optional-dependencies]
test = ["pytest; python_version >= '3.8'", "hypothesis"]
[project.urls]
Source = "https://example.org/src"
Docs = "https://example.org/docs"

[tool.pyinc]
sdist-include = ["tests/*.py"]
[[tool.pyinc.modules]]
name = "fastmath"
sources = ["src/fastmath.asm", "src/more.asm"]
`

func project(t *testing.T, toml string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range append([]string{"README.rst", "pyinc_backend.py", "src/fastmath.asm", "src/more.asm"}, files...) {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoad(t *testing.T) {
	p, err := Load(project(t, goodToml))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if g, w := strings.TrimSpace(strings.ReplaceAll(toString(got), "\n", "|")), toString(want); g != w {
			t.Errorf("%s = %s, want %s", what, g, w)
		}
	}
	check("Name", p.Name, "Fast.Math")
	check("Version", p.Version, "1.0a1")
	check("ReadmeType", p.ReadmeType, "text/x-rst")
	check("License", p.License, "MIT")
	check("Authors", p.Authors, []Person{{"Ann", "ann@example.org"}, {"Bob", ""}})
	check("URLs", p.URLs, [][2]string{{"Docs", "https://example.org/docs"}, {"Source", "https://example.org/src"}})
	check("Dependencies", p.Dependencies, []string{"numpy>=1.20", `pytest; (python_version >= '3.8') and extra == "test"`, `hypothesis; extra == "test"`})
	check("Extras", p.Extras, []string{"test"})
	check("Modules", p.Modules, []Module{{"fastmath", []string{"src/fastmath.asm", "src/more.asm"}}})
	check("BackendFile", p.BackendFile, "pyinc_backend.py")
	check("IncludeName", p.IncludeName, "python.inc")
	named, err := Load(project(t, strings.Replace(goodToml, `sdist-include = ["tests/*.py"]`, "sdist-include = [\"tests/*.py\"]\ninclude-name = \"asm/python.inc\"", 1)))
	if err != nil {
		t.Fatal(err)
	}
	check("IncludeName named", named.IncludeName, "asm/python.inc")
	if got := IncludeNameIn(named.Dir); got != "asm/python.inc" {
		t.Errorf("IncludeNameIn = %q", got)
	}
	if got := IncludeNameIn(t.TempDir()); got != "python.inc" {
		t.Errorf("IncludeNameIn of no project = %q", got)
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	default:
		return strings.TrimSpace(strings.ReplaceAll(fmtV(v), "\n", "|"))
	}
}

// TestLoadRefused: each problem is an *Error naming it.
func TestLoadRefused(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"no project table", "[project]", "[notproject]", "no [project] table"},
		{"no name", `name = "Fast.Math"`, ``, "has no name"},
		{"bad name", `name = "Fast.Math"`, `name = "fast math"`, "not a valid distribution name"},
		{"name ends with dot", `name = "Fast.Math"`, `name = "fast."`, "not a valid distribution name"},
		{"no version", `version = "1.0-ALPHA1"`, ``, "has no version"},
		{"bad version", `version = "1.0-ALPHA1"`, `version = "1.0-foo"`, "not a PEP 440 version"},
		{"number version", `version = "1.0-ALPHA1"`, `version = 1.0`, "must be a string"},
		{"dynamic", `description = "adds"`, `dynamic = ["version"]`, "dynamic"},
		{"module not identifier", `name = "fastmath"`, `name = "fast-math"`, "not a Python identifier"},
		{"module keyword", `name = "fastmath"`, `name = "import"`, "keyword"},
		{"no sources", `sources = ["src/fastmath.asm", "src/more.asm"]`, `sources = []`, "has no sources"},
		{"missing source", `"src/more.asm"`, `"src/gone.asm"`, "src/gone.asm does not exist"},
		{"source outside", `"src/more.asm"`, `"../more.asm"`, "source ../more.asm is outside the project"},
		{"readme outside", `readme = "README.rst"`, `readme = "../README.rst"`, "readme ../README.rst is outside the project"},
		{"license file outside", `readme = "README.rst"`, "readme = \"README.rst\"\nlicense-files = [\"src/../../LICENSE\"]", "license-files \"src/../../LICENSE\" is outside the project"},
		{"sdist-include outside", `sdist-include = ["tests/*.py"]`, `sdist-include = ["../*.py"]`, "sdist-include \"../*.py\" is outside the project"},
		{"no modules", "[[tool.pyinc.modules]]", "[tool.other]", "no [[tool.pyinc.modules]]"},
		{"missing readme", `readme = "README.rst"`, `readme = "README.md"`, "readme README.md"},
		{"bad toml", `description = "adds"`, `description = "adds`, "pyproject.toml"},
		{"unknown author key", `{name = "Bob"}`, `{nick = "Bob"}`, "unknown key"},
		{"include-name absolute", `sdist-include = ["tests/*.py"]`, "sdist-include = [\"tests/*.py\"]\ninclude-name = \"/usr/python.inc\"", "include-name \"/usr/python.inc\" must be a file name relative"},
		{"include-name empty", `sdist-include = ["tests/*.py"]`, "sdist-include = [\"tests/*.py\"]\ninclude-name = \"\"", "include-name \"\" must be a file name relative"},
	}
	for _, c := range cases {
		toml := strings.Replace(goodToml, c.from, c.to, 1)
		if c.name == "no project table" {
			toml = strings.NewReplacer("[project", "[notproject").Replace(goodToml)
		}
		if toml == goodToml {
			t.Fatalf("%s: %q is not in the test's pyproject.toml", c.name, c.from)
		}
		_, err := Load(project(t, toml))
		if _, ok := err.(*Error); !ok || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line saying %q", c.name, err, c.want)
		}
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no pyproject.toml") {
		t.Errorf("empty directory: error %v", err)
	}
}

func TestNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fastmath")
	if err := New("fastmath", dir); err != nil {
		t.Fatal(err)
	}
	p, err := Load(dir)
	if err != nil {
		t.Fatalf("the scaffold does not load: %v", err)
	}
	if p.Name != "fastmath" || p.Version != "0.1.0" || p.BackendFile != "pyinc_backend.py" || len(p.Modules) != 1 || p.Modules[0].Sources[0] != "fastmath.asm" {
		t.Errorf("scaffold project: %+v", p)
	}
	for _, f := range []string{"fastmath.asm", "test_fastmath.py", "README.md", ".gitignore", "pyinc_backend.py"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("scaffold lacks %s", f)
		}
	}
	asm, _ := os.ReadFile(filepath.Join(dir, "fastmath.asm"))
	for _, want := range []string{`%include "python.inc"`, "PY_CALL", "PY_ADDR", "Py_INCREF", "align 16", "global PyInit_fastmath:function", "PY_JMP PyModuleDef_Init", "Py_mod_gil", "PY_FUNC mod_add", "PY_ENDFUNC", "section .rdata"} {
		if !strings.Contains(string(asm), want) {
			t.Errorf("fastmath.asm lacks %q", want)
		}
	}
	// Refusals leave nothing behind.
	parent := filepath.Dir(dir)
	if err := New("other", dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("New into a non-empty directory: %v", err)
	}
	for _, name := range []string{"1abc", "fast-math", "class", "_private", "", BackendModule} {
		if err := New(name, filepath.Join(parent, "x")); err == nil {
			t.Errorf("New(%q) succeeded", name)
		}
	}
	if err := New("ok", filepath.Join(parent, "missing", "ok")); err == nil {
		t.Errorf("New under a missing directory succeeded")
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		t.Errorf("refused scaffolds left files: %v", ents)
	}
	// An empty directory is filled.
	empty := filepath.Join(parent, "empty")
	os.Mkdir(empty, 0o755)
	if err := New("empty", empty); err != nil {
		t.Errorf("New into an empty directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, "empty.asm")); err != nil {
		t.Errorf("the empty directory was not filled: %v", err)
	}
	// The current directory, empty: "pyinc new NAME ." (a directory that
	// cannot be renamed onto).
	here := filepath.Join(parent, "here")
	os.Mkdir(here, 0o755)
	t.Chdir(here)
	if err := New("here", "."); err != nil {
		t.Errorf("New into the empty current directory: %v", err)
	}
	if _, err := os.Stat("pyproject.toml"); err != nil {
		t.Errorf("the current directory was not filled: %v", err)
	}
}

// TestBackendPythons compiles the backend with every Python 3 found (it
// must run on 3.6+), and runs it without pyinc to see the install hint.
func TestBackendPythons(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	if err := New("m", dir); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, py := range testutil.Pythons(t) {
		if py.Interpreter == "" || py.Root != "" || strings.HasPrefix(py.Version, "2.") {
			continue
		}
		ran++
		script := "import sys, pyinc_backend as b\nassert b.get_requires_for_build_wheel() == [] and b.get_requires_for_build_sdist() == []\n" +
			"try:\n    b.build_wheel('.')\nexcept RuntimeError as e:\n    print(e)\nelse:\n    sys.exit('no error without pyinc')\n"
		cmd := exec.Command(py.Interpreter, "-c", script)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + t.TempDir()} // no pyinc, no $PYINC
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "go install github.com/pyinc/pyinc/cmd/pyinc@latest") {
			t.Errorf("Python %s: %v\n%s", py.Version, err, out)
		}
	}
	if ran == 0 {
		t.Skip("no Python 3 interpreter found to run the backend")
	}
}
