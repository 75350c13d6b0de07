package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pyinc/pyinc/internal/testutil"
)

// The tests of issue 23: pyinc tried as a hostile or careless user would,
// one way at a time, each case asserting what was written, what was
// packed and the one line on stderr.

// run runs pyinc in dir with extra environment variables; a command
// given as sh -c wraps it (a resource limit).
func run(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(testutil.Pyinc(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// oneLineError checks exit status 2 and one line on stderr saying want,
// with no Go stack trace.
func oneLineError(t *testing.T, what, stderr string, code int, want string) {
	t.Helper()
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) || strings.Contains(stderr, "goroutine") {
		t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line saying %q", what, code, stderr, want)
	}
}

// sdistMembers lists the members of the sdist at path.
func sdistMembers(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeDir {
			names = append(names, h.Name)
		}
	}
	sort.Strings(names)
	return names
}

// TestHostileSdist: a scaffolded project made hostile one way at a time.
// A refused one exits 2 with one line and writes nothing (no dist/); an
// accepted one packs exactly the files listed.
func TestHostileSdist(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("root:x:0:0\n"), 0o644)
	base := []string{".gitignore", "PKG-INFO", "README.md", "m.asm", "pyinc_backend.py", "pyproject.toml", "test_m.py"}
	cases := []struct {
		name   string
		edit   func(dir string)
		env    []string
		stderr string   // the refusal; "" when the sdist is made
		extra  []string // members beyond base, when made
	}{
		{name: "readme links to /etc/passwd", edit: symlink("README.md", "/etc/passwd"), stderr: "readme README.md is a link to /etc/passwd, outside the project"},
		{name: "source links outside", edit: symlink("m.asm", outside), stderr: "source m.asm is a link to " + outside},
		{name: "license-files link outside", edit: chain(symlink("COPYING", outside), replace(`[tool.pyinc]`, "[tool.pyinc]\n")), stderr: ""}, // not named: not packed
		{name: "license-files names a link outside", edit: chain(symlink("COPYING", outside), replace(`requires-python`, "license-files = [\"COPYING\"]\nrequires-python")), stderr: "COPYING is a link to " + outside},
		{name: "sdist-include dir links outside", edit: chain(symlink("more", filepath.Dir(outside)), replace(`sdist-include = [`, `sdist-include = ["more", `)), stderr: "more is a link to"},
		{name: "backend-path climbs out", edit: replace(`backend-path = ["."]`, `backend-path = ["../../../../usr/lib/python3"]`), stderr: `backend-path "../../../../usr/lib/python3" is outside the project`},
		{name: "readme is a FIFO", edit: fifoAt("README.md"), stderr: "readme README.md is not a regular file but a named pipe"},
		{name: "readme links to /dev/zero", edit: symlink("README.md", "/dev/zero"), stderr: "outside the project"},
		{name: "readme not UTF-8", edit: writeFile("README.md", "caf\xe9\n"), stderr: "readme README.md is not UTF-8 text"},
		{name: "classifier forging Requires-Dist", edit: replace(`requires-python`, "classifiers = [\"Foo\\rRequires-Dist: evilpkg\"]\nrequires-python"), stderr: "holds a line break"},
		{name: "requires-python banana", edit: replace(`requires-python = ">=3.6"`, `requires-python = "banana"`), stderr: `requires-python "banana" is not a PEP 440 version specifier set`},
		{name: "dependency not a requirement", edit: replace(`requires-python`, "dependencies = [\"not a requirement!!\"]\nrequires-python"), stderr: `"not a requirement!!" is not a PEP 508 requirement`},
		{name: "requires_python typo", edit: replace(`requires-python`, `requires_python`), stderr: "did you mean requires-python?"},
		{name: "sdist-includes typo", edit: replace(`sdist-include`, `sdist-includes`), stderr: "did you mean sdist-include?"},
		{name: "readme file and text", edit: replace(`readme = "README.md"`, `readme = {file = "README.md", text = "x"}`), stderr: "readme has both file and text"},
		{name: "sdist-include matching nothing", edit: replace(`sdist-include = [`, `sdist-include = ["tests/*.py", `), stderr: `sdist-include "tests/*.py" matches no file`},
		{name: "SOURCE_DATE_EPOCH after 2107", env: []string{"SOURCE_DATE_EPOCH=99999999999"}, stderr: "SOURCE_DATE_EPOCH=99999999999 is after 2107"},
		{name: "TOML error with its line", edit: replace(`version = "0.1.0"`, `version = "0.1.0`), stderr: "line 10"},
		{name: "source is a directory", edit: chain(func(d string) { os.Remove(filepath.Join(d, "m.asm")); os.Mkdir(filepath.Join(d, "m.asm"), 0o755) }), stderr: "source m.asm is a directory, not a file"},
		// Accepted: what is packed.
		{name: "a directory means its files", edit: chain(files("tests/a.py", "tests/sub/b.py", "tests/sub/deep/c.py"), replace(`sdist-include = [`, `sdist-include = ["tests", `)),
			extra: []string{"tests/a.py", "tests/sub/b.py", "tests/sub/deep/c.py"}},
		{name: "** recurses", edit: chain(files("tests/a.py", "tests/sub/b.py", "tests/sub/deep/c.py", "tests/sub/x.txt"), replace(`sdist-include = [`, `sdist-include = ["tests/**/*.py", `)),
			extra: []string{"tests/a.py", "tests/sub/b.py", "tests/sub/deep/c.py"}},
		{name: "license named twice and with dots", edit: chain(files("LICENSE"), replace(`requires-python`, "license = {file = \"LICENSE\"}\nlicense-files = [\"LICENSE\", \"./LICENSE\", \"tests/../LICENSE\"]\nrequires-python"), files("tests/x")),
			extra: []string{"LICENSE"}},
		{name: "non-ASCII and long names", edit: chain(files("docs/ünï.txt", "docs/"+strings.Repeat("n", 110)+".txt"), replace(`sdist-include = [`, `sdist-include = ["docs", `)),
			extra: []string{"docs/" + strings.Repeat("n", 110) + ".txt", "docs/ünï.txt"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := scaffold(t, "m")
			if c.edit != nil {
				c.edit(dir)
			}
			stdout, stderr, code := run(t, dir, c.env, "sdist")
			if c.stderr != "" {
				oneLineError(t, "sdist", stderr, code, c.stderr)
				if _, err := os.Lstat(filepath.Join(dir, "dist")); err == nil {
					t.Errorf("a refused sdist wrote dist/")
				}
				return
			}
			if code != 0 {
				t.Fatalf("sdist: exit %d: %s", code, stderr)
			}
			want := append([]string(nil), base...)
			want = append(want, c.extra...)
			for i := range want {
				want[i] = "m-0.1.0/" + want[i]
			}
			sort.Strings(want)
			if got := sdistMembers(t, filepath.Join(dir, strings.TrimSpace(stdout))); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("packed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestProjectDirNamedLikeAPattern: a project directory named proj[x] packs
// its own files, not its sibling projx's.
func TestProjectDirNamedLikeAPattern(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "proj[x]")
	if _, stderr, code := pyinc(t, "new", "m", dir); code != 0 {
		t.Fatal(stderr)
	}
	files("tests/own.py")(dir)
	files("tests/evil.py")(filepath.Join(parent, "projx"))
	replace(`sdist-include = [`, `sdist-include = ["tests/*.py", `)(dir)
	stdout, stderr, code := run(t, dir, nil, "sdist")
	if code != 0 {
		t.Fatalf("sdist: exit %d: %s", code, stderr)
	}
	got := strings.Join(sdistMembers(t, filepath.Join(dir, strings.TrimSpace(stdout))), " ")
	if !strings.Contains(got, "m-0.1.0/tests/own.py") || strings.Contains(got, "evil") || strings.Contains(got, "..") {
		t.Errorf("packed %s", got)
	}
}

// TestHostileQueries: the interpreter pyinc asks runs isolated, and its
// answers are checked before use.
func TestHostileQueries(t *testing.T) {
	dir := t.TempDir()
	fake := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755)
		return p
	}
	cases := []struct {
		name   string
		args   []string
		stderr string
		env    []string
	}{
		{"no C compiler", []string{"gen", "--include-dir", headerDir(t, "typedef struct S { int a; } S;\n")}, "no C compiler (cc or gcc) on PATH", []string{"PATH=" + t.TempDir(), "CC="}},
		{"CC not a program", []string{"gen", "--include-dir", headerDir(t, "typedef struct S { int a; } S;\n")}, "CC=no-such-cc is not a program on PATH", []string{"CC=no-such-cc"}},
		{"faked suffix", []string{"gen", "--python", fake("suffix", "echo version=3.98.0\necho ext_suffix=.so/../../../tmp/planted\n")}, `EXT_SUFFIX ".so/../../../tmp/planted", which is not one file name's suffix`, nil},
		{"garbage", []string{"gen", "--python", fake("garbage", "echo hello\n")}, "has no version X.Y.Z", nil},
		{"relative include", []string{"gen", "--python", fake("relinc", "echo version=3.98.0\necho include=inc\n")}, `include "inc", which is not an absolute path`, nil},
		{"limited API 3.08", []string{"gen", "--include-dir", headerDir(t, "typedef struct S { int a; } S;\n"), "--limited-api", "3.08"}, "--limited-api 3.08: write the minor version without a leading zero: 3.8", nil},
		{"-D Py_DEBUG=0", []string{"gen", "--include-dir", headerDir(t, "typedef struct S { int a; } S;\n"), "-D", "Py_DEBUG=0"}, "--define Py_DEBUG=0: the headers test only whether Py_DEBUG is defined", nil},
		{"-D with a quote", []string{"gen", "--include-dir", headerDir(t, "typedef struct S { int a; } S;\n"), "-D", `X=a"b`}, `--define X=a"b: the value`, nil},
		{"-D ending in a backslash", []string{"gen", "--include-dir", headerDir(t, "typedef struct S { int a; } S;\n"), "-D", `PY_SSIZE_T_CLEAN=\`}, "is not a C number or name", nil},
	}
	for _, c := range cases {
		out := filepath.Join(t.TempDir(), "python.inc")
		_, stderr, code := run(t, dir, c.env, append(c.args, "-o", out)...)
		oneLineError(t, c.name, stderr, code, c.stderr)
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: wrote %s", c.name, out)
		}
	}
	// build --inplace with the faked suffix: refused, the project as it was.
	proj := scaffold(t, "m")
	before := treeState(t, proj)
	_, stderr, code := run(t, proj, nil, "build", "--inplace", "--python", filepath.Join(dir, "suffix"))
	oneLineError(t, "build --inplace with a faked suffix", stderr, code, "EXT_SUFFIX")
	if after := treeState(t, proj); after != before {
		t.Errorf("the refused build changed the project:\n%s", after)
	}
	if _, err := os.Stat("/tmp/planted"); err == nil {
		t.Errorf("/tmp/planted exists")
	}
}

// TestPlantedModules: a sysconfig.py in the working directory is not run
// by list, gen or build's queries (the interpreters run isolated).
func TestPlantedModules(t *testing.T) {
	py := python3(t)
	dir := t.TempDir()
	marker := filepath.Join(t.TempDir(), "PWNED")
	plant := "open(" + pyString(marker) + ", 'w').close()\n"
	os.WriteFile(filepath.Join(dir, "sysconfig.py"), []byte(plant), 0o644)
	os.WriteFile(filepath.Join(dir, "_sysconfigdata__linux_x86_64-linux-gnu.py"), []byte(plant), 0o644)
	for _, args := range [][]string{{"list"}, {"gen", "--no-cache", "--python", py, "-o", "-"}} {
		// No kept answers: each run asks the interpreter.
		_, stderr, code := run(t, dir, []string{"PYINC_CACHE_DIR=off", "PYTHONPATH=" + dir}, args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatalf("%v ran the planted sysconfig.py", args)
		}
	}
}

func pyString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestDevelopHostile: develop runs pip isolated (a pip.py in the project
// is not run), checks that the module imports from the environment, and
// says what an externally managed Python needs.
func TestDevelopHostile(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	py := python3(t)
	dir := scaffold(t, "devm")
	marker := filepath.Join(t.TempDir(), "PWNED")
	os.WriteFile(filepath.Join(dir, "pip.py"), []byte("open("+pyString(marker)+", 'w').close()\n"), 0o644)
	venv := filepath.Join(t.TempDir(), "venv")
	testutil.Run(t, "", nil, py, "-m", "venv", venv)
	vpy := filepath.Join(venv, "bin", "python")
	stdout, stderr, code := run(t, dir, nil, "develop", "-q", "--python", vpy)
	if code != 0 || !strings.HasSuffix(strings.TrimSpace(stdout), ".whl") {
		t.Fatalf("develop with a pip.py in the project: exit %d, stdout %q: %s", code, stdout, stderr)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("develop ran the project's pip.py")
	}
	if out := testutil.Run(t, t.TempDir(), nil, vpy, "-c", "import devm; print(devm.__file__)"); !strings.HasPrefix(strings.TrimSpace(out), venv) {
		t.Errorf("devm imports from %q, not from the venv", out)
	}
	// A venv without pip.
	bare := filepath.Join(t.TempDir(), "bare")
	testutil.Run(t, "", nil, py, "-m", "venv", "--without-pip", bare)
	_, stderr, code = run(t, dir, nil, "develop", "-q", "--python", filepath.Join(bare, "bin", "python"))
	oneLineError(t, "develop into a venv without pip", stderr, code, "has no pip: run")
	// An externally managed Python (Debian's), when there is one with pip.
	for _, sys := range []string{"/usr/bin/python3"} {
		out, err := exec.Command(sys, "-I", "-c", "import sysconfig, os, pip; print(os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))").Output()
		if err != nil || strings.TrimSpace(string(out)) != "True" {
			t.Logf("%s is not an externally managed Python with pip: that case untested here", sys)
			continue
		}
		_, stderr, code = run(t, dir, nil, "develop", "-q", "--python", sys)
		if code != 2 || !strings.Contains(stderr, "externally managed (PEP 668)") || !strings.Contains(stderr, "-m venv") {
			t.Errorf("develop into %s: exit %d, stderr %q; want the externally managed message", sys, code, stderr)
		}
	}
}

// TestOutputsNotReplaced: gen -o onto a FIFO or a character device writes
// through it and leaves it what it was; onto a socket it is refused.
func TestOutputsNotReplaced(t *testing.T) {
	inc := headerDir(t, "typedef struct S { int a; long b; } S;\n")
	dir := t.TempDir()
	// A FIFO: a reader takes what gen writes.
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	var got []byte
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, _ = os.ReadFile(fifo)
	}()
	_, stderr, code := run(t, dir, nil, "gen", "-q", "--include-dir", inc, "-o", fifo)
	wg.Wait()
	if code != 0 || !strings.Contains(string(got), "STRUC S") {
		t.Errorf("gen -o FIFO: exit %d (%s), the reader got %d bytes", code, stderr, len(got))
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", st.Mode())
	}
	// A device node like /dev/null, made in the temporary directory
	// (never the real /dev).
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, int(mkdev(1, 3))); err != nil {
		t.Logf("mknod: %v: the device case is untested (needs CAP_MKNOD)", err)
	} else {
		_, stderr, code := run(t, dir, nil, "gen", "-q", "--include-dir", inc, "-o", null)
		if code != 0 {
			t.Errorf("gen -o device: exit %d: %s", code, stderr)
		}
		if st, err := os.Lstat(null); err != nil || st.Mode()&fs.ModeCharDevice == 0 {
			t.Errorf("the device node was replaced: %v", st.Mode())
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
	// A link to a regular file keeps its link.
	target := filepath.Join(dir, "real.inc")
	os.WriteFile(target, []byte("old\n"), 0o644)
	link := filepath.Join(dir, "link.inc")
	os.Symlink(target, link)
	if _, stderr, code := run(t, dir, nil, "gen", "-q", "--include-dir", inc, "-o", link); code != 0 {
		t.Errorf("gen -o link: exit %d: %s", code, stderr)
	}
	if st, _ := os.Lstat(link); st.Mode()&fs.ModeSymlink == 0 || !strings.Contains(string(read(t, target)), "STRUC S") {
		t.Errorf("gen -o link replaced the link, or did not write its target")
	}
}

func mkdev(major, minor uint32) uint64 {
	return uint64(major)<<8 | uint64(minor&0xff) | uint64(minor&^0xff)<<12
}

// TestHostileHeaders: headers that would exhaust pyinc (a header
// including itself, a huge one, a FIFO) are refused in one line, under a
// memory limit that the unbounded run would exceed.
// TestHostileAssemblySources: a source that %includes or incbins a FIFO
// is refused in one line before nasm runs (nasm would wait on it for
// ever), with --debug too, which gives nasm the whole include.
func TestHostileAssemblySources(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	for _, c := range []struct {
		name, line, fifo string
		args             []string
	}{
		{"%include", `%include "pipe.inc"`, "pipe.inc", nil},
		{"%include --debug", `%include "pipe.inc"`, "pipe.inc", []string{"--debug"}},
		{"incbin", "section .rodata\nblob: incbin \"pipe.bin\"\nsection .text", "pipe.bin", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := scaffold(t, "m")
			replace2("m.asm", `%include "python.inc"`, `%include "python.inc"`+"\n"+c.line)(dir)
			fifoAt(c.fifo)(dir)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var e bytes.Buffer
			cmd := exec.CommandContext(ctx, testutil.Pyinc(t), append([]string{"build", "--no-cache"}, c.args...)...)
			cmd.Dir, cmd.Stderr = dir, &e
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if ctx.Err() != nil {
				t.Fatalf("pyinc build did not end: nasm waits on the FIFO")
			}
			oneLineError(t, "build", e.String(), code, c.fifo+" is not a regular file but a named pipe")
			if _, err := os.Lstat(filepath.Join(dir, "dist")); err == nil {
				t.Errorf("a refused build wrote dist/")
			}
		})
	}
}

func TestHostileHeaders(t *testing.T) {
	testutil.NeedTools(t, "sh")
	cases := []struct {
		name  string
		files map[string]string
		prep  func(dir string)
		want  string
		made  string // accepted: the include holds it
	}{
		{name: "includes itself", files: map[string]string{"Python.h": "#include \"self.h\"\n", "self.h": "#include \"self.h\"\nint x;\n"},
			want: "#include nested more than 200 deep: Python.h -> self.h"},
		{name: "two include each other", files: map[string]string{"Python.h": "#include \"a.h\"\n", "a.h": "#include \"b.h\"\n", "b.h": "#include \"a.h\"\n"},
			want: "#include nested more than 200 deep: Python.h -> a.h -> b.h"},
		// The front end starts while the compiler still reads: an #include
		// it cannot follow before the compiler's verdict is in makes it
		// wait for it, as a cycle does.
		{name: "includes itself through a macro", files: map[string]string{"Python.h": "#include \"self.h\"\n", "self.h": "#define SELF \"self.h\"\n#include SELF\nint x;\n"},
			want: "#include nested more than 200 deep: Python.h -> self.h"},
		{name: "includes itself after a comment", files: map[string]string{"Python.h": "#include \"self.h\"\n", "self.h": "/**/#include \"self.h\"\nint x;\n"},
			want: "#include nested more than 200 deep: Python.h -> self.h"},
		{name: "includes itself through a comment", files: map[string]string{"Python.h": "#include \"self.h\"\n", "self.h": "# /* c */ include \"self.h\"\nint x;\n"},
			want: "#include nested more than 200 deep: Python.h -> self.h"},
		{name: "includes itself over a continued line", files: map[string]string{"Python.h": "#include \"self.h\"\n", "self.h": "#\\\ninclude \"self.h\"\nint x;\n"},
			want: "#include nested more than 200 deep: Python.h -> self.h"},
		{name: "a cycle with a system header in it", files: map[string]string{"Python.h": "#include \"a.h\"\n", "a.h": "#include <stddef.h>\n#include \"b.h\"\n", "b.h": "#include <limits.h>\n#include \"a.h\"\n"},
			want: "#include nested more than 200 deep: Python.h -> a.h -> b.h"},
		// Accepted, as gcc accepts them: headers that include each other
		// under #pragma once, which the C front end alone would follow
		// without end.
		{name: "a #pragma once cycle", files: map[string]string{"Python.h": "#include \"a.h\"\n", "a.h": "#pragma once\n#include \"b.h\"\n#define A_VAL 1\n", "b.h": "// b\n#pragma once\n#include \"a.h\"\n#define B_VAL 2\n"},
			made: "%define B_VAL 2"},
		{name: "a #pragma once self-include", files: map[string]string{"Python.h": "#include \"self.h\"\n", "self.h": "#pragma once\n#include \"self.h\"\n#define S_VAL 3\n"},
			made: "%define S_VAL 3"},
		{name: "huge header", files: map[string]string{"Python.h": "#include \"big.h\"\n", "big.h": ""},
			prep: func(dir string) { os.Truncate(filepath.Join(dir, "big.h"), 20<<20) }, want: "big.h is larger than 16 MiB"},
		{name: "FIFO header", files: map[string]string{"Python.h": "#include \"pipe.h\"\n"},
			prep: func(dir string) { syscall.Mkfifo(filepath.Join(dir, "pipe.h"), 0o644) }, want: "pipe.h is not a regular file but a named pipe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := headerDir(t, c.files["Python.h"])
			for n, text := range c.files {
				os.WriteFile(filepath.Join(dir, n), []byte(text), 0o644)
			}
			if c.prep != nil {
				c.prep(dir)
			}
			out := filepath.Join(t.TempDir(), "python.inc")
			// 2 GB of address space: the unbounded run grew to 24 GB.
			cmd := exec.Command("sh", "-c", `ulimit -v 2000000; exec "$0" "$@"`, testutil.Pyinc(t), "gen", "--no-cache", "--include-dir", dir, "-o", out)
			var e bytes.Buffer
			cmd.Stderr = &e
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if c.made != "" {
				if inc, _ := os.ReadFile(out); code != 0 || !bytes.Contains(inc, []byte(c.made)) {
					t.Errorf("%s: exit %d, stderr %q; want the include, with %q", c.name, code, e.String(), c.made)
				}
				return
			}
			oneLineError(t, c.name, e.String(), code, c.want)
			if _, err := os.Stat(out); err == nil {
				t.Errorf("wrote %s", out)
			}
		})
	}
}

// TestHostileEnvironment: a TMPDIR that is gone is named, with the fix;
// a concurrent gen onto one output leaves a whole file; corrupted cache
// entries are ignored (cases that held before issue 23, kept here).
func TestHostileEnvironment(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	python3(t)
	dir := scaffold(t, "m")
	_, stderr, code := run(t, dir, []string{"TMPDIR=/nonexistent"}, "build", "--no-cache")
	oneLineError(t, "missing TMPDIR", stderr, code, "the temporary directory TMPDIR=/nonexistent is not a directory: point TMPDIR at a writable directory")
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
		t.Errorf("a refused build wrote dist/")
	}
	// Concurrent builds of one project: each succeeds, and the wheel is
	// whole.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, codes[i] = run(t, dir, nil, "build", "-q")
		}()
	}
	wg.Wait()
	wheels, _ := filepath.Glob(filepath.Join(dir, "dist", "*.whl"))
	if !slices.Equal(codes, []int{0, 0}) || len(wheels) != 1 {
		t.Fatalf("concurrent builds: exits %v, wheels %v", codes, wheels)
	}
	if zr, err := zip.OpenReader(wheels[0]); err != nil {
		t.Errorf("the wheel of concurrent builds: %v", err)
	} else {
		zr.Close()
	}
	// A read-only project with --inplace is not told to use -o.
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
		_, stderr, code = run(t, dir, nil, "build", "--inplace")
		oneLineError(t, "read-only --inplace", stderr, code, "make the project directory writable")
	}
}

// TestConcurrentAndCorrupted: gens racing onto one file leave a whole
// include; garbage in every cache entry is ignored.
func TestConcurrentAndCorrupted(t *testing.T) {
	inc := headerDir(t, "typedef struct S { int a; long b; } S;\n")
	cache := t.TempDir()
	out := filepath.Join(t.TempDir(), "python.inc")
	env := []string{"PYINC_CACHE_DIR=" + cache}
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, codes[i] = run(t, "", env, "gen", "-q", "--include-dir", inc, "-o", out)
		}()
	}
	wg.Wait()
	whole := string(read(t, out))
	if !slices.Equal(codes, []int{0, 0, 0, 0}) || !strings.HasSuffix(whole, "%endif ; PYINC_PYTHON_INC\n") {
		t.Errorf("concurrent gens: exits %v, output whole: %v", codes, strings.HasSuffix(whole, "%endif ; PYINC_PYTHON_INC\n"))
	}
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.WriteFile(p, []byte("garbage"), 0o644)
		}
		return nil
	})
	if _, stderr, code := run(t, "", env, "gen", "-q", "--include-dir", inc, "-o", out); code != 0 || string(read(t, out)) != whole {
		t.Errorf("gen over corrupted cache entries: exit %d (%s), same include: %v", code, stderr, string(read(t, out)) == whole)
	}
}

func symlink(name, target string) func(string) {
	return func(dir string) {
		os.Remove(filepath.Join(dir, name))
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			panic(err)
		}
	}
}

func fifoAt(name string) func(string) {
	return func(dir string) {
		os.Remove(filepath.Join(dir, name))
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			panic(err)
		}
	}
}

func files(names ...string) func(string) {
	return func(dir string) {
		for _, n := range names {
			os.MkdirAll(filepath.Join(dir, filepath.Dir(n)), 0o755)
			os.WriteFile(filepath.Join(dir, n), []byte("x\n"), 0o644)
		}
	}
}

func chain(edits ...func(string)) func(string) {
	return func(dir string) {
		for _, e := range edits {
			e(dir)
		}
	}
}
