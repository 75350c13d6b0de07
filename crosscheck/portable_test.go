package crosscheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

// portableSource is one assembly source for every target: its function
// takes four arguments through PY_ARG1..PY_ARG4, keeps them in rbx, r13,
// r14 (saved by PY_FUNC on both targets) and in its locals across a call,
// uses rsi and rdi (callee-saved on Windows, which PY_FUNC saves there;
// gone after a call on Linux), and returns their sum plus 1000 times rsp
// mod 16 at the call.
const portableSource = `%include "python.inc"
section .text
global portable_sum
extern portable_twice
PY_FUNC portable_sum, 24
    mov [rsp + PY_SHADOW], PY_ARG4
    mov rbx, PY_ARG1
    mov r13, PY_ARG2
    mov r14, PY_ARG3
    mov rsi, -1
    mov rdi, -1
    mov r12, rsp
    and r12, 15
    imul r12, r12, 1000
    mov PY_ARG1, 21
    call portable_twice
    add rax, rbx
    add rax, r13
    add rax, r14
    add rax, [rsp + PY_SHADOW]
    add rax, r12
    PY_EPILOGUE
PY_ENDFUNC
`

// portableMain calls the function with callee-saved registers in use, as
// the compiler keeps its own values in them, and checks them after.
const portableMain = `#include <stdio.h>
long portable_sum(long, long, long, long);
long portable_twice(long x) { return 2 * x; }
int main(void) {
	register long a __asm__("rbx") = 11, b __asm__("r12") = 12, c __asm__("r13") = 13;
	register long d __asm__(SAVED1) = 14, e __asm__(SAVED2) = 15;
	__asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e));
	long r = portable_sum(1, 20, 300, 4000);
	__asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e));
	printf("%ld %ld %ld %ld %ld %ld\n", r, a, b, c, d, e);
	return 0;
}
`

// portableWant is what the program prints: 42 + 1 + 20 + 300 + 4000 with
// rsp aligned at the call, and the caller's registers as it left them.
const portableWant = "4363 11 12 13 14 15"

// TestPortableMacrosLinux runs the portable source on Linux: the
// arguments arrive, the frame is aligned for a call, the locals and saved
// registers survive it, and the caller's registers are as it left them.
func TestPortableMacrosLinux(t *testing.T) {
	needTools(t, "gcc", "nasm")
	r := testutil.Generate(t, "3.12")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "python.inc"), r.Include, 0o644)
	os.WriteFile(filepath.Join(dir, "p.asm"), []byte(portableSource), 0o644)
	// The callee-saved registers of System V beyond rbx and r12-r13.
	main := strings.NewReplacer("SAVED1", `"r14"`, "SAVED2", `"r15"`).Replace(portableMain)
	os.WriteFile(filepath.Join(dir, "main.c"), []byte(main), 0o644)
	for _, c := range [][]string{
		{"nasm", "-f", "elf64", "-I", dir + "/", "-o", filepath.Join(dir, "p.o"), filepath.Join(dir, "p.asm")},
		{"gcc", "-O1", "-o", filepath.Join(dir, "p"), filepath.Join(dir, "main.c"), filepath.Join(dir, "p.o")},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "p")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != portableWant {
		t.Errorf("got %q, want %q", got, portableWant)
	}
}

// TestPortableMacrosWindows runs the same source built for Windows (mingw
// gcc's C, nasm -f win64) under Wine.
func TestPortableMacrosWindows(t *testing.T) {
	tg := windowsTarget()
	needGCC(t, tg.CrossCC, "nasm", "wine")
	py := windowsPython(t, "Python-3.13.15", "PC/pyconfig.h.in")
	r := runFor(t, py, tg)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "python.inc"), r.Include, 0o644)
	os.WriteFile(filepath.Join(dir, "p.asm"), []byte(portableSource), 0o644)
	// rsi and rdi are callee-saved on Windows: the caller keeps values there.
	main := strings.NewReplacer("SAVED1", `"rsi"`, "SAVED2", `"rdi"`).Replace(portableMain)
	os.WriteFile(filepath.Join(dir, "main.c"), []byte(main), 0o644)
	exe := filepath.Join(dir, "p.exe")
	for _, c := range [][]string{
		{"nasm", "-f", "win64", "-I", dir + "/", "-o", filepath.Join(dir, "p.obj"), filepath.Join(dir, "p.asm")},
		{tg.CrossCC, "-O1", "-o", exe, filepath.Join(dir, "main.c"), filepath.Join(dir, "p.obj")},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	out, err := wineRun(exe)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != portableWant {
		t.Errorf("got %q, want %q", got, portableWant)
	}
}
