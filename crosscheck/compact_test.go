package crosscheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
)

// compactAsm wraps PyLong_COMPACT_VALUE for C: 1 and the value in *out,
// or 0 where the macro takes the slow path; once with the result in
// another register, once in the int's own.
const compactAsm = `%include "python.inc"
section .text
global asm_compact, asm_compact_same
asm_compact:
    mov r8, rsi
    PyLong_COMPACT_VALUE rax, rdi, .slow
    mov [r8], rax
    mov eax, 1
    ret
.slow:
    xor eax, eax
    ret
asm_compact_same:
    mov r8, rsi
    PyLong_COMPACT_VALUE rdi, rdi, .slow
    mov [r8], rdi
    mov eax, 1
    ret
.slow:
    xor eax, eax
    ret
`

// compactProgram lays out ints of zero to three digits, each sign, with
// digits at 0, 1 and the largest, through the headers' own names (the
// members, PyLong_SHIFT, PyLong_MASK, the tag's constants), and sets the
// macro against the value C reads from them: from 3.12 the headers'
// _PyLong_IsCompact and _PyLong_CompactValue for up to one digit, and
// their tag for two; before, Py_SIZE and the digits. Three digits must
// take the slow path.
const compactProgram = `
#include <stdint.h>

int asm_compact(PyObject *, long long *), asm_compact_same(PyObject *, long long *);
static union { PyLongObject o; char room[sizeof(PyLongObject) + 4 * sizeof(digit)]; } obj;
static int bad, checked;
static PyTypeObject int_type; /* what the headers' assertions read: an int's flags */

#ifdef _PyLong_SIGN_MASK
#define DIGITS obj.o.long_value.ob_digit
static void set(int n, int negative) {
    obj.o.long_value.lv_tag = ((uintptr_t)n << _PyLong_NON_SIZE_BITS) | (n == 0 ? 1 : negative ? 2 : 0);
}
static int c_value(long long *v) {
    PyLongObject *op = &obj.o;
    if (_PyLong_IsCompact(op)) { *v = _PyLong_CompactValue(op); return 1; }
    if ((op->long_value.lv_tag >> _PyLong_NON_SIZE_BITS) != 2) return 0;
    long long mag = (long long)op->long_value.ob_digit[0] | (long long)op->long_value.ob_digit[1] << PyLong_SHIFT;
    *v = (1 - (long long)(op->long_value.lv_tag & _PyLong_SIGN_MASK)) * mag;
    return 1;
}
#else
#define DIGITS obj.o.ob_digit
static void set(int n, int negative) { ((PyVarObject *)&obj.o)->ob_size = negative ? -n : n; }
static int c_value(long long *v) {
    Py_ssize_t size = Py_SIZE((PyObject *)&obj.o);
    if (size < -2 || size > 2) return 0;
    long long mag = 0;
    if (size != 0) mag = obj.o.ob_digit[0];
    if (size == 2 || size == -2) mag |= (long long)obj.o.ob_digit[1] << PyLong_SHIFT;
    *v = size < 0 ? -mag : mag;
    return 1;
}
#endif

static void compare(const char *what, int (*f)(PyObject *, long long *), int n, int negative) {
    long long want = 0, got = 0;
    int c = c_value(&want), nasm = f((PyObject *)&obj.o, &got);
    checked++;
    if (c != nasm || c && want != got) {
        printf("%s, %d digits (%s; %llu %llu %llu): C %s %lld, NASM %s %lld\n", what, n, negative ? "negative" : "positive",
               (unsigned long long)DIGITS[0], (unsigned long long)DIGITS[1], (unsigned long long)DIGITS[2],
               c ? "reads" : "slow", want, nasm ? "reads" : "slow", got);
        bad = 1;
    }
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    int_type.tp_flags = Py_TPFLAGS_LONG_SUBCLASS;
    const digit values[] = {0, 1, PyLong_MASK - 1, PyLong_MASK};
    for (int n = 0; n <= 3; n++)
        for (int negative = 0; negative <= 1; negative++)
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {
                    memset(&obj, 0, sizeof obj);
                    if (n == 0 && (i || j)) continue;
                    ((PyObject *)&obj.o)->ob_type = &int_type;
                    set(n, negative);
                    DIGITS[0] = values[i];
                    DIGITS[1] = n >= 2 ? values[j] : 0;
                    DIGITS[2] = n >= 3 ? 1 : 0;
                    compare("PyLong_COMPACT_VALUE rax, rdi", asm_compact, n, negative);
                    compare("PyLong_COMPACT_VALUE rdi, rdi", asm_compact_same, n, negative);
                }
    printf("checked %d\n", checked);
    return bad;
}
`

// TestCompactValue sets the include's PyLong_COMPACT_VALUE against the
// value gcc reads from the same headers (compactProgram), for every
// Python found and the tree's, where the include has the macro.
func TestCompactValue(t *testing.T) {
	needTools(t, "gcc", "nasm")
	checked := 0
	check := func(t *testing.T, pys []*cparse.Python) {
		for _, py := range pys {
			r, err := pipeline.Run(py, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Model.Access.Long == nil {
				continue
			}
			checked++
			t.Run(testName(py), func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				for name, text := range map[string]string{"python.inc": string(r.Include), "cv.asm": compactAsm} {
					if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				testutil.Run(t, dir, nil, "nasm", "-w+error", "-f", "elf64", "-o", "cv.o", "cv.asm")
				out, err := RunC(r.Unit, compactProgram, dir, filepath.Join(dir, "cv.o"))
				text := strings.TrimSpace(string(out))
				if err != nil || !strings.HasPrefix(text, "checked ") {
					t.Fatalf("the compact-value check failed:\n%s\n%v", text, err)
				}
				t.Log(text)
			})
		}
	}
	check(t, installed(t))
	t.Run("tree", func(t *testing.T) { check(t, testutil.TreePythons(t)) })
	if checked == 0 {
		t.Skip("no Python here has an include with PyLong_COMPACT_VALUE")
	}
}
