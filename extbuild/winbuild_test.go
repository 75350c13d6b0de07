package extbuild

import (
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/target"
)

func TestTargetTagsWindows(t *testing.T) {
	cases := []struct {
		py                         cparse.Python
		limited                    string
		wantPy, wantABI, wantSuffx string
	}{
		{cparse.Python{Version: "3.14.6"}, "", "cp314", "cp314", ".cp314-win_amd64.pyd"},
		{cparse.Python{Version: "3.11.2", Defines: []string{"Py_DEBUG"}}, "", "cp311", "cp311d", "_d.cp311-win_amd64.pyd"},
		{cparse.Python{Version: "3.13.1", Defines: []string{"Py_GIL_DISABLED"}}, "", "cp313", "cp313t", ".cp313t-win_amd64.pyd"},
		{cparse.Python{Version: "3.14.6"}, "3.8", "cp38", "abi3", ".pyd"},
	}
	for _, c := range cases {
		py, abi, suffix, err := TargetTags(target.Windows, &c.py, c.limited, false)
		if err != nil || py != c.wantPy || abi != c.wantABI || suffix != c.wantSuffx {
			t.Errorf("TargetTags(windows, %s %v, %q) = %s %s %s %v; want %s %s %s", c.py.Version, c.py.Defines, c.limited, py, abi, suffix, err, c.wantPy, c.wantABI, c.wantSuffx)
		}
	}
	if _, _, _, err := TargetTags(target.Windows, &cparse.Python{Version: "3.12.1", Defines: []string{"Py_DEBUG"}}, "3.8", false); err == nil {
		t.Error("an abi3 module from a debug build's headers was accepted")
	}
	if _, _, _, err := TargetTags(target.Windows, &cparse.Python{Version: "3.15.0"}, "3.15", true); err == nil || !strings.Contains(err.Error(), "drop --abi3t") {
		t.Errorf("an abi3t module for Windows: err = %v; want a refusal saying to drop --abi3t", err)
	}
}

// winModule is a module written by hand for nasm -f win64 (no include):
// answer() returns 42 through PyLong_FromLong, and none() returns None,
// whose address comes from the data import slot __imp__Py_NoneStruct.
// Both functions call into the DLL, so each has .pdata/.xdata; the
// placeholders let the tests take them away or break other rules.
const winModule = `default rel
extern __imp_PyModule_Create2
extern __imp_PyLong_FromLong
extern __imp__Py_NoneStruct
EXTRA_EXTERN
section .data
align 8
moddef:  dq 1, 0, 0, 0, 0, modname, 0, -1, methods, 0, 0, 0, 0
methods: dq fname, answer, 4, 0
         dq nname, none, 4, 0
         dq 0, 0, 0, 0
modname  db "m", 0
fname    db "answer", 0
nname    db "none", 0
section .text
GLOBAL_INIT
answer:
    sub rsp, 40
.pe:
    mov ecx, 42
    CALL_API
    add rsp, 40
    ret
.end:
none:
    mov rax, [__imp__Py_NoneStruct]
    inc qword [rax]
    ret
PyInit_m:
    sub rsp, 40
.pe:
    lea rcx, [moddef]
    mov edx, 1013
    call [__imp_PyModule_Create2]
    add rsp, 40
    ret
.end:
PDATA
`

const winPData = `section .pdata rdata align=4
    dd answer wrt ..imagebase, answer.end wrt ..imagebase, uw wrt ..imagebase
    dd PyInit_m wrt ..imagebase, PyInit_m.end wrt ..imagebase, uw wrt ..imagebase
section .xdata rdata align=8
uw: db 1, 4, 1, 0, 4, 0x42, 0, 0   ; version 1, prologue 4 bytes, UWOP_ALLOC_SMALL 40
`

// winInclude declares what the module uses as a Windows include would.
const winInclude = `EXTERN PyModule_Create2 ; PyObject *PyModule_Create2(PyModuleDef *, int) ; args rcx, rdx; returns rax
EXTERN PyLong_FromLong ; PyObject *PyLong_FromLong(long) ; args rcx; returns rax
EXTERN _Py_NoneStruct ; PyObject _Py_NoneStruct ; data
EXTERN PyExc_TypeError ; PyObject *PyExc_TypeError ; data
`

func needWinTools(t *testing.T) {
	t.Helper()
	b := target.Windows.Build()
	for _, tool := range []string{"nasm", b.Linker, b.DllTool} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps installs it)", tool)
		}
	}
}

// buildWinModule assembles the module with its placeholders replaced and
// links it as buildDLL does for python311.dll.
func buildWinModule(t *testing.T, repl map[string]string) (string, error) {
	t.Helper()
	src := winModule
	for _, k := range []string{"EXTRA_EXTERN", "GLOBAL_INIT", "CALL_API", "PDATA"} {
		v, ok := repl[k]
		if !ok {
			v = map[string]string{"EXTRA_EXTERN": "", "GLOBAL_INIT": "global PyInit_m", "CALL_API": "call [__imp_PyLong_FromLong]", "PDATA": winPData}[k]
		}
		src = strings.ReplaceAll(src, k, v)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "m.asm"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(dir, "m.obj")
	if out, err := exec.Command("nasm", "-f", "win64", "-o", obj, filepath.Join(dir, "m.asm")).CombinedOutput(); err != nil {
		t.Fatalf("nasm: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "m.cp311-win_amd64.pyd")
	_, err := buildDLL(dir, dir, out, "m", []string{obj}, []byte(winInclude), "python311.dll",
		&cparse.Python{Version: "3.11.11"}, target.Windows.Build(), "")
	return out, err
}

// TestBuildDLL links the hand-written module and judges the DLL with
// binutils' objdump (not pyinc's reader): it exports PyInit_m and nothing
// else, imports from python311.dll only, and _Py_NoneStruct as data (no
// thunk); then Windows CPython 3.11 imports and runs it under Wine.
func TestBuildDLL(t *testing.T) {
	needWinTools(t)
	out, err := buildWinModule(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	dump, err := exec.Command("x86_64-w64-mingw32-objdump", "-p", out).CombinedOutput()
	if err != nil {
		t.Skipf("x86_64-w64-mingw32-objdump: %v", err)
	}
	d := string(dump)
	if strings.Count(d, "DLL Name:") != 1 || !strings.Contains(d, "DLL Name: python311.dll") {
		t.Errorf("imports other than python311.dll:\n%s", d)
	}
	for _, name := range []string{"PyLong_FromLong", "PyModule_Create2", "_Py_NoneStruct"} {
		if !strings.Contains(d, " "+name+"\n") {
			t.Errorf("%s is not imported:\n%s", name, d)
		}
	}
	if !strings.Contains(d, "] PyInit_m\n") || strings.Contains(d, "] answer") {
		t.Errorf("exports are not PyInit_m alone:\n%s", d)
	}
	for _, py := range testutil.WinPythons(t) {
		if py.MajorMinor() != "3.11" {
			continue
		}
		dir := filepath.Dir(out)
		got := testutil.RunWin(t, py, dir, nil, "-c", "import m; print(m.answer(), m.none())")
		if strings.TrimSpace(got) != "42 None" {
			t.Errorf("Windows CPython %s: m.answer(), m.none() gave %q, want 42 None", py.Version, got)
		}
	}
}

// TestBuildDLLRefused breaks one rule at a time; each build must fail with
// a message that names the problem.
func TestBuildDLLRefused(t *testing.T) {
	needWinTools(t)
	cases := []struct {
		name string
		repl map[string]string
		want string
	}{
		{"no unwind data", map[string]string{"PDATA": ""}, "without unwind data"},
		{"undeclared API", map[string]string{"EXTRA_EXTERN": "extern __imp_PyFoo_Bar", "CALL_API": "call [__imp_PyFoo_Bar]"}, "PyFoo_Bar is used but not declared"},
		{"data taken as code", map[string]string{"EXTRA_EXTERN": "extern PyExc_TypeError", "CALL_API": "mov rax, [PyExc_TypeError]"}, "PyExc_TypeError is an object"},
		{"no PyInit", map[string]string{"GLOBAL_INIT": ""}, "does not export PyInit_m"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := buildWinModule(t, c.repl)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line with %q", err, c.want)
			}
		})
	}
}

// TestCheckPEWritableCode marks the good module's .text writable (nasm
// cannot ask for that in win64 objects, so the section header is patched)
// and expects CheckPE to refuse it.
func TestCheckPEWritableCode(t *testing.T) {
	needWinTools(t)
	out, err := buildWinModule(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pe.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	// The section table follows the optional header; each entry is 40
	// bytes, its Characteristics the last 4.
	raw, _ := os.ReadFile(out)
	peOff := binary.LittleEndian.Uint32(raw[0x3c:])
	table := peOff + 24 + uint32(f.FileHeader.SizeOfOptionalHeader)
	patched := false
	for i, s := range f.Sections {
		if s.Name == ".text" {
			at := table + uint32(i)*40 + 36
			binary.LittleEndian.PutUint32(raw[at:], s.Characteristics|pe.IMAGE_SCN_MEM_WRITE)
			patched = true
		}
	}
	f.Close()
	if !patched {
		t.Fatal("no .text section")
	}
	if err := os.WriteFile(out, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	err = CheckPE(out, "m", []string{"python311.dll"})
	if err == nil || !strings.Contains(err.Error(), "section .text is both writable and executable") {
		t.Errorf("CheckPE = %v, want the writable .text named", err)
	}
	if err := CheckPE(out, "m", []string{"python3.dll"}); err == nil || !strings.Contains(err.Error(), "imports from python311.dll") {
		t.Errorf("CheckPE allowing python3.dll only = %v, want python311.dll named", err)
	}
}

// walkModule's call(f) calls f() from assembly (push rbx; sub rsp, 32, as
// its .xdata says) and returns f's result; WALK_PDATA is its unwind data.
const walkModule = `default rel
extern __imp_PyModule_Create2
extern __imp_PyObject_CallObject
section .data
align 8
moddef:  dq 1, 0, 0, 0, 0, modname, 0, -1, methods, 0, 0, 0, 0
methods: dq cname, call, 8, 0       ; METH_O
         dq 0, 0, 0, 0
modname  db "walk", 0
cname    db "call", 0
section .text
global PyInit_walk
call:
    push rbx
.p1:
    sub rsp, 32
.p2:
    mov rcx, rdx
    xor edx, edx
    call [__imp_PyObject_CallObject]
    add rsp, 32
    pop rbx
    ret
.end:
PyInit_walk:
    sub rsp, 40
.pe:
    lea rcx, [moddef]
    mov edx, 1013
    call [__imp_PyModule_Create2]
    add rsp, 40
    ret
.end:
section .pdata rdata align=4
    dd PyInit_walk wrt ..imagebase, PyInit_walk.end wrt ..imagebase, uwi wrt ..imagebase
WALK_PDATA
section .xdata rdata align=8
uwi: db 1, 4, 1, 0, 4, 0x42, 0, 0
; version 1, prologue 5 bytes, 2 codes: at 5 UWOP_ALLOC_SMALL 32, at 1 UWOP_PUSH_NONVOL rbx
uwc: db 1, call.p2 - call, 2, 0, call.p2 - call, 0x32, call.p1 - call, 0x30
`

// walkScript is ext's stack-walk script (ext/testdata/stackwalk.py): it
// calls walk.call with a function that captures the native stack, and
// prints "next N beyond M" (N: 1 when the frame after the assembly
// function's is in the Python DLL).
func walkScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "ext", "testdata", "stackwalk.py"))
	if err != nil {
		t.Fatalf("the stack-walk script: %v", err)
	}
	return string(b)
}

// TestStackWalkWindows builds walk.call for each Windows CPython and runs
// walkScript under Wine: the stack captured in Python, called from the
// assembly function, must go on past it, straight to its caller in the
// Python DLL. The same module without call's .pdata entry (refused by
// CheckPE; the file is left for the test) must not: the walk then takes
// the function for a leaf and reads a wrong return address (Wine then
// scans on and may find the DLL's frames later, so the next frame is what
// counts), which shows that the first result comes from the unwind data.
func TestStackWalkWindows(t *testing.T) {
	needWinTools(t)
	pys := testutil.WinPythons(t)
	script := walkScript(t)
	incl := winInclude + "EXTERN PyObject_CallObject ; PyObject *PyObject_CallObject(PyObject *, PyObject *) ; args rcx, rdx; returns rax\n"
	for _, py := range pys {
		t.Run(py.Version, func(t *testing.T) {
			b := target.Windows.Build()
			dll := b.PythonDLL(py.MajorMinor(), false, false, false)
			suffix := b.ModuleSuffix(py.MajorMinor(), false, false, false)
			for _, withPData := range []bool{true, false} {
				pdata := ""
				if withPData {
					pdata = "    dd call wrt ..imagebase, call.end wrt ..imagebase, uwc wrt ..imagebase"
				}
				dir := t.TempDir()
				src := filepath.Join(dir, "walk.asm")
				os.WriteFile(src, []byte(strings.ReplaceAll(walkModule, "WALK_PDATA", pdata)), 0o644)
				obj := filepath.Join(dir, "walk.obj")
				if out, err := exec.Command("nasm", "-f", "win64", "-o", obj, src).CombinedOutput(); err != nil {
					t.Fatalf("nasm: %v\n%s", err, out)
				}
				out := filepath.Join(dir, "walk"+suffix)
				_, err := buildDLL(dir, dir, out, "walk", []string{obj}, []byte(incl), dll, &cparse.Python{Version: py.Version}, b, "")
				if withPData && err != nil {
					t.Fatal(err)
				}
				if !withPData {
					if err == nil || !strings.Contains(err.Error(), "without unwind data") {
						t.Fatalf("built without .pdata: %v, want CheckPE's refusal", err)
					}
				}
				stdout, stderr, err := testutil.TryWin(py, dir, nil, "-c", script)
				t.Logf("with .pdata %v: %s (%v)", withPData, strings.TrimSpace(stdout), err)
				var next, beyond int
				if _, serr := fmt.Sscanf(stdout, "next %d beyond %d", &next, &beyond); err != nil || serr != nil {
					if withPData {
						t.Fatalf("with .pdata: %v\n%s%s", err, stdout, stderr)
					}
					continue // the walk itself failed: as good a refusal
				}
				if withPData && (next != 1 || beyond < 2) {
					t.Errorf("with .pdata: the frame after the assembly function's is in %s: %v; frames of it beyond: %d", dll, next == 1, beyond)
				}
				if !withPData && next == 1 {
					t.Errorf("without .pdata the walk still went from the assembly function straight to its caller: the check cannot fail")
				}
			}
		})
	}
}
