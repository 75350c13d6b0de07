package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyinc/pyinc/internal/testutil"
)

// headerDir makes an include directory holding Python.h with text.
func headerDir(t *testing.T, text string) string {
	dir := filepath.Join(t.TempDir(), "python3.98")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "patchlevel.h"), []byte("#define PY_VERSION \"3.98.0\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Python.h"), []byte(text), 0o644)
	return dir
}

func TestBadHeaders(t *testing.T) {
	out := filepath.Join(t.TempDir(), "python.inc")
	os.WriteFile(out, []byte("old\n"), 0o644)
	for _, c := range []struct {
		name, header, want string
	}{
		{"syntax-error", "typedef struct S {\n\tint a;\n\tint b c;\n} S;\n", "Python.h:3:"},
		{"error-directive", "#ifndef HAVE_IT\n#error \"this platform is not supported\"\n#endif\n", `Python.h:2: #error "this platform is not supported"`},
		{"missing-include", "#include <no_such_header_pyinc.h>\n", "no_such_header_pyinc.h"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := pyinc(t, "gen", "--include-dir", headerDir(t, c.header), "-o", out)
			checkError(t, stderr, code, c.want)
			if b, _ := os.ReadFile(out); string(b) != "old\n" {
				t.Errorf("output file changed")
			}
		})
	}
}

// TestNameCollisions: names that would collide in NASM are reported and
// the later one left out, never silently redefined; the include assembles.
func TestNameCollisions(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	dir := headerDir(t, `
#define Foo_size 3
typedef struct Foo { int a; } Foo;
typedef struct Bar { int f_UNIT; unsigned f : 3; } Bar;
`)
	out := filepath.Join(t.TempDir(), "python.inc")
	_, stderr, code := pyinc(t, "gen", "--include-dir", dir, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"warning: struct Foo left out: the NASM name Foo_size is already constant Foo_size",
		"warning: bitfield Bar.f left out: the NASM name Bar.f_UNIT is already member Bar.f_UNIT",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	inc, _ := os.ReadFile(out)
	if !strings.Contains(string(inc), "; struct Foo left out: the NASM name Foo_size") {
		t.Errorf("the include does not say what it left out")
	}
	probe := filepath.Join(filepath.Dir(out), "p.asm")
	os.WriteFile(probe, []byte("%include \"python.inc\"\nsection .data\ndq Foo_size, Bar.f_UNIT, Bar_size\n"), 0o644)
	if b, err := exec.Command("nasm", "-f", "elf64", "-I", filepath.Dir(out)+"/", "-o", probe+".o", probe).CombinedOutput(); err != nil {
		t.Fatalf("the include does not assemble: %v\n%s", err, b)
	}
}

// TestInterrupt sends SIGINT, SIGTERM and SIGHUP at different moments of
// a run: pyinc exits 130, 143 or 129 as shells expect (or 0 if it had finished), and the
// output file is the old one or the whole new one, never a part, with no
// temporary file left behind. A signal that comes while the Go runtime is
// still starting, before pyinc's handler exists, ends the process by the
// signal; it must not have touched the file.
func TestInterrupt(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}, {syscall.SIGHUP, 129}} {
		t.Run(c.sig.String(), func(t *testing.T) { interruptRuns(t, c.sig, c.code) })
	}
}

func interruptRuns(t *testing.T, sig syscall.Signal, want int) {
	py := pythons(t)[0]
	dir := t.TempDir()
	out := filepath.Join(dir, "python.inc")
	bin := testutil.Pyinc(t)
	handled := 0
	for i, delay := range []time.Duration{5, 30, 80, 150, 250, 400, 600, 900} {
		os.WriteFile(out, []byte("old\n"), 0o644)
		cmd := exec.Command(bin, "gen", "-q", "--no-cache", "--python", py.Interpreter, "-o", out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == sig {
				code = -int(sig) // before pyinc's handler
			}
		}
		b, _ := os.ReadFile(out)
		complete := strings.HasSuffix(string(b), "%endif ; PYINC_PYTHON_INC\n")
		if code == want {
			handled++
		}
		switch {
		case code == -int(sig) && string(b) != "old\n":
			t.Errorf("run %d: killed before pyinc's handler, yet the output file changed", i)
		case code != 0 && code != want && code != -int(sig):
			t.Errorf("run %d (%v after %v): exit %d, want %d or 0", i, sig, delay*time.Millisecond, code, want)
		case string(b) != "old\n" && !complete:
			t.Errorf("run %d: the output file is neither the old one nor a whole include (%d bytes)", i, len(b))
		case code == want && string(b) != "old\n":
			t.Errorf("run %d: interrupted, yet the output file changed", i)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
			t.Errorf("run %d: temporary files left: %v", i, left)
		}
	}
	if handled == 0 {
		t.Errorf("no run was ended by pyinc's own handler (exit %d): the handler went untested", want)
	}
}

// TestLeftOut: what pyinc cannot state correctly is left out, with a
// comment in the include and a warning, and the rest still assembles.
func TestLeftOut(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	dir := headerDir(t, `
typedef struct __attribute__((packed)) P { char c; unsigned long long wide : 40; } P;
#define P_BYTES (sizeof(P) * 2)
#define PLAIN 7
`)
	out := filepath.Join(t.TempDir(), "python.inc")
	_, stderr, code := pyinc(t, "gen", "--include-dir", dir, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	inc, _ := os.ReadFile(out)
	for _, want := range []string{
		"bitfield P.wide (width 40 at bit 8): no load of 1, 2, 4 or 8 bytes inside the struct reads it",
		"macro P_BYTES: left out, its value depends on the layout of P",
	} {
		if !strings.Contains(stderr, "warning: "+want) || !strings.Contains(string(inc), "; "+want) {
			t.Errorf("want %q as a warning and in the include; stderr:\n%s", want, stderr)
		}
	}
	if !strings.Contains(string(inc), "%define PLAIN 7") || !strings.Contains(string(inc), "STRUC P\n") {
		t.Errorf("what could be stated was left out too")
	}
	probe := filepath.Join(filepath.Dir(out), "p.asm")
	os.WriteFile(probe, []byte("%include \"python.inc\"\nsection .data\ndq P_size, P.c, PLAIN\n"), 0o644)
	if b, err := exec.Command("nasm", "-f", "elf64", "-I", filepath.Dir(out)+"/", "-o", probe+".o", probe).CombinedOutput(); err != nil {
		t.Fatalf("the include does not assemble: %v\n%s", err, b)
	}
}
