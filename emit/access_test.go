package emit

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/layout"
)

// model is a small hand-made model: what the accessor macros read, with
// the numbers a test needs and no others.
func model() *layout.Model {
	ptr := func(path string, off int64) layout.Member {
		return layout.Member{Path: path, CType: "void *", Offset: off, Size: 8, Elem: 8, Count: 1}
	}
	return &layout.Model{
		PyVersion: "3.99.0",
		Constants: []layout.Constant{
			{Name: "PY_VERSION_HEX", Bits: 0x030C01F0, Signed: true, Hex: true},
			{Name: "METH_VARARGS", Bits: 1, Signed: true, Hex: true},
			{Name: "Py_TPFLAGS_TYPE_SUBCLASS", Bits: 1 << 31, Hex: true},
			{Name: "MINUS_ONE", Bits: ^uint64(0), Signed: true, Hex: true},
			{Name: "PYTHON_API_VERSION", Bits: 1013, Signed: true},
		},
		Structs: []*layout.Struct{
			{Name: "PyObject", CName: "PyObject", Size: 16, Lines: []layout.Member{ptr("ob_refcnt", 0), ptr("ob_type", 8)}},
			{Name: "PyVarObject", CName: "PyVarObject", Size: 24, Lines: []layout.Member{ptr("ob_base", 0), ptr("x", 8), ptr("ob_size", 16)}},
			{Name: "PyTypeObject", CName: "PyTypeObject", Size: 8, Lines: []layout.Member{ptr("tp_flags", 0)}},
			{Name: "PyTupleObject", CName: "PyTupleObject", Size: 32, Lines: []layout.Member{{Path: "ob_base", Offset: 0, Size: 24, Aggregate: "PyVarObject", Count: 1}, ptr("ob_item", 24)}},
			{Name: "S", CName: "S", Size: 16,
				Lines: []layout.Member{ptr("a", 0), {Offset: 8, Size: 4, Storage: true, Bits: []string{"f", "g"}}, {Offset: 12, Size: 4, Padding: true}},
				Alts:  []layout.Member{{Path: "alt", CType: "long", Offset: 0, Size: 8}},
				Bitfields: []layout.Bitfield{
					{Path: "f", CType: "unsigned int", Offset: 8, Unit: 4, Shift: 0, Width: 1, Mask: 1},
					{Path: "g", CType: "int", Offset: 8, Unit: 4, Shift: 2, Width: 3, Mask: 0x1C, Signed: true},
				}},
		},
		Access: layout.Access{
			Type:  &layout.Getter{Field: layout.FieldRef{Struct: "PyObject", Path: "ob_type"}},
			Size:  &layout.Getter{Field: layout.FieldRef{Struct: "PyVarObject", Path: "ob_size"}},
			Tuple: &layout.Items{Items: layout.FieldRef{Struct: "PyTupleObject", Path: "ob_item"}, Inline: true, Elem: 8},
			Flags: &layout.TypeFlags{Field: layout.FieldRef{Struct: "PyTypeObject", Path: "tp_flags"}, Size: 8},
		},
	}
}

func gen(t *testing.T, m *layout.Model) string {
	t.Helper()
	var b bytes.Buffer
	if err := NASM(&b, m, Options{Generator: "pyinc test"}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func wantLines(t *testing.T, inc string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(inc, "\n"+l+"\n") {
			t.Errorf("no line %q in the include", l)
		}
	}
}

func TestAccessorMacros(t *testing.T) {
	inc := gen(t, model())
	wantLines(t, inc,
		"%macro Py_TYPE 2", "    mov %1, [%2 + PyObject.ob_type]",
		"%macro Py_SIZE 2", "    mov %1, [%2 + PyVarObject.ob_size]",
		"%macro PyTuple_GET_ITEM 3", "    mov %1, [%2 + PyTupleObject.ob_item + 8*(%3)]",
		"    mov [%1 + PyTupleObject.ob_item + 8*(%2)], %3",
		"%macro PY_JMP 1", "    jmp %1 wrt ..plt",
		"%macro PY_BF_LOAD 3 ; dst, base, FIELD", "%macro PY_BF_TEST 2 ; base, FIELD",
		"        test dword [r11 + PyTypeObject.tp_flags + 4], (%2) >> 32")
	// What the model does not allow is not there.
	for _, absent := range []string{"PyList_GET_ITEM", "PyUnicode_DATA", "test qword"} {
		if strings.Contains(inc, absent) {
			t.Errorf("the include has %s, which the model does not allow", absent)
		}
	}
}

func TestAccessorCalls(t *testing.T) {
	m := model()
	m.Structs = m.Structs[4:] // the limited API: no PyObject layout to read
	m.Access = layout.Access{Type: &layout.Getter{Call: "Py_TYPE"}, Flags: &layout.TypeFlags{Call: "PyType_GetFlags"}}
	inc := gen(t, m)
	wantLines(t, inc, "    call [rel Py_TYPE wrt ..gotpc]", "    Py_TYPE rdi, %1", "    PY_CALL PyType_GetFlags", "    test rax, r11")
	for _, absent := range []string{"%macro Py_SIZE", "%macro PyTuple_GET_ITEM"} {
		if strings.Contains(inc, absent) {
			t.Errorf("the include has %s, which the model does not allow", absent)
		}
	}
}

// A macro whose member was left out (here: the struct is missing) is left
// out with a comment, not written to name a label that does not exist.
func TestAccessorNeedsMember(t *testing.T) {
	m := model()
	m.Structs = m.Structs[1:] // no PyObject
	inc := gen(t, m)
	if strings.Contains(inc, "%macro Py_TYPE") || !strings.Contains(inc, "; Py_TYPE left out: PyObject.ob_type is not in this include") {
		t.Errorf("Py_TYPE without PyObject.ob_type:\n%s", inc)
	}
}

func TestMemberMacros(t *testing.T) {
	inc := gen(t, model())
	wantLines(t, inc, "%define S.a? 1", "%define S.alt? 1", "%define S.f? 1", "%define S.g? 1",
		"%define S.g_SIGNED 1 ; a signed bitfield", "%define PyObject.ob_type? 1")
	if strings.Contains(inc, "%define S.f_SIGNED") {
		t.Errorf("an unsigned bitfield has _SIGNED")
	}
	// Padding and storage have no names, so no ? macros: one per name.
	if n := strings.Count(inc, "%define S."); n != 4+2*4+1 {
		t.Errorf("%d %%defines for struct S, want 13 (4 S.m?, 4 per bitfield, 1 _SIGNED)", n)
	}
}

func TestHexConstants(t *testing.T) {
	inc := gen(t, model())
	wantLines(t, inc, "%define PY_VERSION_HEX 0x030C01F0", "%define METH_VARARGS 0x01",
		"%define Py_TPFLAGS_TYPE_SUBCLASS 0x80000000", "%define MINUS_ONE (-1)", "%define PYTHON_API_VERSION 1013")
}

// The header's bitfield example names a bitfield of this include, one
// with both a shift and a mask.
func TestHeaderBitfieldExample(t *testing.T) {
	inc := gen(t, model())
	for _, l := range []string{"mov eax, dword [rdi + S.g]", "and eax, S.g_MASK", "shr eax, S.g_SHIFT", "not shifted down"} {
		if !strings.Contains(inc, l) {
			t.Errorf("the header comment lacks %q", l)
		}
	}
}
