package cparse

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// These tests need no installed Python: each builds the files it reads
// (include directories, pyenv and Debian-tree layouts, an interpreter that
// is a shell script answering the sysconfig query) in a temporary directory.

// writeFiles creates files under root from a map of relative path to text.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, text := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(text, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// includeDir makes PREFIX/include/pythonVER with a Python.h holding header.
func includeDir(t *testing.T, prefix, ver, header string) string {
	dir := filepath.Join(prefix, "include", "python"+ver)
	writeFiles(t, dir, map[string]string{
		"Python.h":     header,
		"patchlevel.h": "#define PY_VERSION \"" + strings.TrimRight(ver, "dmt") + ".4rc1\"\n",
		"pyconfig.h":   "#define HAVE_THING 1\n",
	})
	return dir
}

func TestFromIncludeDir(t *testing.T) {
	prefix := t.TempDir()
	dir := includeDir(t, prefix, "3.98d", "int x;\n")
	writeFiles(t, dir, map[string]string{"pyconfig.h": "#define Py_DEBUG 1\n#define Py_REF_DEBUG\n#define Py_DEBUG 1\n"})
	writeFiles(t, prefix, map[string]string{"lib/libpython3.98d.so.1.0": "not really ELF"})
	p, err := FromIncludeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := &Python{Version: "3.98.4", IncludeDirs: []string{dir}, Source: "headers", ABIFlags: "d",
		LibPython: filepath.Join(prefix, "lib", "libpython3.98d.so.1.0"), Defines: []string{"Py_DEBUG", "Py_REF_DEBUG"}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("FromIncludeDir:\n got %+v\nwant %+v", p, want)
	}
	if !p.IsDebug() || p.MajorMinor() != "3.98" {
		t.Errorf("IsDebug %v, MajorMinor %q", p.IsDebug(), p.MajorMinor())
	}
	for _, c := range []struct{ dir, want string }{
		{filepath.Join(prefix, "nope"), "does not exist"},
		{prefix, "no Python.h in"},
	} {
		if _, err := FromIncludeDir(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromIncludeDir(%s): %v, want %q", c.dir, err, c.want)
		}
	}
	os.Remove(filepath.Join(dir, "patchlevel.h"))
	if _, err := FromIncludeDir(dir); err == nil || !strings.Contains(err.Error(), "no patchlevel.h") {
		t.Errorf("without patchlevel.h: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "patchlevel.h"), []byte("#define PY_MAJOR_VERSION 3\n"), 0o644)
	if _, err := FromIncludeDir(dir); err == nil || !strings.Contains(err.Error(), "no PY_VERSION") {
		t.Errorf("without PY_VERSION: %v", err)
	}
}

// TestHeaderConfigRedirect: Debian's pyconfig.h only includes the real one
// from <multiarch/pythonX.Y/pyconfig.h>, which headerConfig follows.
func TestHeaderConfigRedirect(t *testing.T) {
	root := t.TempDir()
	dir := includeDir(t, root, "3.98", "")
	writeFiles(t, root, map[string]string{
		"include/python3.98/pyconfig.h":                  "#include <x86_64-linux-gnu/python3.98/pyconfig.h>\n",
		"include/x86_64-linux-gnu/python3.98/pyconfig.h": "#define Py_GIL_DISABLED 1\n#define Py_TRACE_REFS\n",
	})
	if got := headerConfig(dir); !reflect.DeepEqual(got, []string{"Py_GIL_DISABLED", "Py_TRACE_REFS"}) {
		t.Errorf("headerConfig: %v", got)
	}
}

func TestConfigResolve(t *testing.T) {
	py312 := &Python{Version: "3.12.1"}
	got, err := Config{Defines: []string{"Py_DEBUG", "Py_REF_DEBUG=1", "MY_LEVEL=2"}, LimitedAPI: "3.10"}.Resolve(py312)
	want := []Define{{"Py_DEBUG", "1"}, {"Py_REF_DEBUG", "1"}, {"MY_LEVEL", "2"}, {"Py_LIMITED_API", "0x030A0000"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve: %v, %v", got, err)
	}
	for _, c := range []struct {
		cfg  Config
		py   *Python
		want string
	}{
		{Config{Defines: []string{"1bad"}}, py312, "not a C identifier"},
		{Config{Defines: []string{"Py_LIMITED_API=0x03060000"}}, py312, "chosen by its version"},
		{Config{LimitedAPI: "3"}, py312, "pass a Python 3 version"},
		{Config{LimitedAPI: "4.1"}, py312, "pass a Python 3 version"},
		{Config{LimitedAPI: "3.1"}, py312, "starts at 3.2"},
		{Config{LimitedAPI: "3.13"}, py312, "only up to 3.12"},
		{Config{LimitedAPI: "3.6"}, &Python{Version: "2.7.18"}, "has no limited API"},
		{Config{LimitedAPI: "3.08"}, py312, "without a leading zero: 3.8"},
		{Config{Defines: []string{"Py_DEBUG=0"}}, py312, "test only whether Py_DEBUG is defined"},
		{Config{Defines: []string{"Py_GIL_DISABLED="}}, py312, "test only whether Py_GIL_DISABLED is defined"},
		{Config{Defines: []string{`X=a"b`}}, py312, `the value "a\"b" is not a C number or name`},
		{Config{Defines: []string{"X=1\n#include </etc/passwd>"}}, py312, "is not a C number or name"},
		{Config{Defines: []string{`PY_SSIZE_T_CLEAN=\`}}, py312, "is not a C number or name"},
		{Config{Defines: []string{"X=1 /* c"}}, py312, "is not a C number or name"},
	} {
		_, err := c.cfg.Resolve(c.py)
		var ce *ConfigError
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.As(err, &ce) {
			t.Errorf("Resolve(%+v) for %s: %v, want a ConfigError saying %q", c.cfg, c.py.Version, err, c.want)
		} else if strings.Contains(err.Error(), "--") {
			t.Errorf("Resolve's error names a command-line flag: %v", err)
		}
	}
}

// fakeInterpreter writes a shell script that answers pyinc's sysconfig
// query the way CPython VER with its files under prefix would.
func fakeInterpreter(t *testing.T, path, prefix, ver, abiflags string) {
	mm := ver[:strings.LastIndex(ver, ".")]
	debug := "0"
	if abiflags == "d" {
		debug = "1"
	}
	inc := prefix + "/include/python" + mm + abiflags
	lines := []string{
		"version=" + ver, "executable=" + path, "include=" + inc, "platinclude=" + inc, "confinclude=",
		"libdir=" + prefix + "/lib", "ldlibrary=libpython" + mm + abiflags + ".so",
		"instsoname=libpython" + mm + abiflags + ".so.1.0", "multiarch=x86_64-linux-gnu",
		"ext_suffix=.cpython-" + strings.ReplaceAll(mm, ".", "") + abiflags + "-x86_64-linux-gnu.so",
		"abiflags=" + abiflags, "cfg.Py_DEBUG=" + debug, "cfg.Py_TRACE_REFS=", "cfg.Py_REF_DEBUG=", "cfg.Py_GIL_DISABLED=0",
	}
	// echo is a shell builtin: the script runs with an empty PATH.
	script := "#!/bin/sh\n"
	for _, l := range lines {
		script += "echo '" + l + "'\n"
	}
	writeFiles(t, filepath.Dir(path), map[string]string{filepath.Base(path): script})
}

func TestQuery(t *testing.T) {
	prefix := t.TempDir()
	includeDir(t, prefix, "3.98d", "")
	writeFiles(t, prefix, map[string]string{"lib/x86_64-linux-gnu/libpython3.98d.so.1.0": "lib"})
	exe := filepath.Join(prefix, "bin", "python3.98d")
	fakeInterpreter(t, exe, prefix, "3.98.4", "d")
	p, err := Query(exe)
	if err != nil {
		t.Fatal(err)
	}
	want := &Python{Version: "3.98.4", Interpreter: exe, IncludeDirs: []string{filepath.Join(prefix, "include", "python3.98d")},
		LibPython: filepath.Join(prefix, "lib", "x86_64-linux-gnu", "libpython3.98d.so.1.0"),
		ExtSuffix: ".cpython-398d-x86_64-linux-gnu.so", ABIFlags: "d", Defines: []string{"Py_DEBUG"}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("Query:\n got %+v\nwant %+v", p, want)
	}
	broken := filepath.Join(prefix, "bin", "broken")
	writeFiles(t, prefix, map[string]string{"bin/broken": "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho 'ImportError: no sysconfig' >&2\nexit 1\n"})
	if _, err := Query(broken); err == nil || !strings.Contains(err.Error(), "cannot query "+broken+": ImportError: no sysconfig") {
		t.Errorf("Query of a failing interpreter: %v", err)
	}
}

// pyenvMachine makes a pyenv root with Pythons 3.97.1 and 3.98.4, points
// PYENV_ROOT at it and PATH at an empty directory, so that discovery sees
// only them (and the host's /usr/include headers, if any).
func pyenvMachine(t *testing.T) string {
	root := t.TempDir()
	for _, ver := range []string{"3.97.1", "3.98.4"} {
		prefix := filepath.Join(root, "versions", ver)
		includeDir(t, prefix, ver[:4], "")
		fakeInterpreter(t, filepath.Join(prefix, "bin", "python"+ver[:4]), prefix, ver, "")
	}
	t.Setenv("PYENV_ROOT", root)
	t.Setenv("PATH", t.TempDir())
	t.Setenv(PythonPathEnv, "")
	return root
}

// TestPyenvRootBounded: a pyenv on PATH that never answers costs
// QueryTimeout, and the default root is taken instead.
func TestPyenvRootBounded(t *testing.T) {
	home, bin := t.TempDir(), t.TempDir()
	writeFiles(t, bin, map[string]string{"pyenv": "#!/bin/sh\nsleep 60\n"})
	writeFiles(t, home, map[string]string{".pyenv/versions/.keep": ""})
	t.Setenv("PYENV_ROOT", "")
	t.Setenv("HOME", home)
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	defer func(d time.Duration) { QueryTimeout = d }(QueryTimeout)
	QueryTimeout = 200 * time.Millisecond
	start := time.Now()
	if got, want := pyenvRoot(), filepath.Join(home, ".pyenv"); got != want {
		t.Errorf("pyenvRoot() = %q, want %q", got, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("pyenvRoot waited %v for a pyenv that never answers", d)
	}
}

// TestPythonPath: interpreters in $PYINC_PYTHON_PATH's directories are
// found like those on PATH, after them, by version and by name.
func TestPythonPath(t *testing.T) {
	pyenvMachine(t)
	var dirs []string
	for _, v := range []struct{ ver, flags string }{{"3.96.2", "t"}, {"3.95.1", ""}} {
		prefix := t.TempDir()
		mm := v.ver[:4]
		includeDir(t, prefix, mm+v.flags, "")
		exe := filepath.Join(prefix, "bin", "python"+mm+v.flags)
		fakeInterpreter(t, exe, prefix, v.ver, v.flags)
		dirs = append(dirs, filepath.Join(prefix, "bin"))
	}
	t.Setenv(PythonPathEnv, strings.Join(dirs, string(os.PathListSeparator)))
	var got []string
	for _, p := range Discover() {
		if p.Source == "pypath" {
			got = append(got, filepath.Base(p.Interpreter))
		}
	}
	if !reflect.DeepEqual(got, []string{"python3.96t", "python3.95"}) {
		t.Errorf("Discover's %s Pythons: %v", PythonPathEnv, got)
	}
	if p, err := Find("3.96"); err != nil || filepath.Base(p.Interpreter) != "python3.96t" {
		t.Errorf("Find(3.96): %+v, %v", p, err)
	}
	if p, err := Find("python3.95"); err != nil || p.Version != "3.95.1" {
		t.Errorf("Find(python3.95) by name: %+v, %v", p, err)
	}
	t.Setenv(PythonPathEnv, "")
	if _, err := Find("3.96"); err == nil {
		t.Errorf("Find(3.96) without %s found one", PythonPathEnv)
	}
}

func TestDiscoverAndFind(t *testing.T) {
	root := pyenvMachine(t)
	var pyenv []string
	for _, p := range Discover() {
		if p.Source == "pyenv" {
			pyenv = append(pyenv, p.Version)
		}
	}
	if !reflect.DeepEqual(pyenv, []string{"3.98.4", "3.97.1"}) {
		t.Errorf("Discover's pyenv Pythons: %v, want newest first", pyenv)
	}
	for _, spec := range []string{"3.97", "3.97.1"} {
		p, err := Find(spec)
		if err != nil || p.Interpreter != filepath.Join(root, "versions", "3.97.1", "bin", "python3.97") {
			t.Errorf("Find(%s): %+v, %v", spec, p, err)
		}
	}
	for _, c := range []struct{ spec, want string }{
		{"3.96", "no Python 3.96 found (found: 3.98.4, 3.97.1"},
		{"/nonexistent/python3", "does not exist"},
		{"python-not-on-path", "no interpreter \"python-not-on-path\" on PATH"},
	} {
		_, err := Find(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrNotFound) || strings.Contains(err.Error(), "--") {
			t.Errorf("Find(%s): %v, want ErrNotFound saying %q and naming no flag", c.spec, err, c.want)
		}
	}
	exe := filepath.Join(root, "versions", "3.98.4", "bin", "python3.98")
	if p, err := Find(exe); err != nil || p.Source != "argument" || p.Version != "3.98.4" {
		t.Errorf("Find by path: %+v, %v", p, err)
	}
	os.Remove(filepath.Join(root, "versions", "3.98.4", "include", "python3.98", "Python.h"))
	if _, err := Find(exe); err == nil || !strings.Contains(err.Error(), "has no headers") {
		t.Errorf("Find of an interpreter without headers: %v", err)
	}
}

// TestTree: the Pythons of a root file system are described from their
// files, since their interpreters may not run here.
func TestTree(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"3.97", "3.98", "3.98d"} {
		includeDir(t, filepath.Join(root, "usr"), v, "")
	}
	writeFiles(t, root, map[string]string{
		"usr/bin/python3.97":        "not runnable here",
		"usr/bin/python3.98":        "not runnable here",
		"usr/bin/python3.98d":       "not runnable here",
		"usr/bin/python3.98-dbg":    "not runnable here",
		"usr/bin/python3.98-config": "a script",
		"usr/lib/python3.98/_sysconfigdata__x86_64-linux-gnu.py":  "build_time_vars = {'EXT_SUFFIX': '.cpython-398-x86_64-linux-gnu.so',\n}\n",
		"usr/lib/python3.98/_sysconfigdata_d_x86_64-linux-gnu.py": "build_time_vars = {'EXT_SUFFIX': '.cpython-398d-x86_64-linux-gnu.so'}\n",
	})
	var got []string
	for _, p := range DiscoverRoot(root) {
		got = append(got, filepath.Base(p.Interpreter)+" "+p.Version+" "+p.ExtSuffix+" "+p.Source)
		if p.Root != root || !reflect.DeepEqual(p.AfterDirs, []string{filepath.Join(root, "usr", "include")}) {
			t.Errorf("%s: root %q, after dirs %v", p.Interpreter, p.Root, p.AfterDirs)
		}
	}
	want := []string{
		"python3.98 3.98.4 .cpython-398-x86_64-linux-gnu.so tree",
		"python3.98d 3.98.4 .cpython-398d-x86_64-linux-gnu.so tree",
		"python3.97 3.97.4  tree",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiscoverRoot:\n got %q\nwant %q", got, want)
	}
	// By path, an interpreter that cannot run is read from its tree.
	p, err := Find(filepath.Join(root, "usr", "bin", "python3.98d"))
	if err != nil || p.Root != root || p.ABIFlags != "d" {
		t.Errorf("Find of a tree interpreter: %+v, %v", p, err)
	}
	if p, err := Find("3.97", root); err != nil || p.Root != root {
		t.Errorf("Find(3.97) with the tree as a root: %+v, %v", p, err)
	}
	if _, err := FromTree(root, filepath.Join(root, "usr", "bin", "python3.98-config")); err == nil {
		t.Errorf("FromTree accepted python3.98-config")
	}
}

func TestSortByVersion(t *testing.T) {
	s := []string{"python3.9", "python3.10", "python2.7", "python3.11"}
	sortByVersion(s, func(x string) string { return x })
	if want := []string{"python3.11", "python3.10", "python3.9", "python2.7"}; !reflect.DeepEqual(s, want) {
		t.Errorf("sortByVersion: %v, want newest first %v", s, want)
	}
}

// TestParse runs the C front end on small headers (it asks the host C
// compiler for its predefined macros and include paths, so it needs cc).
func TestParse(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler: the C front end cannot be configured")
	}
	prefix := t.TempDir()
	dir := includeDir(t, prefix, "3.98", "#include <stddef.h>\n#include \"pyconfig.h\"\ntypedef struct S { int a; long b; } S;\n#define ANSWER 42\n")
	writeFiles(t, dir, map[string]string{"structmember.h": "#define T_INT 1\n"})
	py, err := FromIncludeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Parse(py, []Define{{"Py_DEBUG", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(u.Headers, []string{"Python.h", "structmember.h"}) {
		t.Errorf("Headers: %v", u.Headers)
	}
	if src := u.CSource(); src != "#define Py_DEBUG 1\n#include <Python.h>\n#include <structmember.h>\n" {
		t.Errorf("CSource: %q", src)
	}
	files := strings.Join(u.Files(), " ")
	for _, f := range []string{filepath.Join(dir, "Python.h"), filepath.Join(dir, "pyconfig.h")} {
		if !strings.Contains(files, f) {
			t.Errorf("Files lacks %s: %s", f, files)
		}
	}
	if !u.IsPythonHeader(filepath.Join(dir, "Python.h")) || u.IsPythonHeader("/usr/include/stdio.h") ||
		!u.IsPythonHeader("/usr/include/x86_64-linux-gnu/python3.98/pyconfig.h") {
		t.Errorf("IsPythonHeader misjudges")
	}
	python, stddef := Pos{File: filepath.Join(dir, "Python.h"), Line: 3}, Pos{File: "/nowhere/stddef.h", Line: 1}
	if !u.Less(python, Pos{File: python.File, Line: 4}) || !u.Less(python, stddef) {
		t.Errorf("Less does not order by file rank, then line")
	}
	if _, ok := u.AST.Macros["ANSWER"]; !ok {
		t.Errorf("the macro ANSWER was not kept")
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler: the C front end cannot be configured")
	}
	for _, c := range []struct{ header, want string }{
		{"typedef struct S {\n\tint a;\n\tint b c;\n} S;\n", "cannot parse the headers of Python 3.98.4: Python.h:3:"},
		{"#ifndef OK\n#error \"no such platform\"\n#endif\n", `refuse this configuration (Py_DEBUG=1): Python.h:2: #error "no such platform"`},
		// 3.11's object.h: an #error whose text is not a string.
		{"#ifdef Py_DEBUG\n#  error Py_DEBUG is incompatible with this\n#endif\n", `refuse this configuration (Py_DEBUG=1): Python.h:2: #error "Py_DEBUG is incompatible with this"`},
		// A width the front end refuses that is not a number in place
		// (widebits.go): one line saying so.
		{"#define W 116\nstruct S {\n\t__int128 m : W;\n};\n", "Python.h:3:15: a bitfield 116 bits wide, wider than the C front end reads (64 bits"},
		{"struct S {\n\t__int128 m : 116;\n\tlong n : 65;\n\tint z[-1];\n};\n", "Python.h:4:"},
	} {
		dir := includeDir(t, t.TempDir(), "3.98", c.header)
		py, _ := FromIncludeDir(dir)
		_, err := Parse(py, []Define{{"Py_DEBUG", "1"}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q): %v, want %q", c.header, err, c.want)
		}
		// The front end appends where in its own code it made some
		// messages: no position of the user's, never shown.
		if err != nil && frontEndSourceRE.MatchString(err.Error()) {
			t.Errorf("Parse(%q): %v names a position in the front end's code", c.header, err)
		}
	}
	if _, err := Parse(&Python{Version: "3.98.4"}, nil); err == nil {
		t.Errorf("Parse without include directories succeeded")
	}
}

// TestExports reads the dynamic symbols of a library built here, as nm -D
// --defined-only would list them.
func TestExports(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler to build a shared library with")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "lib.c")
	os.WriteFile(src, []byte("int exported_fn(void) { return 1; }\nint exported_data = 2;\nstatic int hidden(void) { return 3; }\nextern int undefined_fn(void);\nint calls(void) { return undefined_fn() + hidden(); }\n"), 0o644)
	lib := filepath.Join(dir, "lib.so")
	if out, err := exec.Command("cc", "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	got, err := Exports(lib)
	if err != nil {
		t.Fatal(err)
	}
	if !got["exported_fn"] || !got["exported_data"] || !got["calls"] || got["hidden"] || got["undefined_fn"] {
		t.Errorf("Exports: %v", got)
	}
	if _, err := Exports(src); err == nil {
		t.Errorf("Exports of a C file succeeded")
	}
}

var frontEndSourceRE = regexp.MustCompile(`[a-z0-9_]+\.go:[0-9]+`)
