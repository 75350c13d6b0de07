package crosscheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/target"
)

// windowsSources are the CPython source trees whose Windows configuration
// header is at hand (scripts/cpython-src.sh, run by make pythons), each
// with that header.
var windowsSources = []struct{ dir, header string }{
	{"Python-3.11.2", "PC/pyconfig.h"},
	{"Python-3.13.15", "PC/pyconfig.h.in"},
}

// windowsPython is the source tree's Include/ seen with its Windows
// configuration header, or a skip saying what is missing.
func windowsPython(t *testing.T, dir, header string) *cparse.Python {
	t.Helper()
	root := filepath.Join("..", ".cache", "src", dir)
	if _, err := os.Stat(filepath.Join(root, header)); err != nil {
		t.Skipf("%s/%s is not at hand (make pythons fetches CPython's source): not checked", dir, header)
	}
	py, err := cparse.FromIncludeDir(filepath.Join(root, "Include"))
	if err != nil {
		t.Fatal(err)
	}
	if py, err = cparse.WithConfigHeader(py, filepath.Join(root, header)); err != nil {
		t.Fatal(err)
	}
	return py
}

// windowsVariants are the configurations the Windows headers accept.
var windowsVariants = []struct {
	name    string
	since   [2]int
	defines []cparse.Define
}{
	{"release", [2]int{3, 0}, nil},
	{"debug", [2]int{3, 0}, []cparse.Define{{Name: "Py_DEBUG", Value: "1"}}},
	{"freethreaded", [2]int{3, 13}, []cparse.Define{{Name: "Py_GIL_DISABLED", Value: "1"}}},
	{"limited-3.8", [2]int{3, 0}, []cparse.Define{{Name: "Py_LIMITED_API", Value: "0x03080000"}}},
	{"limited-own", [2]int{3, 0}, nil}, // Py_LIMITED_API of the version itself, set below
}

// TestWindowsAgainstMinGW checks every struct size, member offset and
// width, bitfield, constant, string and initializer of the Windows include
// against mingw gcc compiling the same headers with the same Windows
// configuration header, in every configuration, for each source at hand.
func TestWindowsAgainstMinGW(t *testing.T) {
	tg := target.Windows
	needCross(t, tg, "nasm")
	eachWindowsConfig(t, func(t *testing.T, py *cparse.Python, defines []cparse.Define, _ string) {
		r, err := pipeline.RunFor(py, defines, tg)
		if err != nil {
			t.Fatal(err)
		}
		if r.Model.Target != tg.ABIName {
			t.Fatalf("model for %s, want %s", r.Model.Target, tg.ABIName)
		}
		checkAgainstGCC(t, r.Unit, r.Model, r.Include)
	})
}

// eachWindowsConfig runs check, in parallel subtests, for every Windows
// source tree at hand in every configuration its version accepts (what
// names the source and the configuration).
func eachWindowsConfig(t *testing.T, check func(t *testing.T, py *cparse.Python, defines []cparse.Define, what string)) {
	for _, src := range windowsSources {
		t.Run(src.dir, func(t *testing.T) {
			py := windowsPython(t, src.dir, src.header)
			major, minor := version(py)
			for _, v := range windowsVariants {
				if major < v.since[0] || major == v.since[0] && minor < v.since[1] {
					continue
				}
				defines := v.defines
				if v.name == "limited-own" {
					defines = []cparse.Define{{Name: "Py_LIMITED_API", Value: hexVersion(major, minor)}}
				}
				t.Run(v.name, func(t *testing.T) {
					t.Parallel()
					check(t, py, defines, src.dir+" "+v.name)
				})
			}
		})
	}
}

func hexVersion(major, minor int) string {
	const digits = "0123456789ABCDEF"
	return "0x" + string([]byte{digits[major/16], digits[major%16], digits[minor/16], digits[minor%16]}) + "0000"
}

// windowsFuzzStructs is how many generated structs and unions the Windows
// fuzz test checks: the generator's mixed declared types, zero-width and
// packed bitfields are where the MS rules part from System V's.
const windowsFuzzStructs = 10000

// TestGeneratedHeadersWindows runs the differential fuzzer against mingw
// gcc until windowsFuzzStructs aggregates have been compared (-short:
// a tenth).
func TestGeneratedHeadersWindows(t *testing.T) {
	tg := target.Windows
	needCross(t, tg, "nasm")
	want := windowsFuzzStructs
	if testing.Short() {
		want /= 10
	}
	const batch = 8 // headers checked at once
	total := 0
	for seed := int64(1); total < want; seed += batch {
		counts := make([]int, batch)
		t.Run("", func(t *testing.T) {
			for i := range counts {
				t.Run("", func(t *testing.T) {
					t.Parallel()
					counts[i] = checkGeneratedFor(t, seed+int64(i), tg)
				})
			}
		})
		if t.Failed() {
			return
		}
		for _, c := range counts {
			total += c
		}
	}
	t.Logf("%d generated structs and unions checked against %s: 0 mismatches", total, tg.CrossCC)
}

// windowsABISeeds is how many random headers of prototypes the Windows
// location probe checks (each is one run under Wine); $PYINC_ABI_SEEDS
// asks for more.
const windowsABISeeds = 12

// TestABIWindows holds the EXTERN comments of Windows includes to what
// mingw gcc's code does with each argument and result, run under Wine:
// the shapes the Microsoft convention treats apart (aggregates of 1, 2, 4
// and 8 bytes and the rest, 16-byte integers, floats by position, a
// result in memory) and random headers of prototypes.
func TestABIWindows(t *testing.T) {
	tg := target.Windows
	needGCC(t, tg.CrossCC, "wine")
	seeds := int64(windowsABISeeds)
	if n, err := strconv.Atoi(os.Getenv("PYINC_ABI_SEEDS")); err == nil && n > 0 {
		seeds = int64(n) // as TestABIMany: more random headers
	}
	for seed := int64(-1); seed <= seeds; seed++ {
		if seed == 0 {
			continue
		}
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			g := NewProtoGenFor(seed, int(tg.LongSize*8), tg.LongDoubleSize == 8)
			if seed < 0 {
				msShapes(g)
			} else {
				g.Header(protoAggs, protoFuncs)
			}
			checkPrototypesFor(t, g, seed, tg)
		})
	}
}

// msShapes are the Microsoft convention's cases, one function each.
func msShapes(g *ProtoGen) {
	c, i, l, ll, d, f := scalar("char"), scalar("int"), scalar("long"), scalar("long long"), scalar("double"), scalar("float")
	s3 := g.Agg("S3", false, "", field("a", c, 3))
	s8 := g.Agg("S8", false, "", field("a", f), field("b", f))
	s16 := g.Agg("S16", false, "", field("a", ll), field("b", ll))
	s1 := g.Agg("S1", false, "", field("a", c))
	sd := g.Agg("SD", false, "", field("a", d))
	g.Func(nil, false, i, d, i, f, i, f)                                // floats by position, the rest on the stack
	g.Func(s16, false, l, d, ll)                                        // a result in memory: rcx, the rest shift
	g.Func(s8, false, s3, s8, s16, s1, s3, s16)                         // by value or by reference, in registers and on the stack
	g.Func(sd, false, sd, scalar("__int128"), scalar("_Complex float")) // an aggregate of one double is an integer
	g.Func(scalar("__int128"), false, scalar("_Complex double"))        // a 16-byte integer comes back in xmm0
	g.Func(d, true, i, d, d)                                            // variadic: the named ones as usual
}

// checkPrototypesFor is checkPrototypes for the generator g and target tg.
// locationCheckers hold a header's EXTERN comments to the target
// compiler's code, by calling convention.
var locationCheckers = map[target.CallConv]func(tg target.Target, funcs []*Proto, incDir string, include []byte, dir string, salt int64) (ABICounts, []string, error){
	target.SysV: func(_ target.Target, funcs []*Proto, incDir string, include []byte, dir string, salt int64) (ABICounts, []string, error) {
		return CheckLocations(funcs, incDir, include, dir, salt)
	},
	target.MicrosoftX64: CheckLocationsMS,
}

// checkPrototypesFor runs pyinc for tg on g's header and checks every
// function's comment against the code of tg's compiler.
func checkPrototypesFor(t *testing.T, g *ProtoGen, seed int64, tg target.Target) ABICounts {
	t.Helper()
	dir := t.TempDir()
	inc := filepath.Join(dir, "python3.99")
	if err := os.Mkdir(inc, 0o755); err != nil {
		t.Fatal(err)
	}
	header := g.Text()
	if err := os.WriteFile(filepath.Join(inc, "Python.h"), []byte(header), 0o644); err != nil {
		t.Fatal(err)
	}
	py := &cparse.Python{Version: "3.99.0", IncludeDirs: []string{inc}, Source: "fuzz"}
	r, err := pipeline.RunFor(py, nil, tg)
	if err != nil {
		t.Fatalf("seed %d: %v\nheader:\n%s", seed, err, header)
	}
	n, bad, err := locationCheckers[tg.Conv](tg, g.Funcs, inc, r.Include, dir, seed)
	if err != nil {
		t.Fatalf("seed %d: %v\nheader:\n%s", seed, err, header)
	}
	for _, b := range bad {
		t.Errorf("seed %d: %s", seed, b)
	}
	if len(bad) > 0 {
		t.Fatalf("seed %d: %d mismatches with %s\nheader:\n%s", seed, len(bad), tg.CrossCC, header)
	}
	if n.Functions != len(g.Funcs) || n.Functions == 0 {
		t.Fatalf("seed %d: checked %d functions of %d", seed, n.Functions, len(g.Funcs))
	}
	t.Logf("seed %d: %d prototypes, %d arguments, %d results: as %s's code has them", seed, n.Functions, n.Args, n.Results, tg.CrossCC)
	return n
}

// TestWindowsPrototypes holds the EXTERN comment of every function of the
// Windows headers (3.11 and 3.13, in every configuration) to where
// mingw gcc's code puts its arguments, and a value of its result type,
// run under Wine. A parameter is given as a value of its own type, or of
// one the prototype converts to it without change (a pointer as void *).
func TestWindowsPrototypes(t *testing.T) {
	tg := target.Windows
	needGCC(t, tg.CrossCC, "wine", "nasm")
	eachWindowsConfig(t, func(t *testing.T, py *cparse.Python, defines []cparse.Define, what string) {
		checkUnitPrototypes(t, tg, py, defines, what)
	})
}

func checkUnitPrototypes(t *testing.T, tg target.Target, py *cparse.Python, defines []cparse.Define, what string) {
	r, err := pipeline.RunFor(py, defines, tg)
	if err != nil {
		t.Fatal(err)
	}
	funcs, skipped := unitProtos(r)
	n, bad, err := CheckLocationsMSWith(tg, r.Unit.CSource(), funcs, r.Unit.IncludeDirs, r.Include, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bad {
		if i == 40 {
			t.Errorf("... and %d more", len(bad)-40)
			break
		}
		t.Error(b)
	}
	if n.Functions < 100 {
		t.Errorf("only %d functions checked", n.Functions)
	}
	t.Logf("%s: %d functions, %d arguments, %d results as mingw gcc's code has them; %d left out %v",
		what, n.Functions, n.Args, n.Results, len(skipped), skipped[:min(len(skipped), 5)])
}

// unitProtos lists the functions the include declares EXTERN, each with
// parameter and result types the probe can spell; the rest by name.
func unitProtos(r *pipeline.Result) (funcs []*Proto, skipped []string) {
	for _, s := range r.Model.Symbols {
		if !s.Func || s.NotInLib {
			continue
		}
		var ft *cc.FunctionType
		for _, n := range r.Unit.AST.Scope.Nodes[s.Name] {
			if d, ok := n.(*cc.Declarator); ok {
				if f, ok := d.Type().(*cc.FunctionType); ok {
					ft = f
				}
			}
		}
		if ft == nil {
			skipped = append(skipped, s.Name)
			continue
		}
		p := &Proto{Name: s.Name, Variadic: ft.IsVariadic()}
		ok := true
		for _, prm := range ft.Parameters() {
			if prm.Type().Kind() == cc.Void {
				continue
			}
			ct, good := spellType(prm.Type())
			ok = ok && good
			p.Params = append(p.Params, ct)
		}
		if res := ft.Result(); res != nil && res.Kind() != cc.Void {
			ct, good := spellType(res)
			ok = ok && good
			p.Ret = ct
		}
		if !ok {
			skipped = append(skipped, s.Name)
			continue
		}
		funcs = append(funcs, p)
	}
	return funcs, skipped
}

// spellType is a C type a value of t can be given as: the same kind and
// size (a pointer as void *, a struct by its typedef name).
func spellType(t cc.Type) (*cType, bool) {
	ints := map[int64][2]string{1: {"signed char", "unsigned char"}, 2: {"short", "unsigned short"}, 4: {"int", "unsigned int"}, 8: {"long long", "unsigned long long"}, 16: {"__int128", "unsigned __int128"}}
	switch k := t.Kind(); k {
	case cc.Ptr:
		return &cType{name: "void *"}, true
	case cc.Bool:
		return &cType{name: "_Bool", leaf: boolLeaf}, true
	case cc.Char, cc.SChar, cc.UChar, cc.Short, cc.UShort, cc.Int, cc.UInt, cc.Long, cc.ULong, cc.LongLong, cc.ULongLong, cc.Int128, cc.UInt128, cc.Enum:
		names, ok := ints[t.Size()]
		if !ok {
			return nil, false
		}
		if k == cc.UChar || k == cc.UShort || k == cc.UInt || k == cc.ULong || k == cc.ULongLong || k == cc.UInt128 {
			return &cType{name: names[1]}, true
		}
		return &cType{name: names[0]}, true
	case cc.Float:
		return &cType{name: "float"}, true
	case cc.Double, cc.LongDouble:
		return &cType{name: "double"}, t.Size() == 8
	case cc.Struct, cc.Union:
		if td := t.Typedef(); td != nil && !t.IsIncomplete() {
			return &cType{name: td.Name()}, true // every byte taken as data
		}
	}
	return nil, false
}

// needCross skips where the target's compiler is not installed (make deps
// installs it), and needs the other tools as needTools does.
func needCross(t *testing.T, tg target.Target, tools ...string) {
	t.Helper()
	needTools(t, tools...)
	if _, err := exec.LookPath(tg.CrossCC); err != nil {
		t.Skipf("%s is not installed (make deps installs it): the %s includes are not checked", tg.CrossCC, tg.Name)
	}
}

// TestUnwindMacros assembles functions made with PY_FUNC, PY_EPILOGUE and
// PY_ENDFUNC of a Windows include, links them into a DLL with mingw's
// linker and reads the unwind data back with mingw's objdump, which
// decodes .pdata and .xdata as Windows does: one entry per function
// covering it whole, the prologue's size, and the codes undoing it (each
// saved register, the allocation of locals + shadow space + alignment).
func TestUnwindMacros(t *testing.T) {
	tg := target.Windows
	needCross(t, tg, "nasm", "x86_64-w64-mingw32-objdump")
	py := windowsPython(t, "Python-3.13.15", "PC/pyconfig.h.in")
	r, err := pipeline.RunFor(py, nil, tg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "python.inc"), r.Include, 0o644)
	src := `%include "python.inc"
section .text
global small, large, twice
PY_FUNC small
    xor eax, eax
    PY_EPILOGUE
PY_ENDFUNC
PY_FUNC large, 1000
    mov [rsp + PY_SHADOW + 992], PY_ARG1
    PY_EPILOGUE
PY_ENDFUNC
PY_FUNC twice, 88
    test PY_ARG1D, PY_ARG1D
    jz .zero
    PY_EPILOGUE
.zero:
    mov eax, 1
    PY_EPILOGUE
PY_ENDFUNC
`
	asm, obj, dll := filepath.Join(dir, "u.asm"), filepath.Join(dir, "u.obj"), filepath.Join(dir, "u.dll")
	os.WriteFile(asm, []byte(src), 0o644)
	for _, c := range [][]string{
		{"nasm", "-f", "win64", "-I", dir + "/", "-o", obj, asm},
		{tg.CrossCC, "-shared", "-nostdlib", "-e", "0", "-o", dll, obj},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c, err, out)
		}
	}
	out, err := exec.Command("x86_64-w64-mingw32-objdump", "-x", dll).Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	pushes := "push r15\n.*push r14\n.*push r13\n.*push r12\n.*push rdi\n.*push rsi\n.*push rbp\n.*push rbx\n"
	for _, want := range []string{
		// small: 8 pushes (12 bytes) and sub rsp, 40 (4): 16 bytes of prologue.
		`Nbr codes: 9, Prologue size: 0x10, Frame offset: 0x0, Frame reg: none\n.*pc\+0x10: alloc small area: rsp = rsp - 0x28\n.*pc\+0x0c: ` + pushes,
		// large: 1000 -> 1008 + 8 + 32 bytes, sub rsp, imm32 (7): 19 bytes.
		`Nbr codes: 10, Prologue size: 0x13, Frame offset: 0x0, Frame reg: none\n.*pc\+0x13: alloc large area: rsp = rsp - 0x418\n.*pc\+0x0c: ` + pushes,
		// twice: 88 -> 96 + 8 + 32 = 136, past the small form's 128.
		`Nbr codes: 10, Prologue size: 0x13, Frame offset: 0x0, Frame reg: none\n.*pc\+0x13: alloc large area: rsp = rsp - 0x88\n`,
	} {
		if !regexp.MustCompile(want).MatchString(text) {
			t.Errorf("objdump -x of the DLL lacks %q:\n%s", want, text)
		}
	}
	// One .pdata entry per function, each ending where the next begins.
	entries := regexp.MustCompile(`(?m)^ [0-9a-f]+:\t([0-9a-f]+) ([0-9a-f]+) [0-9a-f]+$`).FindAllStringSubmatch(text, -1)
	if len(entries) != 3 {
		t.Fatalf("%d .pdata entries, want 3:\n%s", len(entries), text)
	}
	for i := 1; i < len(entries); i++ {
		if entries[i][1] != entries[i-1][2] {
			t.Errorf(".pdata entry %d starts at %s, the one before ends at %s", i, entries[i][1], entries[i-1][2])
		}
	}
}

func windowsTarget() target.Target { return target.Windows }

// runFor runs the pipeline for py and tg, failing the test on an error.
func runFor(t *testing.T, py *cparse.Python, tg target.Target) *pipeline.Result {
	t.Helper()
	r, err := pipeline.RunFor(py, nil, tg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// everyMacro uses each macro a Windows include may define, where it does.
const everyMacro = `%include "python.inc"
section .text
PY_FUNC f, 16
    PY_CALL PyLong_FromLong
%ifdef Py_None
    PY_ADDR rbx, Py_None ; a data symbol, except in the limited API 3.13+
%endif
    Py_INCREF rbx
    Py_DECREF rbx
    Py_XINCREF rbx
    Py_XDECREF rbx
%ifmacro Py_TYPE 2
    Py_TYPE rax, rbx
%endif
%ifmacro Py_SIZE 2
    Py_SIZE rax, rbx
%endif
%ifmacro PyTuple_GET_ITEM 3
    PyTuple_GET_SIZE rax, rbx
    PyTuple_GET_ITEM rax, rbx, 1
    PyTuple_SET_ITEM rbx, rcx, rax
    PyList_GET_SIZE rax, rbx
    PyList_GET_ITEM rax, rbx, rcx
    PyList_SET_ITEM rbx, rcx, rax
%endif
%ifmacro PyUnicode_DATA 2
    PyUnicode_GET_LENGTH rax, rbx
    PyUnicode_KIND eax, rbx
    PyUnicode_DATA rax, rbx
%endif
%ifdef PyASCIIObject.state.kind?
    PY_BF_LOAD eax, rbx, PyASCIIObject.state.kind
    PY_BF_TEST rbx, PyASCIIObject.state.ascii
%endif
%ifmacro PY_JUMP_UNLESS_FLAG 3
    PY_JUMP_UNLESS_FLAG rbx, Py_TPFLAGS_TYPE_SUBCLASS, .no
.no:
%endif
%ifmacro PY_JUMP_IF_FLAG 3
    PY_JUMP_IF_FLAG rbx, Py_TPFLAGS_TYPE_SUBCLASS, .yes
.yes:
%endif
%ifmacro PY_JUMP_IF 3
    PY_JUMP_IF rbx, PyLong_Check, .int
    PY_JUMP_UNLESS rbx, PyFloat_Check, .int
.int:
%endif
%ifmacro PyLong_COMPACT_VALUE 3
    PyLong_COMPACT_VALUE rax, rbx, .big
.big:
%endif
%ifmacro PyUnicode_READY 2
    PyUnicode_READY rbx, .err
    PyUnicode_IS_ASCII eax, rbx
.err:
%endif
%ifmacro PY_RAISE 2
    PY_RAISE PyExc_TypeError, "expected an int"
    PY_RAISE_FMT PyExc_ValueError, "%zd and %zd", rbx, 7
%endif
    PY_JMP PyLong_FromLong
PY_ENDFUNC
g:
    Py_RETURN_NONE
h:
    Py_RETURN_TRUE
`

// TestWindowsMacros assembles every macro of the Windows include, for each
// configuration, with nasm -f win64, and checks that the object reaches
// the interpreter only through import slots: every relocation names a
// section of the object or an __imp_ symbol (a direct call of PyFoo would
// not link against an import library's data, nor load a data address).
func TestWindowsMacros(t *testing.T) {
	tg := target.Windows
	needCross(t, tg, "nasm", "x86_64-w64-mingw32-objdump")
	for _, src := range windowsSources {
		py := windowsPython(t, src.dir, src.header)
		major, minor := version(py)
		for _, v := range windowsVariants {
			if major < v.since[0] || major == v.since[0] && minor < v.since[1] {
				continue
			}
			defines := v.defines
			if v.name == "limited-own" {
				defines = []cparse.Define{{Name: "Py_LIMITED_API", Value: hexVersion(major, minor)}}
			}
			t.Run(src.dir+"/"+v.name, func(t *testing.T) {
				r, err := pipeline.RunFor(py, defines, tg)
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "python.inc"), r.Include, 0o644)
				asm, obj := filepath.Join(dir, "m.asm"), filepath.Join(dir, "m.obj")
				os.WriteFile(asm, []byte(everyMacro), 0o644)
				if out, err := exec.Command("nasm", "-f", "win64", "-I", dir+"/", "-o", obj, asm).CombinedOutput(); err != nil {
					t.Fatalf("nasm -f win64: %v\n%s", err, out)
				}
				out, err := exec.Command("x86_64-w64-mingw32-objdump", "-r", obj).Output()
				if err != nil {
					t.Fatal(err)
				}
				relocs := regexp.MustCompile(`(?m)^[0-9a-f]+ (IMAGE_REL_AMD64_\w+)\s+(\S+)$`).FindAllStringSubmatch(string(out), -1)
				if len(relocs) < 5 {
					t.Fatalf("only %d relocations:\n%s", len(relocs), out)
				}
				for _, m := range relocs {
					if !strings.HasPrefix(m[2], "__imp_") && !strings.HasPrefix(m[2], ".") {
						t.Errorf("%s against %s: not an import slot", m[1], m[2])
					}
				}
			})
		}
	}
}
