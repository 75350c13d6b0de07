package emit_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pyinc/pyinc/abi"
	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/crosscheck"
	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/layout"
)

// -update rewrites testdata/golden.inc from goldenModel. Review every
// change: TestGoldenAgainstGCC must pass on the new file, since a golden
// file only says the output did not change, never that it is right.
var update = flag.Bool("update", false, "rewrite testdata/golden.inc")

// goldenModel states testdata/python3.97/Python.h by hand. Each number was
// printed by gcc for that header (sizeof, _Alignof, offsetof, the bytes of
// each bitfield set to all ones); TestGoldenAgainstGCC checks them again.
func goldenModel() *layout.Model {
	scalar := func(path, ctype string, off, size int64) layout.Member {
		return layout.Member{Path: path, CType: ctype, Offset: off, Size: size, Elem: size, Count: 1}
	}
	pad := func(off, size int64) layout.Member { return layout.Member{Offset: off, Size: size, Padding: true} }
	reg := func(r abi.Reg) abi.Loc { return abi.Loc{Where: abi.InRegs, Regs: []abi.Reg{r}} }
	return &layout.Model{
		PyVersion: "3.97.0", Target: abi.Name, LibPython: "libpython3.97.so", ExportsChecked: true,
		Constants: []layout.Constant{
			{Name: "ANSWER", Bits: 42, Signed: true},
			{Name: "NEGATIVE", Bits: ^uint64(6), Signed: true},
			{Name: "FLAG_BIT31", Bits: 1 << 31, Hex: true},
			{Name: "GREETING", Kind: layout.StringConst, Str: "hi"},
		},
		Structs: []*layout.Struct{
			{Name: "PyObject", CName: "PyObject", Size: 16, Align: 8, Lines: []layout.Member{
				scalar("ob_refcnt", "Py_ssize_t", 0, 8), scalar("ob_type", "struct _typeobject *", 8, 8)}},
			{Name: "PyVarObject", CName: "PyVarObject", Size: 24, Align: 8, Lines: []layout.Member{
				{Path: "ob_base", CType: "PyObject", Size: 16, Count: 1, Aggregate: "PyObject"}, scalar("ob_size", "Py_ssize_t", 16, 8)}},
			{Name: "Pad", CName: "Pad", Size: 24, Align: 8, Lines: []layout.Member{
				scalar("c", "char", 0, 1), pad(1, 7), scalar("d", "double", 8, 8), scalar("s", "short", 16, 2), pad(18, 6)}},
			{Name: "Flags", CName: "Flags", Size: 16, Align: 8,
				Lines: []layout.Member{
					{Offset: 0, Size: 4, Storage: true, Bits: []string{"small", "mid", "wide"}}, pad(4, 4),
					{Offset: 8, Size: 5, Storage: true, Bits: []string{"huge"}}, pad(13, 3)},
				Bitfields: []layout.Bitfield{
					{Path: "small", CType: "unsigned char", Offset: 0, Unit: 1, Shift: 0, Width: 3, Mask: 0x7},
					{Path: "mid", CType: "unsigned short", Offset: 0, Unit: 2, Shift: 3, Width: 9, Mask: 0xff8},
					{Path: "wide", CType: "unsigned int", Offset: 0, Unit: 4, Shift: 12, Width: 20, Mask: 0xfffff000},
					{Path: "huge", CType: "unsigned long long", Offset: 8, Unit: 8, Shift: 0, Width: 40, Mask: 0xffffffffff},
				}},
			{Name: "Num", CName: "Num", Union: true, Size: 8, Align: 8,
				Lines: []layout.Member{scalar("i", "int", 0, 4), pad(4, 4)},
				Alts:  []layout.Member{scalar("d", "double", 0, 8)}},
			{Name: "Vec", CName: "Vec", Size: 8, Align: 8, Lines: []layout.Member{
				scalar("n", "Py_ssize_t", 0, 8), {Path: "items", CType: "PyObject *[]", Offset: 8, Elem: 8, Flexible: true}}},
		},
		Symbols: []layout.Symbol{
			{Name: "PyLong_FromLong", Proto: "PyObject *PyLong_FromLong(long)", Func: true, Args: []abi.Loc{reg("rdi")}, Ret: reg("rax")},
			{Name: "_Py_NoneStruct", Proto: "PyObject _Py_NoneStruct"},
		},
		RefCount: &layout.RefCount{Kind: layout.RefPlain, Why: "PyObject.ob_refcnt is a plain 64-bit count", Field: "ob_refcnt"},
	}
}

func goldenInclude(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := emit.NASM(&b, goldenModel(), emit.Options{Generator: "pyinc golden"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden: the include of the hand-made model is the reviewed file.
func TestGolden(t *testing.T) {
	got := goldenInclude(t)
	path := filepath.Join("testdata", "golden.inc")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the include differs from %s; review the change, check it with TestGoldenAgainstGCC, then go test ./emit -run TestGolden -update", path)
	}
}

// TestRoundTrip: the include read back gives the model's numbers, so what
// the diff and the cross-check read is what the writer meant.
func TestRoundTrip(t *testing.T) {
	m := goldenModel()
	inc, err := emit.Read(string(goldenInclude(t)))
	if err != nil {
		t.Fatal(err)
	}
	if inc.Python != "CPython 3.97.0" {
		t.Errorf("Python %q", inc.Python)
	}
	read := map[string]*emit.StructInfo{}
	for _, s := range inc.Structs {
		read[s.Name] = s
	}
	for _, s := range m.Structs {
		r := read[s.Name]
		if r == nil || r.Size != s.Size || r.Union != s.Union || r.CName != s.CName {
			t.Errorf("struct %s: read %+v", s.Name, r)
			continue
		}
		members := map[string]emit.MemberInfo{}
		for _, mi := range r.Members {
			members[mi.Path] = mi
		}
		for _, l := range append(append([]layout.Member{}, s.Lines...), s.Alts...) {
			if l.Path == "" {
				continue
			}
			if mi, ok := members[l.Path]; !ok || mi.Offset != l.Offset || (!l.Flexible && mi.Size != l.Size) {
				t.Errorf("%s.%s: read %+v, model offset %d size %d", s.Name, l.Path, mi, l.Offset, l.Size)
			}
		}
		for _, b := range s.Bitfields {
			mi, ok := members[b.Path]
			if !ok || !mi.Bitfield || mi.Offset != b.Offset || mi.Unit != int(b.Unit) || mi.Shift != b.Shift || mi.Width != b.Width {
				t.Errorf("bitfield %s.%s: read %+v, model %+v", s.Name, b.Path, mi, b)
			}
		}
	}
	for name, want := range map[string]string{"ANSWER": "42", "NEGATIVE": "(-7)", "FLAG_BIT31": "0x80000000", "GREETING": `"hi"`} {
		if got := inc.Constants[name]; got != want {
			t.Errorf("constant %s: read %q, want %q", name, got, want)
		}
	}
	if got := inc.Externs["PyLong_FromLong"]; got != "PyObject *PyLong_FromLong(long)" {
		t.Errorf("EXTERN PyLong_FromLong: read %q", got)
	}
}

// TestGoldenAgainstGCC: gcc, compiling testdata/python3.97/Python.h,
// agrees with every number the golden include states.
func TestGoldenAgainstGCC(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: gcc and nasm are not run")
	}
	for _, tool := range []string{"gcc", "nasm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps): the golden include is not checked against gcc", tool)
		}
	}
	py, err := cparse.FromIncludeDir(filepath.Join("testdata", "python3.97"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := cparse.Parse(py, nil)
	if err != nil {
		t.Fatal(err)
	}
	probe, mismatches, err := crosscheck.Check(u, goldenModel(), goldenInclude(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mismatches {
		t.Error(m)
	}
	if probe.Counts.Structs != 6 || probe.Counts.Bitfields != 4 {
		t.Errorf("the probe checked %v, want all 6 structs and 4 bitfields", probe.Counts)
	}
}
