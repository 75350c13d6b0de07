package layout_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/layout"
)

// build runs pyinc's stages on a made-up Python.h (no Python needed).
func build(t *testing.T, header string) *layout.Model {
	t.Helper()
	inc := filepath.Join(t.TempDir(), "python3.99")
	os.Mkdir(inc, 0o755)
	os.WriteFile(filepath.Join(inc, "Python.h"), []byte(header), 0o644)
	r, err := pipeline.Run(&cparse.Python{Version: "3.99.0", IncludeDirs: []string{inc}, Source: "test"}, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, header)
	}
	return r.Model
}

func TestWrittenAsBits(t *testing.T) {
	m := build(t, `
#define HEXLIT 0x10
#define SHIFT (1 << 3)
#define DEC 12
#define OR (DEC | 1)
#define NAMES_HEX HEXLIT
#define NAMES_DEC DEC
enum { E_HEX = 0x4, E_DEC = 3, E_NEXT };
`)
	want := map[string]bool{"HEXLIT": true, "SHIFT": true, "DEC": false, "OR": true, "NAMES_HEX": true,
		"NAMES_DEC": false, "E_HEX": true, "E_DEC": false, "E_NEXT": false}
	for _, c := range m.Constants {
		if w, ok := want[c.Name]; ok {
			if c.Hex != w {
				t.Errorf("%s: Hex %v, want %v", c.Name, c.Hex, w)
			}
			delete(want, c.Name)
		}
	}
	for n := range want {
		t.Errorf("constant %s missing", n)
	}
}

const objects = `
typedef struct _typeobject PyTypeObject;
typedef struct { long ob_refcnt; PyTypeObject *ob_type; } PyObject;
typedef struct { PyObject ob_base; long ob_size; } PyVarObject;
struct _typeobject { PyVarObject ob_base; unsigned long tp_flags; };
typedef struct { PyVarObject ob_base; PyObject *ob_item[1]; } PyTupleObject;
`

// The headers decide: macros that read members are inline, a function
// that is only declared is called.
func TestAccessFromHeaders(t *testing.T) {
	m := build(t, objects+`
#define Py_TYPE(ob) (((PyObject *)(ob))->ob_type)
static inline long Py_SIZE(PyObject *ob) { return ((PyVarObject *)ob)->ob_size; }
#define PyType_HasFeature(t, f) (((t)->tp_flags & (f)) != 0)
`)
	a := m.Access
	if a.Type == nil || a.Type.Field != (layout.FieldRef{Struct: "PyObject", Path: "ob_type"}) || a.Type.Call != "" {
		t.Errorf("Py_TYPE: %+v", a.Type)
	}
	if a.Size == nil || a.Size.Field.Path != "ob_size" {
		t.Errorf("Py_SIZE: %+v", a.Size)
	}
	if a.Tuple == nil || a.Tuple.Elem != 8 || !a.Tuple.Inline {
		t.Errorf("tuple: %+v", a.Tuple)
	}
	if a.List != nil || a.Unicode != nil {
		t.Errorf("list %+v, str %+v: the headers have neither", a.List, a.Unicode)
	}
	if a.Flags == nil || a.Flags.Field.Path != "tp_flags" || a.Flags.Size != 8 {
		t.Errorf("flags: %+v", a.Flags)
	}

	m = build(t, objects+`
PyTypeObject *Py_TYPE(PyObject *);
unsigned long PyType_GetFlags(PyTypeObject *);
static inline int PyType_HasFeature(PyTypeObject *t, unsigned long f) { return (PyType_GetFlags(t) & f) != 0; }
`)
	a = m.Access
	if a.Type == nil || a.Type.Call != "Py_TYPE" {
		t.Errorf("Py_TYPE, a declared function: %+v", a.Type)
	}
	if a.Size != nil || a.Tuple != nil {
		t.Errorf("no Py_SIZE in the headers, yet %+v %+v", a.Size, a.Tuple)
	}
	if a.Flags == nil || a.Flags.Call != "PyType_GetFlags" {
		t.Errorf("flags through PyType_GetFlags: %+v", a.Flags)
	}
	if len(m.Omitted) == 0 {
		t.Errorf("what is left out is not said")
	}
}

const strTail = `
typedef struct { PyASCIIObject _base; long utf8_length; char *utf8; } PyCompactUnicodeObject;
typedef struct { PyCompactUnicodeObject _base; union { void *any; } data; } PyUnicodeObject;
#define _PyUnicode_COMPACT_DATA(op) (((PyASCIIObject *)(op))->state.ascii ? \
    ((void *)((PyASCIIObject *)(op) + 1)) : ((void *)((PyCompactUnicodeObject *)(op) + 1)))
`

// str's state bitfields are found in PyASCIIObject (to 3.13) or in the
// struct its member state is (3.14).
func TestAccessUnicode(t *testing.T) {
	flat := build(t, objects+`
typedef struct { PyObject ob_base; long length; long hash;
    struct { unsigned int interned:2; unsigned int kind:3; unsigned int compact:1; unsigned int ascii:1; unsigned int ready:1; } state;
} PyASCIIObject;
int _PyUnicode_Ready(PyObject *);
static inline int PyUnicode_READY(PyObject *op) { return op ? _PyUnicode_Ready(op) : 0; }`+strTail)
	u := flat.Access.Unicode
	if u == nil || u.Kind.Via != nil || u.Kind.Field != (layout.FieldRef{Struct: "PyASCIIObject", Path: "state.kind"}) || !u.Ready ||
		u.ReadyCall != "_PyUnicode_Ready" || u.ReadyBit.Field != (layout.FieldRef{Struct: "PyASCIIObject", Path: "state.ready"}) {
		t.Fatalf("str with the state bitfields in PyASCIIObject: %+v (left out: %v)", u, flat.Omitted)
	}
	nested := build(t, objects+`
struct _PyUnicodeObject_state { unsigned int interned:2; unsigned int kind:3; unsigned int compact:1; unsigned int ascii:1; };
typedef struct { PyObject ob_base; long length; long hash; struct _PyUnicodeObject_state state; } PyASCIIObject;`+strTail)
	u = nested.Access.Unicode
	if u == nil || u.Kind.Via == nil || *u.Kind.Via != (layout.FieldRef{Struct: "PyASCIIObject", Path: "state"}) ||
		u.ASCII.Field != (layout.FieldRef{Struct: "_PyUnicodeObject_state", Path: "ascii"}) || u.Ready {
		t.Fatalf("str with the state bitfields in a struct of their own: %+v (left out: %v)", u, nested.Omitted)
	}
}

// The type checks follow the headers' definitions: a subclass flag, the
// exact type object, or PyObject_TypeCheck (a subtype call); one whose
// flag is not a constant is left out with the reason.
func TestTypeChecks(t *testing.T) {
	m := build(t, objects+`
#define Py_TPFLAGS_LONG_SUBCLASS (1UL << 24)
#define PyType_HasFeature(t, f) (((t)->tp_flags & (f)) != 0)
#define Py_TYPE(op) (((PyObject *)(op))->ob_type)
extern PyTypeObject PyLong_Type, PyFloat_Type;
int PyType_IsSubtype(PyTypeObject *, PyTypeObject *);
#define PyLong_Check(op) PyType_HasFeature(Py_TYPE(op), Py_TPFLAGS_LONG_SUBCLASS)
static inline int PyLong_CheckExact(PyObject *op) { return Py_TYPE(op) == &PyLong_Type; }
#define PyObject_TypeCheck(ob, tp) (Py_TYPE(ob) == (tp) || PyType_IsSubtype(Py_TYPE(ob), (tp)))
#define PyFloat_Check(op) PyObject_TypeCheck(op, &PyFloat_Type)
#define PyDict_Check(op) PyType_HasFeature(Py_TYPE(op), Py_TPFLAGS_DICT_SUBCLASS)
#define PyBytes_Check PyLong_Check
`)
	got := map[string]layout.TypeCheck{}
	for _, c := range m.Access.Checks {
		got[c.Name] = c
	}
	want := map[string]layout.TypeCheck{
		"PyLong_Check":      {Name: "PyLong_Check", Flag: "Py_TPFLAGS_LONG_SUBCLASS"},
		"PyLong_CheckExact": {Name: "PyLong_CheckExact", Type: "PyLong_Type"},
		"PyFloat_Check":     {Name: "PyFloat_Check", Type: "PyFloat_Type", Subtype: true},
		"PyBytes_Check":     {Name: "PyBytes_Check", Flag: "Py_TPFLAGS_LONG_SUBCLASS"}, // an alias, as 2.7's
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checks %+v, want %+v", got, want)
	}
	if !strings.Contains(strings.Join(m.Omitted, "\n"), "PyDict_Check: the headers test Py_TPFLAGS_DICT_SUBCLASS") {
		t.Errorf("PyDict_Check's flag is no constant: not said in %q", m.Omitted)
	}
}

// PyLong_COMPACT_VALUE reads the tag (3.12+) or ob_size, by what the
// headers lay out; without the int's struct the sequence macros become
// calls and the reasons name the macros.
func TestLongAndCalls(t *testing.T) {
	tag := build(t, objects+`
#define PyLong_SHIFT 30
#define _PyLong_SIGN_MASK 3
#define _PyLong_NON_SIZE_BITS 3
typedef unsigned int digit;
typedef struct _PyLongValue { unsigned long lv_tag; digit ob_digit[1]; } _PyLongValue;
typedef struct { PyObject ob_base; _PyLongValue long_value; } PyLongObject;
static inline long _PyLong_CompactValue(const PyLongObject *op) {
    return (1 - (long)(op->long_value.lv_tag & _PyLong_SIGN_MASK)) * (long)op->long_value.ob_digit[0];
}
`)
	if l := tag.Access.Long; l == nil || l.Tag == nil || l.Tag.Path != "lv_tag" || l.Digits.Path != "ob_digit" || l.Digit != 4 || l.Via == nil {
		t.Errorf("3.12's ints: %+v (left out: %q)", l, tag.Omitted)
	}
	size := build(t, objects+`
#define PyLong_SHIFT 15
typedef unsigned short digit;
typedef struct { PyVarObject ob_base; digit ob_digit[1]; } PyLongObject;
#define Py_SIZE(op) (((PyVarObject *)(op))->ob_size)
`)
	if l := size.Access.Long; l == nil || l.Size == nil || l.Digit != 2 || l.Tag != nil {
		t.Errorf("3.11's ints: %+v (left out: %q)", l, size.Omitted)
	}
	opaque := build(t, `
typedef struct _object PyObject;
long PyList_Size(PyObject *); PyObject *PyList_GetItem(PyObject *, long); int PyList_SetItem(PyObject *, long, PyObject *);
`)
	if it := opaque.Access.List; it == nil || it.Calls == nil || *it.Calls != (layout.SeqCalls{Size: "PyList_Size", Get: "PyList_GetItem", Set: "PyList_SetItem"}) {
		t.Errorf("an opaque list: %+v", it)
	}
	omitted := strings.Join(opaque.Omitted, "\n")
	for _, want := range []string{"PyTuple_GET_SIZE, PyTuple_GET_ITEM and PyTuple_SET_ITEM: no PyTupleObject in the headers",
		"PyLong_COMPACT_VALUE: no PyLongObject in the headers"} {
		if !strings.Contains(omitted, want) {
			t.Errorf("left out %q: want %q", omitted, want)
		}
	}
}
