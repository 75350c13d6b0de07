package crosscheck

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/testutil"
)

// TestProbeCatchesErrors breaks a correct include in the ways hand-written
// ones are broken and checks that the gcc comparison names each break.
func TestProbeCatchesErrors(t *testing.T) {
	needTools(t, "gcc", "nasm")
	all := installed(t)
	py := all[0]
	u, m, inc := generate(t, py, nil)
	breaks := []struct {
		name, re, repl, want string
	}{
		{"wrong constant", `(?m)^%define METH_VARARGS 1$`, "%define METH_VARARGS 2", "value of METH_VARARGS"},
		{"missing padding", `(?m)^(STRUC PyMethodDef\n(?:.*\n){2}.*\n)\s+resb 4 ; padding\n`, "$1", "offsetof PyMethodDef.ml_doc"},
		{"wrong width", `(?m)^(\s+\.ml_flags:\s+)resd 1`, "${1}resq 1", "width of PyMethodDef.ml_flags"},
		{"wrong head init", `(?m)^%define PyModuleDef_HEAD_INIT dq (\S+),`, "%define PyModuleDef_HEAD_INIT dq 7,", "bytes of PyModuleDef_HEAD_INIT"},
		{"wrong alternative", `(?m)^(\w+\.\w+) equ (\d+) ; (.*) \(overlaps\)$`, "$1 equ 99 ; $3 (overlaps)", "offsetof "},
		{"wrong bitfield shift", `(?m)^(%define \S+\.\S+_SHIFT) (\d+)$`, "$1 31", "first bit and width"},
	}
	for _, b := range breaks {
		b := b
		t.Run(strings.ReplaceAll(b.name, " ", "-"), func(t *testing.T) {
			re := regexp.MustCompile(b.re)
			loc := re.FindSubmatchIndex(inc)
			if loc == nil {
				t.Skipf("Python %s's include has nothing to break this way", py.Version)
			}
			broken := append([]byte{}, inc[:loc[0]]...)
			broken = re.Expand(broken, []byte(b.repl), inc, loc)
			broken = append(broken, inc[loc[1]:]...)
			_, bad, err := Check(u, m, broken, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range bad {
				if strings.Contains(x.What, b.want) {
					t.Logf("caught: %v", x)
					return
				}
			}
			t.Errorf("breaking the include (%s) went unnoticed: %d mismatches, none about %q", b.name, len(bad), b.want)
		})
	}
}

var externRE = regexp.MustCompile(`(?m)^EXTERN (\S+)`)

// TestExternsResolve checks that every EXTERN of the include is defined by
// the Python's libpython, as nm -D --defined-only lists it.
func TestExternsResolve(t *testing.T) {
	needTools(t, "nm")
	for _, py := range installed(t) {
		t.Run(testName(py), func(t *testing.T) {
			if py.LibPython == "" {
				t.Skipf("Python %s has no shared libpython: EXTERNs not checked", py.Version)
			}
			t.Parallel()
			_, _, inc := generate(t, py, nil)
			out, err := exec.Command("nm", "-D", "--defined-only", py.LibPython).Output()
			if err != nil {
				t.Fatalf("nm: %v", err)
			}
			defined := map[string]bool{}
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 3 {
					defined[strings.SplitN(f[2], "@", 2)[0]] = true
				}
			}
			n := 0
			for _, m := range externRE.FindAllSubmatch(inc, -1) {
				name := strings.TrimPrefix(string(m[1]), "$")
				n++
				if !defined[name] {
					t.Errorf("EXTERN %s is not defined by %s", name, py.LibPython)
				}
			}
			if n < 500 {
				t.Errorf("only %d EXTERNs", n)
			}
			t.Logf("%d EXTERNs, all defined by %s", n, py.LibPython)
		})
	}
}

// TestExternsOtherBuild: an include for a configuration the interpreter
// was not built with keeps the EXTERNs the headers declare for it, since
// the libpython at hand (of another build) cannot say what a libpython of
// that build exports, and says so in its header; a module that calls them
// assembles. An interpreter of that build checks its own (TestExternsResolve).
func TestExternsOtherBuild(t *testing.T) {
	needTools(t, "nasm")
	variants := []struct {
		define, from string
		externs      []string
	}{
		{"Py_TRACE_REFS", "3.12", []string{"PyModule_Create2TraceRefs"}},
		{"Py_GIL_DISABLED", "3.13", []string{"_Py_DecRefShared", "_Py_MergeZeroLocalRefcount", "PyUnstable_Module_SetGIL"}},
	}
	for _, py := range installed(t) {
		for _, v := range variants {
			if py.LibPython == "" || py.MajorMinor() != v.from || py.OtherBuild([]cparse.Define{{Name: v.define, Value: "1"}}) == "" {
				continue
			}
			t.Run(testName(py)+"/"+v.define, func(t *testing.T) {
				_, _, inc := generate(t, py, []cparse.Define{{Name: v.define, Value: "1"}})
				want := "; Symbols: not checked: " + filepath.Base(py.LibPython) + " is not a " + v.define + " build"
				if !bytes.Contains(inc, []byte(want)) {
					t.Errorf("the header does not say %q", want)
				}
				externs := map[string]bool{}
				for _, m := range externRE.FindAllSubmatch(inc, -1) {
					externs[strings.TrimPrefix(string(m[1]), "$")] = true
				}
				src := "%include \"python.inc\"\nsection .text\nf:\n"
				for _, name := range v.externs {
					if !externs[name] {
						t.Errorf("no EXTERN %s", name)
					}
					src += "    call " + name + " wrt ..plt\n"
				}
				src += "    call PyModule_Create2 wrt ..plt\n"
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "python.inc"), inc, 0o644)
				os.WriteFile(filepath.Join(dir, "m.asm"), []byte(src), 0o644)
				testutil.Run(t, dir, nil, "nasm", "-f", "elf64", "-o", "m.o", "m.asm")
			})
		}
	}
}
