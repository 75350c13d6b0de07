package crosscheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/layout"
)

// refcountAsm wraps the include's macros in functions C can call, each
// macro with the object in rdi and in other registers: at zero,
// Py_DECREF moves its register into rdi for the deallocator; r11 is the
// free-threaded macros' scratch register, which they then trade for r10.
const refcountAsm = `%include "python.inc"
section .text
global asm_incref, asm_incref_rax, asm_xincref_rsi, asm_decref, asm_decref_rax, asm_xdecref_rsi
global asm_incref_r11, asm_decref_r11
asm_incref_r11:
    mov r11, rdi
    Py_INCREF r11
    ret
asm_decref_r11:
    sub rsp, 8
    mov r11, rdi
    Py_DECREF r11
    add rsp, 8
    ret
asm_incref:
    Py_INCREF rdi
    ret
asm_incref_rax:
    mov rax, rdi
    Py_INCREF rax
    ret
asm_xincref_rsi:
    mov rsi, rdi
    Py_XINCREF rsi
    ret
asm_decref:
    sub rsp, 8                  ; a call to the deallocator needs rsp aligned
    Py_DECREF rdi
    add rsp, 8
    ret
asm_decref_rax:
    sub rsp, 8
    mov rax, rdi
    Py_DECREF rax
    add rsp, 8
    ret
asm_xdecref_rsi:
    sub rsp, 8
    mov rsi, rdi
    Py_XDECREF rsi
    add rsp, 8
    ret
`

// refcountStub stands in for libpython's _Py_Dealloc, which the headers'
// Py_DECREF and the include's call at zero from 3.8 on; it is a file of its
// own because older headers define _Py_Dealloc as a macro.
const refcountStub = `extern int deallocs;
extern void *deallocated;
void _Py_Dealloc(void *op) { deallocs++; deallocated = op; }
`

// refcounts are the raw 64-bit counts each macro starts from: the
// boundaries of every scheme (the 32-bit halves; 3.14's immortal start,
// 3 << 30; 3.12's saturated low half, 0xFFFFFFFF) and their neighbours.
var refcounts = []uint64{
	1, 2, 3, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xbfffffff, 0xc0000000,
	0xc0000001, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 0x1fffffffe, 0x1ffffffff,
	0x7fffffff00000000, 0x7ffffffffffffffe,
}

// refcountMacros are the pairs refcountProgram compares per count.
const refcountMacros = 8

// refcountProgram sets the headers' Py_INCREF and Py_DECREF, compiled by
// gcc, against the include's, from each of refcounts (the C array COUNTS).
// Both must leave the same object, byte for byte, and call the deallocator
// alike, on that object; and where C does not write the object (an
// immortal one), neither may NASM: each side also runs, in a child
// process, on an object in a read-only page, and NASM may fault only where
// C does. Writing an immortal object, even to undo the write, races with
// other interpreters' threads and dirties memory shared after fork.
// refcountPrelude declares both sides of the refcount checks: the NASM
// macros under test (assembled by the test) and the headers' own in C.
const refcountPrelude = `
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

void asm_incref(PyObject *), asm_incref_rax(PyObject *), asm_xincref_rsi(PyObject *), asm_incref_r11(PyObject *);
void asm_decref(PyObject *), asm_decref_rax(PyObject *), asm_xdecref_rsi(PyObject *), asm_decref_r11(PyObject *);
static void c_incref(PyObject *op) { Py_INCREF(op); }
static void c_xincref(PyObject *op) { Py_XINCREF(op); }
static void c_decref(PyObject *op) { Py_DECREF(op); }
static void c_xdecref(PyObject *op) { Py_XDECREF(op); }
`

const refcountProgram = refcountPrelude + `
int deallocs;
void *deallocated;
static void count_dealloc(PyObject *op) { deallocs++; deallocated = op; }
static PyTypeObject fake_type; /* what a Py_DECREF at zero reaches through ob_type */

static void set_count(PyObject *op, uint64_t count)
{
    memset(op, 0, sizeof *op);
    memcpy((char *)op + offsetof(PyObject, ob_refcnt), &count, 8);
    op->ob_type = &fake_type;
}

static uint64_t count_of(PyObject *op)
{
    uint64_t c;
    memcpy(&c, (char *)op + offsetof(PyObject, ob_refcnt), 8);
    return c;
}

/* faults runs f on an object with the count in a read-only page, in a
 * child, and reports whether it died. */
static int faults(void (*f)(PyObject *), uint64_t count)
{
    pid_t pid = fork();
    if (pid == 0) {
        PyObject *op = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        set_count(op, count);
        mprotect(op, 4096, PROT_READ);
        f(op);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static const uint64_t counts[] = {COUNTS};
static int bad, checked, readonly;

static void compare(const char *what, void (*c)(PyObject *), void (*nasm)(PyObject *), uint64_t count)
{
    PyObject a, b;
    set_count(&a, count);
    set_count(&b, count);
    deallocs = 0, deallocated = NULL;
    c(&a);
    int c_deallocs = deallocs;
    void *c_deallocated = deallocated;
    deallocs = 0, deallocated = NULL;
    nasm(&b);
    checked++;
    if (memcmp(&a, &b, sizeof a) != 0 || c_deallocs != deallocs) {
        printf("%s from count %#llx: C leaves count %#llx (%d dealloc), NASM %#llx (%d dealloc)%s\n", what,
               (unsigned long long)count, (unsigned long long)count_of(&a), c_deallocs,
               (unsigned long long)count_of(&b), deallocs, count_of(&a) == count_of(&b) ? ", and other bytes differ" : "");
        bad = 1;
    }
    if (c_deallocated != (deallocs ? (void *)&a : NULL) || deallocated != (deallocs ? (void *)&b : NULL)) {
        printf("%s from count %#llx: the deallocator got %p from C (object %p), %p from NASM (object %p)\n", what,
               (unsigned long long)count, c_deallocated, (void *)&a, deallocated, (void *)&b);
        bad = 1;
    }
    if (!faults(c, count)) {
        readonly++;
        if (faults(nasm, count)) {
            printf("%s from count %#llx: C leaves the object unwritten, NASM writes it\n", what, (unsigned long long)count);
            bad = 1;
        }
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0); /* what is printed survives a crash */
    fake_type.tp_dealloc = count_dealloc;
    c_xincref(NULL), asm_xincref_rsi(NULL), c_xdecref(NULL), asm_xdecref_rsi(NULL); /* no crash */
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        compare("Py_INCREF", c_incref, asm_incref, counts[i]);
        compare("Py_INCREF rax", c_incref, asm_incref_rax, counts[i]);
        compare("Py_XINCREF rsi", c_xincref, asm_xincref_rsi, counts[i]);
        compare("Py_INCREF r11", c_incref, asm_incref_r11, counts[i]);
        compare("Py_DECREF", c_decref, asm_decref, counts[i]);
        compare("Py_DECREF rax", c_decref, asm_decref_rax, counts[i]);
        compare("Py_XDECREF rsi", c_xdecref, asm_xdecref_rsi, counts[i]);
        compare("Py_DECREF r11", c_decref, asm_decref_r11, counts[i]);
    }
    printf("checked %d, %d of them read-only\n", checked, readonly);
    return bad;
}
`

// TestRefcountMacros checks the include's inline reference counting
// against gcc for every Python found, the tree's too: refcountProgram.
// Each Python is checked as built, with Py_TRACE_REFS and, from 3.13,
// free-threaded (Py_GIL_DISABLED: biased counting, biasedProgram);
// schemes that call the exported functions (debug and limited-API builds)
// have nothing inline to check.
func TestRefcountMacros(t *testing.T) {
	needTools(t, "gcc", "nasm")
	kinds := map[layout.RefKind]bool{}
	check := func(t *testing.T, pys []*cparse.Python) {
		for _, py := range pys {
			// Py_TRACE_REFS puts two pointers before the count; from 3.12
			// it no longer implies calls.
			for _, v := range []struct {
				name    string
				defines []cparse.Define
			}{{"", nil}, {"/tracerefs", []cparse.Define{{Name: "Py_TRACE_REFS", Value: "1"}}},
				{"/freethreaded", []cparse.Define{{Name: "Py_GIL_DISABLED", Value: "1"}}}} {
				if v.name == "/freethreaded" && (testutil.HasDefine(py, "Py_GIL_DISABLED") || !atLeast313(py)) {
					continue // as built already, or no free-threaded headers
				}
				r, err := pipeline.Run(py, v.defines)
				if err != nil && strings.Contains(err.Error(), "refuse this configuration") {
					t.Run(testName(py)+v.name, func(t *testing.T) { t.Skipf("the headers refuse it: %v", err) })
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				rc := r.Model.RefCount
				if rc == nil || rc.Kind == layout.RefCall {
					continue
				}
				kinds[rc.Kind] = true
				t.Run(testName(py)+v.name, func(t *testing.T) {
					t.Parallel()
					if rc.Kind == layout.RefBiased {
						checkBiased(t, r.Unit, r.Include)
						return
					}
					checkRefcount(t, r.Unit, r.Include, rc.Kind != layout.RefPlain)
				})
			}
		}
	}
	check(t, installed(t))
	t.Run("tree", func(t *testing.T) { check(t, testutil.TreePythons(t)) })
	for k, name := range map[layout.RefKind]string{layout.RefPlain: "plain", layout.RefSplit: "3.12-split", layout.RefU32: "3.14-u32", layout.RefBiased: "free-threaded"} {
		if !kinds[k] {
			t.Run("missing-"+name, func(t *testing.T) { t.Skipf("no Python here counts references the %s way: not checked", name) })
		}
	}
}

// atLeast313 reports whether py is CPython 3.13 or newer, whose headers
// have a free-threaded configuration.
func atLeast313(py *cparse.Python) bool {
	var major, minor int
	fmt.Sscanf(py.Version, "%d.%d", &major, &minor)
	return major > 3 || major == 3 && minor >= 13
}

// checkRefcount runs refcountProgram for one include; immortal says the
// scheme has immortal objects, so that some counts must leave C's object
// unwritten (and none may in a plain count).
func checkRefcount(t *testing.T, u *cparse.Unit, inc []byte, immortal bool) {
	dir := t.TempDir()
	for name, text := range map[string]string{"python.inc": string(inc), "rc.asm": refcountAsm, "stub.c": refcountStub} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Run(t, dir, nil, "nasm", "-w+error", "-f", "elf64", "-o", "rc.o", "rc.asm")
	testutil.Run(t, dir, nil, "gcc", "-c", "-o", "stub.o", "stub.c")
	var counts []string
	for _, c := range refcounts {
		counts = append(counts, fmt.Sprintf("%#x", c))
	}
	program := strings.Replace(refcountProgram, "COUNTS", strings.Join(counts, ", "), 1)
	out, err := RunC(u, program, dir, filepath.Join(dir, "rc.o"), filepath.Join(dir, "stub.o"))
	text := strings.TrimSpace(string(out))
	if err != nil {
		t.Fatalf("the refcount check failed (what it printed, then the error):\n%s\n%v", text, err)
	}
	var checked, readonly int
	fmt.Sscanf(text, "checked %d, %d of them read-only", &checked, &readonly)
	if want := refcountMacros * len(refcounts); checked != want {
		t.Fatalf("%d cases checked, want %d: %s", checked, want, text)
	}
	if immortal != (readonly > 0) {
		t.Fatalf("%d cases left C's object unwritten; want them %s for this scheme", readonly, map[bool]string{true: "some", false: "none"}[immortal])
	}
	t.Log(text)
}
