// Package layout is pyinc's neutral model of a Python's C API: structs with
// their members, offsets, padding and bitfields; constants; symbols; the
// bytes of initializer macros. It is built from a parsed unit and knows
// nothing of any output format.
package layout

import (
	"github.com/pyinc/pyinc/abi"
	"github.com/pyinc/pyinc/target"
)

// Model is everything an include file states about one Python in one
// build configuration.
type Model struct {
	PyVersion string   // PY_VERSION, "3.9.18"
	Config    []string // configuration macros in effect: "Py_DEBUG", "Py_LIMITED_API=0x03060000", ...
	Target    string   // the ABI the numbers are for
	// Platform is the target the model was built for: the writer asks it
	// how code reaches symbols and unwinds.
	Platform       target.Target
	LibPython      string // base name of the libpython checked against, "" if none
	ExportsChecked bool

	Constants  []Constant
	Structs    []*Struct
	Symbols    []Symbol
	Inits      []Init
	Singletons []Alias
	Aliases    []Alias   // macros that rename a symbol: PyModule_Create2 -> PyModule_Create2TraceRefs
	RefCount   *RefCount // nil when the headers' scheme is not one pyinc knows
	Access     Access    // what the object accessor macros read, where the headers allow them
	Omitted    []string  // what was left out, and why
}

// ConstKind says what a constant holds.
type ConstKind int

const (
	IntConst ConstKind = iota
	StringConst
)

// Constant is an object-like macro or an enumerator.
type Constant struct {
	Name   string
	Kind   ConstKind
	Bits   uint64 // the value's 64-bit two's complement pattern
	Signed bool   // Bits is to be read as int64
	Str    string // for StringConst, without the terminating NUL
	// Hex: the headers write the value as bits (a hexadecimal literal, a
	// shift or an or, directly or in the macros it names), so it is
	// written in hexadecimal too.
	Hex bool
}

// Struct is a complete struct or union.
type Struct struct {
	Name      string // typedef name, else tag
	CName     string // how C spells the type: "PyObject", "struct _frame"
	Union     bool
	Size      int64
	Align     int64
	Lines     []Member   // non-overlapping, in offset order, covering [0, Size)
	Alts      []Member   // named members that overlap a line: union alternatives, members of nested anonymous aggregates
	Bitfields []Bitfield // every named bitfield
}

// Member is one member of a struct, or a run of padding or bitfield
// storage in Lines.
type Member struct {
	Path      string // "ml_name", "state.interned"; "" for padding and bitfield storage
	CType     string
	Offset    int64
	Size      int64
	Elem      int64  // size of one element when it is a scalar or array of scalars, else 0
	Count     int64  // 1 for a scalar, N for an array of N
	Aggregate string // Struct.Name of an embedded struct or union (or array of them)
	Flexible  bool   // flexible array member: no storage
	Padding   bool
	Storage   bool     // bitfield storage
	Bits      []string // for Storage: the named bitfields it holds
}

// Bitfield says how to read a bitfield: load Unit bytes at Offset, shift
// right by Shift, keep Width bits (Mask is the mask within the unit).
type Bitfield struct {
	Path   string
	CType  string
	Offset int64 // byte offset of the storage unit
	Unit   int64 // bytes: 1, 2, 4 or 8
	Shift  int
	Width  int
	Mask   uint64
	Signed bool
}

// Symbol is a function or object with external linkage.
type Symbol struct {
	Name     string
	Proto    string    // C declaration
	Func     bool      // function, else data
	Args     []abi.Loc // per parameter: where it travels
	Variadic bool
	Ret      abi.Loc // where the result comes back
	NotInLib bool    // declared, but the libpython found does not export it
}

// Init is the byte image of an initializer macro, with the bytes that stand
// for its parameters marked.
type Init struct {
	Name   string // PyModuleDef_HEAD_INIT
	Params []Param
	Bytes  []byte
	CType  string // the type it initializes
}

// Param is a parameter of an initializer macro at Offset, Size bytes wide.
type Param struct {
	Name         string
	Offset, Size int64
}

// Alias says what a macro of the headers stands for: a symbol (Target),
// or for singletons, a call of Func with the constant Arg.
type Alias struct {
	Name, Target string
	Func, Arg    string
}

// RefKind is how the headers' Py_INCREF and Py_DECREF work.
type RefKind int

const (
	// RefPlain: a plain 64-bit count (through 3.11).
	RefPlain RefKind = iota + 1
	// RefSplit: a 64-bit count whose low 32 bits saturate: an object whose
	// low half, read as int32, is negative is immortal (3.12, 3.13).
	RefSplit
	// RefU32: a 32-bit count (the low half of ob_refcnt_full); objects at
	// or past Immortal are immortal, and a count negative as int32 is not
	// decremented (3.14 and later).
	RefU32
	// RefCall: the headers call exported functions (debug builds with
	// Py_REF_DEBUG, and others where the count is not for inline use).
	RefCall
)

// RefCount says how to write the reference counting macros.
type RefCount struct {
	Kind RefKind
	Why  string // which header facts chose Kind
	// Field is the count member of PyObject the inline kinds change.
	Field string
	// Inc and Dec are the functions RefCall calls.
	Inc, Dec string
	// Dealloc is the exported function an inline Py_DECREF calls when the
	// count drops to zero; "" means through ob_type->tp_dealloc.
	Dealloc string
	// Immortal names the constant of the headers at which RefU32 counts
	// stop: _Py_IMMORTAL_INITIAL_REFCNT.
	Immortal string
}

// FieldRef names a member or bitfield: Path within the struct Struct.
type FieldRef struct {
	Struct string // Struct.Name
	Path   string
}

// BitRef locates a bitfield from the start of an object. Via, when set, is
// the member of the object's struct that embeds the struct declaring the
// bitfield (3.14's PyASCIIObject.state, a struct _PyUnicodeObject_state).
type BitRef struct {
	Via   *FieldRef
	Field FieldRef
}

// Getter is how a macro reads one word of an object: a member, or, where
// the headers make the accessor an exported function, a call of it.
type Getter struct {
	Field FieldRef
	Call  string // the function, when the headers call one instead
}

// Items describes a sequence whose items are pointers: a tuple holds them
// in the object (Inline), a list points at them. Where the headers hide
// the struct (the limited API), Calls names the exported functions the
// macros call instead, and the other fields are zero.
type Items struct {
	Items  FieldRef // PyTupleObject.ob_item, PyListObject.ob_item
	Inline bool
	Elem   int64 // bytes per item
	Calls  *SeqCalls
}

// SeqCalls are the API functions that stand for _GET_SIZE, _GET_ITEM
// and _SET_ITEM: PyTuple_Size, PyTuple_GetItem, PyTuple_SetItem.
type SeqCalls struct{ Size, Get, Set string }

// Unicode is what PyUnicode_GET_LENGTH, _KIND and _DATA read: the
// headers' rule is that a compact ASCII string's characters follow
// PyASCIIObject, another compact string's follow PyCompactUnicodeObject,
// and any other string's are at data.any.
type Unicode struct {
	Length                 FieldRef // PyASCIIObject.length
	Kind, Compact, ASCII   BitRef
	ASCIIHead, CompactHead string   // the structs the characters follow
	Data                   FieldRef // PyUnicodeObject.data.any
	// Ready: strings can be not ready (up to 3.11): kind 0, the
	// characters not yet where the rule says.
	Ready    bool
	ReadyBit BitRef // PyASCIIObject.state.ready, when Ready
	// ReadyCall is the function the headers' PyUnicode_READY calls for a
	// string that is not ready (_PyUnicode_Ready); "" where every string
	// is ready.
	ReadyCall string
}

// TypeCheck is one of the headers' type checks (PyLong_Check,
// PyFloat_CheckExact): a subclass flag of tp_flags (Flag), or a
// comparison of the object's type with the type object Type, exact or
// (Subtype) also accepting its subtypes through PyType_IsSubtype.
type TypeCheck struct {
	Name    string // PyLong_Check
	Flag    string // Py_TPFLAGS_LONG_SUBCLASS, or ""
	Type    string // PyFloat_Type, when Flag is ""
	Subtype bool
}

// Raise names the functions PY_RAISE and PY_RAISE_FMT call.
type Raise struct{ SetString, Format string }

// Long is how an int's value is read from its digits. Up to 3.11 the
// digit count is PyVarObject.ob_size (Size), negative for a negative int;
// from 3.12 it is in a tag (Tag, reached through Via) above
// NonSizeBits, with the sign below it (SignMask: 1 - (tag & mask)).
type Long struct {
	Size        *FieldRef
	Tag         *FieldRef
	Via         *FieldRef // PyLongObject.long_value, for Tag and Digits
	Digits      FieldRef  // the first digit
	Digit       int64     // bytes per digit: 2 or 4
	Shift       string    // the constant of bits per digit: PyLong_SHIFT
	NonSizeBits string    // _PyLong_NON_SIZE_BITS (Tag only)
	SignMask    string    // _PyLong_SIGN_MASK (Tag only)
}

// TypeFlags is how PyType_HasFeature reads tp_flags: a member (Size
// bytes), or under the limited API a call of PyType_GetFlags.
type TypeFlags struct {
	Field FieldRef
	Size  int64
	Call  string
}

// Access is what the accessor macros need; a nil entry means the headers
// do not allow that macro (the reason is in Model.Omitted).
type Access struct {
	Type    *Getter    // Py_TYPE
	Size    *Getter    // Py_SIZE
	Tuple   *Items     // PyTuple_GET_ITEM, _SET_ITEM, _GET_SIZE
	List    *Items     // PyList_GET_ITEM, _SET_ITEM, _GET_SIZE
	Unicode *Unicode   // PyUnicode_GET_LENGTH, _KIND, _DATA
	Flags   *TypeFlags // PY_JUMP_UNLESS_FLAG, PY_JUMP_IF_FLAG
	// StrLength is PyUnicode_GET_LENGTH: PyASCIIObject.length, or under
	// the limited API a call of PyUnicode_GetLength.
	StrLength *Getter
	Checks    []TypeCheck // PY_JUMP_IF and PY_JUMP_UNLESS
	Raise     *Raise      // PY_RAISE, PY_RAISE_FMT
	Long      *Long       // PyLong_COMPACT_VALUE
}
