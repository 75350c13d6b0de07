package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

// TestTargetFlagErrors: an unknown target, or a Windows target without a
// Windows configuration header, is one line naming the fix, exit 2, and
// nothing written.
func TestTargetFlagErrors(t *testing.T) {
	dir := t.TempDir()
	inc := filepath.Join(dir, "python3.99")
	os.Mkdir(inc, 0o755)
	os.WriteFile(filepath.Join(inc, "Python.h"), []byte("#include \"patchlevel.h\"\n"), 0o644)
	os.WriteFile(filepath.Join(inc, "patchlevel.h"), []byte("#define PY_MAJOR_VERSION 3\n#define PY_MINOR_VERSION 99\n#define PY_MICRO_VERSION 0\n#define PY_VERSION \"3.99.0\"\n"), 0o644)
	os.WriteFile(filepath.Join(inc, "pyconfig.h"), []byte("#define HAVE_UNISTD_H 1\n"), 0o644)
	out := filepath.Join(dir, "out.inc")
	os.WriteFile(filepath.Join(dir, "a.inc"), nil, 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"gen", "--target", "win64", "--include-dir", inc, "-o", out}, "unknown target \"win64\": use one of linux-x86_64, windows-x86_64"},
		{[]string{"gen", "--target", "windows-x86_64", "--include-dir", inc, "-o", out}, "have no Windows configuration header: pass --pyconfig FILE"},
		{[]string{"diff", "--to-target", "windows-x86_64", filepath.Join(dir, "a.inc"), "b.inc"}, "b.inc is an include file: configuration flags do not apply to it"},
		{[]string{"gen", "--target", "windows-x86_64", "--pyconfig", filepath.Join(dir, "missing.h"), "--include-dir", inc, "-o", out}, "cannot read the configuration header"},
		{[]string{"gen", "--all", "--target", "windows-x86_64", "-o", dir}, "--all generates for this machine's Pythons"},
		{[]string{"show", "PyObject", "--across", "--target", "windows-x86_64"}, "--across shows this machine's Pythons"},
	} {
		_, stderr, code := pyinc(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("pyinc %v: exit %d, stderr %q; want one line with %q", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused gen wrote its output")
	}
}

// TestTargetCompletion: --target and diff's --from-/--to-target offer the
// target names.
func TestTargetCompletion(t *testing.T) {
	for _, args := range [][]string{{"gen", "--target", ""}, {"show", "--target", ""}, {"diff", "--to-target", ""}, {"diff", "--from-target", ""}} {
		out, _, code := pyinc(t, append([]string{"__complete"}, args...)...)
		if code != 0 || !strings.Contains(out, "linux-x86_64\n") || !strings.Contains(out, "windows-x86_64\n") {
			t.Errorf("__complete %v: exit %d:\n%s", args, code, out)
		}
	}
}

// TestGenWindowsFromSource: gen --target windows-x86_64 with a source
// tree's Include/ finds the tree's PC/pyconfig.h(.in), names the target in
// the include and makes an include nasm -f win64 assembles (and nasm -f
// elf64 refuses, saying why); show and diff take the target too.
func TestGenWindowsFromSource(t *testing.T) {
	testutil.NeedTools(t, "x86_64-w64-mingw32-gcc", "nasm")
	srcs := testutil.SourceTrees()
	var src string
	for _, d := range srcs {
		if m, _ := filepath.Glob(filepath.Join(d, "Python-3.13.*", "PC", "pyconfig.h.in")); len(m) > 0 {
			src = filepath.Dir(filepath.Dir(m[0]))
		}
	}
	if src == "" {
		t.Skip("no CPython 3.13 source tree (make pythons fetches it into .cache/src)")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "python.inc")
	_, stderr, code := pyinc(t, "gen", "--no-cache", "--target", "windows-x86_64", "--include-dir", filepath.Join(src, "Include"), "-o", out)
	if code != 0 {
		t.Fatalf("gen: exit %d: %s", code, stderr)
	}
	inc, _ := os.ReadFile(out)
	for _, want := range []string{"; Target ABI: x86-64 Microsoft x64 (LLP64, PE/COFF)\n", "EXTERN __imp_PyLong_FromLong ; PyObject *PyLong_FromLong(long) ; args rcx; returns rax\n", "    .tp_flags:              resd 1 ; unsigned long @168\n"} {
		if !strings.Contains(string(inc), want) {
			t.Errorf("the include lacks %q", want)
		}
	}
	asm := filepath.Join(dir, "m.asm")
	os.WriteFile(asm, []byte("%include \"python.inc\"\nsection .text\nglobal f\nPY_FUNC f, 8\n    PY_ADDR rax, Py_None\n    Py_INCREF rax\n    PY_CALL PyLong_FromLong\n    PY_EPILOGUE\nPY_ENDFUNC\n"), 0o644)
	if b, err := exec.Command("nasm", "-f", "win64", "-I", dir+"/", "-o", filepath.Join(dir, "m.obj"), asm).CombinedOutput(); err != nil {
		t.Errorf("nasm -f win64: %v\n%s", err, b)
	}
	b, err := exec.Command("nasm", "-f", "elf64", "-I", dir+"/", "-o", filepath.Join(dir, "m.o"), asm).CombinedOutput()
	if err == nil || !strings.Contains(string(b), "assemble with nasm -f win64") {
		t.Errorf("nasm -f elf64 of the Windows include: %v\n%s", err, b)
	}
	stdout, stderr, code := pyinc(t, "show", "PyTypeObject", "--target", "windows-x86_64", "--pyconfig", filepath.Join(src, "PC", "pyconfig.h.in"), "--python", "3.13")
	if code == 0 && !strings.Contains(stdout, "tp_flags                  unsigned long") && !strings.Contains(stdout, "   168     4  tp_flags") {
		t.Errorf("show --target windows-x86_64: tp_flags is not 4 bytes at 168:\n%s", stdout)
	} else if code != 0 && !strings.Contains(stderr, "3.13") {
		t.Errorf("show: exit %d: %s", code, stderr)
	}
}
