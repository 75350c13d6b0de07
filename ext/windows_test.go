package ext

import (
	"debug/pe"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/internal/winpy"
)

// The windows-x86_64 target proven in real Windows CPython (MSVC builds of
// 3.10, 3.11 and 3.14) under Wine: make pythons unpacks them.

// winInclude generates the Windows include for py's version into dir.
func winInclude(t *testing.T, py winpy.Python, dir string, extra ...string) string {
	t.Helper()
	args := append([]string{"gen", "-q", "--target", "windows-x86_64", "-o", filepath.Join(dir, "python.inc")}, testutil.WinHeaders(t, py.MajorMinor())...)
	testutil.Run(t, "", nil, testutil.Pyinc(t), append(args, extra...)...)
	inc, err := os.ReadFile(filepath.Join(dir, "python.inc"))
	if err != nil {
		t.Fatal(err)
	}
	return string(inc)
}

// nasmValues evaluates NASM expressions over the include in dir, as an
// assembly source using it would: each becomes a qword of .data in a
// win64 object, read back with debug/pe.
func nasmValues(t *testing.T, dir string, exprs []string) []int64 {
	t.Helper()
	var src strings.Builder
	src.WriteString("%include \"python.inc\"\nsection .data\n")
	for _, e := range exprs {
		fmt.Fprintf(&src, "    dq %s\n", e)
	}
	asm := filepath.Join(dir, "values.asm")
	obj := filepath.Join(dir, "values.obj")
	os.WriteFile(asm, []byte(src.String()), 0o644)
	if out, err := exec.Command("nasm", "-f", "win64", "-I", dir+"/", "-o", obj, asm).CombinedOutput(); err != nil {
		t.Fatalf("nasm on the values: %v\n%s", err, out)
	}
	f, err := pe.Open(obj)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := f.Section(".data").Data()
	if err != nil || len(data) < 8*len(exprs) {
		t.Fatalf(".data of the values: %v (%d bytes)", err, len(data))
	}
	vals := make([]int64, len(exprs))
	for i := range exprs {
		vals[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return vals
}

// sizeRule is what the include says of one Python type: __basicsize__,
// __itemsize__ (when the include gives it) and sys.getsizeof of its empty
// value (when it has one without a GC header), as NASM expressions.
type sizeRule struct{ basic, item, empty string }

var sizeRules = map[string][]sizeRule{
	// Alternatives in order: the first whose names the include defines.
	"object":  {{"PyObject_size", "", "PyObject_size"}},
	"float":   {{"PyFloatObject_size", "", "PyFloatObject_size"}},
	"complex": {{"PyComplexObject_size", "", "PyComplexObject_size"}},
	"int":     {{"PyLongObject.long_value + _PyLongValue.ob_digit", "", ""}, {"PyLongObject.ob_digit", "", ""}},
	// PyBool_Type's basicsize is sizeof(struct _longobject) up to 3.11.
	"bool":               {{"PyLongObject.long_value + _PyLongValue.ob_digit", "", ""}, {"PyLongObject_size", "", ""}},
	"bytes":              {{"PyBytesObject.ob_sval + 1", "", "PyBytesObject.ob_sval + 1"}},
	"bytearray":          {{"PyByteArrayObject_size", "", ""}},
	"str":                {{"PyUnicodeObject_size", "", "PyASCIIObject_size + 1"}},
	"tuple":              {{"PyTupleObject.ob_item", "PyTupleObject_size - PyTupleObject.ob_item", ""}},
	"list":               {{"PyListObject_size", "", ""}},
	"dict":               {{"PyDictObject_size", "", ""}},
	"set":                {{"PySetObject_size", "", ""}},
	"frozenset":          {{"PySetObject_size", "", ""}},
	"slice":              {{"PySliceObject_size", "", ""}},
	"type":               {{"PyHeapTypeObject_size", "PyMemberDef_size", ""}},
	"memoryview":         {{"PyMemoryViewObject.ob_array", "PyMemoryViewObject_size - PyMemoryViewObject.ob_array", ""}},
	"types.FunctionType": {{"PyFunctionObject_size", "", ""}},
	"types.MethodType":   {{"PyMethodObject_size", "", ""}},
	"types.CellType":     {{"PyCellObject_size", "", ""}},
	"type(len)":          {{"PyCFunctionObject_size", "", ""}},
	"weakref.ref":        {{"PyWeakReference_size", "", ""}},
	"BaseException":      {{"PyBaseExceptionObject_size", "", ""}},
	"StopIteration":      {{"PyStopIterationObject_size", "", ""}},
	"OSError":            {{"PyOSErrorObject_size", "", ""}},
	"SyntaxError":        {{"PySyntaxErrorObject_size", "", ""}},
	"ImportError":        {{"PyImportErrorObject_size", "", ""}},
	"UnicodeDecodeError": {{"PyUnicodeErrorObject_size", "", ""}},
	"SystemExit":         {{"PySystemExitObject_size", "", ""}},
	"AttributeError":     {{"PyAttributeErrorObject_size", "", ""}},
	"NameError":          {{"PyNameErrorObject_size", "", ""}},
	"BaseExceptionGroup": {{"PyBaseExceptionGroupObject_size", "", ""}},
}

var nasmName = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_.]*`)

// defines reports whether the include defines every name expr uses: a
// STRUC for S_size, a member test S.m? for S.m.
func defines(inc, expr string) bool {
	for _, n := range nasmName.FindAllString(expr, -1) {
		if base, ok := strings.CutSuffix(n, "_size"); ok {
			if !strings.Contains(inc, "\nSTRUC "+base+"\n") {
				return false
			}
		} else if !strings.Contains(inc, "\n%define "+n+"? 1\n") {
			return false
		}
	}
	return true
}

type runtimeType struct {
	Name                string
	Basicsize, Itemsize int64
	Flags               uint64
	TypeID              uint64 `json:"type_id"`
	Getsizeof           *int64
	Read                struct {
		TPName      string `json:"tp_name"`
		TPBasicsize int64  `json:"tp_basicsize"`
		TPItemsize  int64  `json:"tp_itemsize"`
		TPFlags     uint64 `json:"tp_flags"`
		ObType      uint64 `json:"ob_type"`
	}
}

// TestWindowsSizes checks the Windows include of each Windows CPython's
// version against what that interpreter reports: __basicsize__,
// __itemsize__ and sys.getsizeof of empty values for every public type
// whose struct the include lays out, and ctypes reads at the include's
// offsets of tp_name, tp_basicsize, tp_itemsize, tp_flags (4 bytes on
// Windows) and ob_type in the live type objects.
func TestWindowsSizes(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	script, _ := filepath.Abs("testdata/winsizes.py")
	for _, py := range testutil.WinPythons(t) {
		t.Run(py.Version, func(t *testing.T) {
			dir := t.TempDir()
			inc := winInclude(t, py, dir)
			fields := []string{"PyTypeObject.tp_name", "PyTypeObject.tp_basicsize", "PyTypeObject.tp_itemsize", "PyTypeObject.tp_flags", "PyObject.ob_type"}
			fv := nasmValues(t, dir, fields)
			offsets := map[string]int64{"tp_name": fv[0], "tp_basicsize": fv[1], "tp_itemsize": fv[2], "tp_flags": fv[3], "ob_type": fv[4]}
			js, _ := json.Marshal(offsets)
			out := testutil.RunWin(t, py, dir, nil, script, string(js))
			var got map[string]runtimeType
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("winsizes.py: %v\n%s", err, out)
			}
			checked := 0
			for expr, rt := range got {
				if rt.Read.TPName != rt.Name && !strings.HasSuffix(rt.Read.TPName, "."+rt.Name) {
					t.Errorf("%s: tp_name read at the include's offset is %q, the type is %q", expr, rt.Read.TPName, rt.Name)
				}
				if rt.Read.TPBasicsize != rt.Basicsize || rt.Read.TPItemsize != rt.Itemsize {
					t.Errorf("%s: tp_basicsize/tp_itemsize read at the include's offsets: %d/%d, __basicsize__/__itemsize__ %d/%d", expr, rt.Read.TPBasicsize, rt.Read.TPItemsize, rt.Basicsize, rt.Itemsize)
				}
				if rt.Read.TPFlags != rt.Flags {
					t.Errorf("%s: tp_flags read at the include's offset: %#x, __flags__ %#x", expr, rt.Read.TPFlags, rt.Flags)
				}
				if rt.Read.ObType != rt.TypeID {
					t.Errorf("%s: ob_type read at the include's offset: %#x, id(type(%s)) %#x", expr, rt.Read.ObType, expr, rt.TypeID)
				}
				var rule *sizeRule
				for _, r := range sizeRules[expr] {
					if defines(inc, r.basic) && (r.item == "" || defines(inc, r.item)) && (r.empty == "" || defines(inc, r.empty)) {
						rule = &r
						break
					}
				}
				if rule == nil {
					t.Logf("%s: the include lays out no struct for it", expr)
					continue
				}
				exprs := []string{rule.basic, orZero(rule.item), orZero(rule.empty)}
				v := nasmValues(t, dir, exprs)
				if v[0] != rt.Basicsize {
					t.Errorf("%s.__basicsize__ = %d, the include's %s = %d", expr, rt.Basicsize, rule.basic, v[0])
				}
				if rule.item != "" && v[1] != rt.Itemsize {
					t.Errorf("%s.__itemsize__ = %d, the include's %s = %d", expr, rt.Itemsize, rule.item, v[1])
				}
				if rule.empty != "" && (rt.Getsizeof == nil || v[2] != *rt.Getsizeof) {
					t.Errorf("sys.getsizeof of an empty %s = %v, the include's %s = %d", expr, rt.Getsizeof, rule.empty, v[2])
				}
				checked++
			}
			if checked < 20 {
				t.Errorf("only %d types checked against their structs (of %d the interpreter has)", checked, len(got))
			}
			t.Logf("CPython %s for Windows: %d types' sizes and 5 type-object fields checked", py.Version, checked)
		})
	}
}

func orZero(expr string) string {
	if expr == "" {
		return "0"
	}
	return expr
}

// winBuild runs pyinc build --target windows-x86_64 on the project in
// projDir for py's version, with extra flags, and returns what it wrote.
func winBuild(t *testing.T, py winpy.Python, projDir string, extra ...string) []string {
	t.Helper()
	args := append([]string{"build", projDir, "-q", "--target", "windows-x86_64"}, testutil.WinHeaders(t, py.MajorMinor())...)
	out := testutil.Run(t, "", nil, testutil.Pyinc(t), append(args, extra...)...)
	// Run gives stderr too: the files are the lines that name one.
	var files []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, ".pyd") || strings.HasSuffix(l, ".whl") {
			files = append(files, l)
		}
	}
	return files
}

// TestRefextWindows builds refext for each Windows CPython's version
// (pyinc build --target windows-x86_64 --inplace) and runs test_refext.py,
// the Linux tests, under that interpreter: functions, Counter with its
// subclass and no leaks, multi-phase init, the ints read from their
// layout. The .pyd's name must be what that interpreter imports.
func TestRefextWindows(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	script, _ := filepath.Abs("test_refext.py")
	for _, py := range testutil.WinPythons(t) {
		t.Run(py.Version, func(t *testing.T) {
			proj := copyProject(t)
			files := winBuild(t, py, proj, "--inplace")
			want := "refext.cp" + strings.ReplaceAll(py.MajorMinor(), ".", "") + "-win_amd64.pyd"
			if len(files) != 1 || filepath.Base(files[0]) != want {
				t.Fatalf("pyinc build --inplace wrote %v, want %s", files, want)
			}
			out := testutil.RunWin(t, py, proj, []string{"PYTHONPATH=" + winpy.WinPath(proj)}, "-c",
				"import refext; assert refext.__file__.endswith("+strconvQuote(want)+"), refext.__file__; exec(open("+strconvQuote(winpy.WinPath(script))+").read())")
			if !strings.HasSuffix(out, "ok\n") && !strings.HasSuffix(out, "ok\r\n") {
				t.Fatalf("test_refext.py under Windows CPython %s:\n%s", py.Version, out)
			}
		})
	}
}

// TestRefextWindowsABI3 builds ONE abi3 wheel of refext for Windows, for
// the limited API of 3.6 (the oldest refext's abi3 source supports),
// installs it with each Windows CPython's pip (offline, --target) and runs
// test_refext.py under each: the same refext.pyd, importing from
// python3.dll only, serves 3.10, 3.11 and 3.14.
func TestRefextWindowsABI3(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	script, _ := filepath.Abs("test_refext.py")
	pys := testutil.WinPythons(t)
	proj := copyProject(t)
	dist := t.TempDir()
	newest := pys[len(pys)-1]
	files := winBuild(t, newest, proj, "--limited-api", "3.6", "-o", dist)
	if len(files) != 1 || filepath.Base(files[0]) != "refext-0.1.0-cp36-abi3-win_amd64.whl" {
		t.Fatalf("pyinc build --limited-api 3.6 wrote %v, want refext-0.1.0-cp36-abi3-win_amd64.whl", files)
	}
	for _, py := range pys {
		t.Run(py.Version, func(t *testing.T) {
			site := t.TempDir()
			testutil.RunWin(t, py, site, nil, winpy.PipArgs("install", "--no-index", "--disable-pip-version-check",
				"--no-cache-dir", "--target", winpy.WinPath(site), winpy.WinPath(files[0]))...)
			out := testutil.RunWin(t, py, site, []string{"PYTHONPATH=" + winpy.WinPath(site), "REFEXT_LIMITED_API=3.6"}, "-c",
				"import refext; assert refext.__file__.endswith('refext.pyd'), refext.__file__; exec(open("+strconvQuote(winpy.WinPath(script))+").read())")
			if !strings.HasSuffix(strings.TrimRight(out, "\r\n"), "ok") {
				t.Fatalf("test_refext.py under Windows CPython %s with the abi3 wheel:\n%s", py.Version, out)
			}
		})
	}
}

// copyProject copies refext's project (pyproject.toml, refext.asm) into a
// new directory, so that builds write nothing into ext/.
func copyProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"pyproject.toml", "refext.asm", "README.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// walkSource is a module written with the include's portable macros:
// walk.call(f) calls f() from a function framed by PY_FUNC/PY_ENDFUNC,
// whose unwind data the include writes.
const walkSource = `%include "python.inc"
default rel
section .data
align 8
methods:
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq call_name
        at PyMethodDef.ml_meth,  dq walk_call
        at PyMethodDef.ml_flags, dd METH_O
    iend
    NullMethodDef
align 8
moddef:
    istruc PyModuleDef
        at PyModuleDef.m_base,    PyModuleDef_HEAD_INIT
        at PyModuleDef.m_name,    dq modname
        at PyModuleDef.m_size,    dq -1
        at PyModuleDef.m_methods, dq methods
    iend
modname:   db "walk", 0
call_name: db "call", 0
section .text
align 16
PY_FUNC walk_call, 24
    mov PY_ARG1, PY_ARG2
    xor PY_ARG2D, PY_ARG2D
    PY_CALL PyObject_CallObject
    PY_EPILOGUE
PY_ENDFUNC
global PyInit_walk
align 16
PY_FUNC PyInit_walk
    lea PY_ARG1, [moddef]
    mov PY_ARG2D, PYTHON_API_VERSION
    PY_CALL PyModule_Create2
    PY_EPILOGUE
PY_ENDFUNC
`

// TestStackWalkWindows: a Python function called from walk_call (framed by
// the include's PY_FUNC, with 24 bytes of locals) captures the native
// stack with RtlCaptureStackBackTrace through ctypes, and the walk goes
// past the assembly function straight to its caller in the Python DLL and
// on through the interpreter's frames. extbuild's test of the same walk
// shows it fails without the unwind data.
func TestStackWalkWindows(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	script, _ := filepath.Abs("testdata/stackwalk.py")
	for _, py := range testutil.WinPythons(t) {
		t.Run(py.Version, func(t *testing.T) {
			proj := t.TempDir()
			os.WriteFile(filepath.Join(proj, "pyproject.toml"), []byte("[project]\nname = \"walk\"\nversion = \"0.1.0\"\n\n[[tool.pyinc.modules]]\nname = \"walk\"\nsources = [\"walk.asm\"]\n"), 0o644)
			os.WriteFile(filepath.Join(proj, "walk.asm"), []byte(walkSource), 0o644)
			winBuild(t, py, proj, "--inplace")
			out := testutil.RunWin(t, py, proj, []string{"PYTHONPATH=" + winpy.WinPath(proj)}, winpy.WinPath(script))
			var next, beyond int
			if _, err := fmt.Sscanf(out, "next %d beyond %d", &next, &beyond); err != nil {
				t.Fatalf("stackwalk.py: %v\n%s", err, out)
			}
			if next != 1 || beyond < 2 {
				t.Errorf("the walk from Python through walk_call: the next frame is in the Python DLL: %v; its frames beyond: %d (%s)", next == 1, beyond, strings.TrimSpace(out))
			}
		})
	}
}
