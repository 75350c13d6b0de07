package crosscheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/testutil"
)

// biasedStub stands in for libpython's functions the free-threaded
// Py_DECREF calls: each notes which was called, on what.
const biasedStub = `extern int calls, which;
extern void *called_on;
void _Py_MergeZeroLocalRefcount(void *op) { calls++; which = 1; called_on = op; }
void _Py_DecRefShared(void *op) { calls++; which = 2; called_on = op; }
`

// biasedProgram sets the free-threaded headers' Py_INCREF and Py_DECREF,
// compiled by gcc, against the include's, from every state of STATES:
// owner (this thread, as the headers' _Py_ThreadId says, another, none),
// local count and shared count (with its merged and queued flags). Both
// must leave the same object byte for byte and call the same function
// alike on that object; and where C leaves the object unwritten (immortal
// ones), NASM may not write it either (the object in a read-only page, in
// a child).
const biasedProgram = refcountPrelude + `
int calls, which;
void *called_on;
static PyTypeObject fake_type;

struct state { int owner; uint32_t local; int64_t shared; };
static const struct state states[] = {STATES};

static uintptr_t owner_id(int owner)
{
    uintptr_t me = _Py_ThreadId();
    return owner == 0 ? me : owner == 1 ? me ^ 0x1000 : 0;
}

static void set_state(PyObject *op, struct state s)
{
    memset(op, 0, sizeof *op);
    op->ob_tid = owner_id(s.owner);
    op->ob_ref_local = s.local;
    op->ob_ref_shared = s.shared;
    op->ob_type = &fake_type;
}

static int faults(void (*f)(PyObject *), struct state s)
{
    pid_t pid = fork();
    if (pid == 0) {
        PyObject *op = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        set_state(op, s);
        mprotect(op, 4096, PROT_READ);
        f(op);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int bad, checked, readonly, local_paths, shared_paths, merges, decshared;

static void compare(const char *what, void (*c)(PyObject *), void (*nasm)(PyObject *), struct state s)
{
    PyObject a, b;
    set_state(&a, s);
    set_state(&b, s);
    calls = which = 0, called_on = NULL;
    c(&a);
    int c_calls = calls, c_which = which;
    void *c_on = called_on;
    calls = which = 0, called_on = NULL;
    nasm(&b);
    checked++;
    merges += c_which == 1, decshared += c_which == 2;
    if (a.ob_ref_local != s.local && s.owner == 0) local_paths++;
    if (a.ob_ref_shared != s.shared) shared_paths++;
    if (memcmp(&a, &b, sizeof a) != 0 || c_calls != calls || c_which != which) {
        printf("%s from owner %d, local %#x, shared %#llx: C leaves local %#x shared %#llx (call %d), NASM local %#x shared %#llx (call %d)\n",
               what, s.owner, s.local, (long long)s.shared, a.ob_ref_local, (long long)a.ob_ref_shared, c_which,
               b.ob_ref_local, (long long)b.ob_ref_shared, which);
        bad = 1;
    }
    if (c_on != (c_calls ? (void *)&a : NULL) || called_on != (calls ? (void *)&b : NULL)) {
        printf("%s from owner %d, local %#x: the function got %p from C (object %p), %p from NASM (object %p)\n",
               what, s.owner, s.local, c_on, (void *)&a, called_on, (void *)&b);
        bad = 1;
    }
    if (!faults(c, s)) {
        readonly++;
        if (faults(nasm, s)) {
            printf("%s from owner %d, local %#x: C leaves the object unwritten, NASM writes it\n", what, s.owner, s.local);
            bad = 1;
        }
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    c_xincref(NULL), asm_xincref_rsi(NULL), c_xdecref(NULL), asm_xdecref_rsi(NULL);
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        compare("Py_INCREF", c_incref, asm_incref, states[i]);
        compare("Py_INCREF rax", c_incref, asm_incref_rax, states[i]);
        compare("Py_XINCREF rsi", c_xincref, asm_xincref_rsi, states[i]);
        compare("Py_INCREF r11", c_incref, asm_incref_r11, states[i]);
        compare("Py_DECREF", c_decref, asm_decref, states[i]);
        compare("Py_DECREF rax", c_decref, asm_decref_rax, states[i]);
        compare("Py_XDECREF rsi", c_xdecref, asm_xdecref_rsi, states[i]);
        compare("Py_DECREF r11", c_decref, asm_decref_r11, states[i]);
    }
    printf("checked %d, %d of them read-only, %d local, %d shared, %d merges, %d shared decrefs\n",
           checked, readonly, local_paths, shared_paths, merges, decshared);
    return bad;
}
`

// biasedStates are the owner, local and shared counts the free-threaded
// macros start from: immortal (local all ones), owned with a local count
// at zero, one and its top, others' objects with shared counts plain,
// merged (_Py_REF_MERGED, 3), queued (2) and negative, and no owner.
func biasedStates() []string {
	var out []string
	for _, owner := range []int{0, 1, 2} {
		for _, local := range []uint32{0, 1, 2, 0x7fffffff, 0xfffffffe, 0xffffffff} {
			for _, shared := range []int64{0, 3, 4, 7, 2, -4, 1 << 40} {
				out = append(out, fmt.Sprintf("{%d, %#x, %d}", owner, local, shared))
			}
		}
	}
	return out
}

// checkBiased runs biasedProgram for one free-threaded include.
func checkBiased(t *testing.T, u *cparse.Unit, inc []byte) {
	dir := t.TempDir()
	for name, text := range map[string]string{"python.inc": string(inc), "rc.asm": refcountAsm, "stub.c": biasedStub} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Run(t, dir, nil, "nasm", "-w+error", "-f", "elf64", "-o", "rc.o", "rc.asm")
	testutil.Run(t, dir, nil, "gcc", "-c", "-o", "stub.o", "stub.c")
	states := biasedStates()
	program := strings.Replace(biasedProgram, "STATES", strings.Join(states, ", "), 1)
	out, err := RunC(u, program, dir, filepath.Join(dir, "rc.o"), filepath.Join(dir, "stub.o"))
	text := strings.TrimSpace(string(out))
	if err != nil {
		t.Fatalf("the free-threaded refcount check failed (what it printed, then the error):\n%s\n%v", text, err)
	}
	var checked, readonly, local, shared, merges, decShared int
	fmt.Sscanf(text, "checked %d, %d of them read-only, %d local, %d shared, %d merges, %d shared decrefs", &checked, &readonly, &local, &shared, &merges, &decShared)
	if want := 8 * len(states); checked != want {
		t.Fatalf("%d cases checked, want %d: %s", checked, want, text)
	}
	// Every path of the headers' code was taken by C: the states reach
	// each boundary.
	if readonly == 0 || local == 0 || shared == 0 || merges == 0 || decShared == 0 {
		t.Fatalf("the states miss a path of the headers' code: %s", text)
	}
	t.Log(text)
}
