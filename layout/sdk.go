package layout

import (
	"regexp"
	"strings"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/internal/infile"
)

// checkTypes are the types whose _Check and _CheckExact the include
// writes as PY_JUMP_IF and PY_JUMP_UNLESS checks.
var checkTypes = []string{"PyLong", "PyUnicode", "PyList", "PyTuple", "PyDict", "PyBytes", "PyFloat", "PyType"}

// definitions are the names in every definition of name the headers
// have: the macro's replacement list and the static inline function's
// body as the header writes it, before its macros expand (3.12's
// PyType_Check is a macro that calls the inline function of the same name,
// whose body tests Py_TPFLAGS_TYPE_SUBCLASS, a macro).
func (b *builder) definitions(name string) []string {
	var ids []string
	if m := b.u.AST.Macros[name]; m != nil {
		for _, t := range m.ReplacementList() {
			if t.Ch == rune(cc.IDENTIFIER) {
				ids = append(ids, t.SrcStr())
			}
		}
	}
	for _, fd := range b.funcDefs(name) {
		ids = append(ids, b.sourceIdents(fd.CompoundStatement)...)
	}
	return ids
}

var identRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// sourceIdents are the identifiers of a compound statement as its header
// spells them, from its opening to its closing brace's line; the tokens
// after preprocessing where the file cannot be read.
func (b *builder) sourceIdents(cs *cc.CompoundStatement) []string {
	from, to := cs.Token.Position(), cs.Token2.Position()
	text, err := infile.Read(from.Filename, infile.HeaderLimit)
	if err == nil && from.Filename == to.Filename && from.Line > 0 && to.Line >= from.Line {
		lines := strings.Split(string(text), "\n")
		if to.Line <= len(lines) {
			return identRE.FindAllString(strings.Join(lines[from.Line-1:to.Line], "\n"), -1)
		}
	}
	var ids []string
	for _, t := range cc.NodeTokens(cs) {
		if t.Ch == rune(cc.IDENTIFIER) {
			ids = append(ids, t.SrcStr())
		}
	}
	return ids
}

func has(ids []string, names ...string) bool {
	for _, id := range ids {
		for _, n := range names {
			if id == n {
				return true
			}
		}
	}
	return false
}

// typeChecks follows each headers' check: the subclass flag it tests
// (PyLong_Check: Py_TPFLAGS_LONG_SUBCLASS), or the type object it
// compares the object's type with, exactly (Py_IS_TYPE, PyLong_CheckExact)
// or with its subtypes (PyObject_TypeCheck, PyFloat_Check).
func (b *builder) typeChecks(typ *Getter, flags *TypeFlags) []TypeCheck {
	var out []TypeCheck
	for _, t := range checkTypes {
		for _, name := range []string{t + "_Check", t + "_CheckExact"} {
			if c, why := b.typeCheck(name, typ, flags); why != "" {
				b.omit(why+" (so no PY_JUMP_IF or PY_JUMP_UNLESS check "+name+")", name)
			} else if c != nil {
				out = append(out, *c)
			}
		}
	}
	return out
}

// typeCheck works out one check; why says what is missing for one the
// headers define, and both are zero when they define none.
func (b *builder) typeCheck(name string, typ *Getter, flags *TypeFlags) (*TypeCheck, string) {
	def := b.definitions(name)
	if len(def) == 0 {
		return nil, ""
	}
	// An alias (2.7: #define PyBytes_Check PyString_Check) tests what the
	// check it names tests.
	for seen := 0; len(def) == 1 && seen < 4; seen++ {
		if next := b.definitions(def[0]); len(next) > 0 {
			def = next
		}
	}
	if typ == nil {
		return nil, "no Py_TYPE"
	}
	var flag, typeObj string
	for _, s := range def {
		switch {
		case strings.HasPrefix(s, "Py_TPFLAGS_") && strings.HasSuffix(s, "_SUBCLASS"):
			flag = s
		case strings.HasSuffix(s, "_Type") && s != "PyTypeObject" && b.declared(s) != nil:
			typeObj = s
		}
	}
	switch {
	case flag != "":
		if !b.isConstant(flag) || flags == nil {
			return nil, "the headers test " + flag + ", and the include has no flag test for it"
		}
		return &TypeCheck{Name: name, Flag: flag}, ""
	case typeObj == "":
		return nil, "the headers' " + name + " tests neither a subclass flag nor a type object"
	case !b.exportedData(typeObj):
		return nil, typeObj + " is not exported"
	}
	sub := has(def, "PyObject_TypeCheck", "PyType_IsSubtype")
	if sub && !b.exported("PyType_IsSubtype") {
		return nil, "PyType_IsSubtype is not exported"
	}
	return &TypeCheck{Name: name, Type: typeObj, Subtype: sub}, ""
}

// raise: PY_RAISE and PY_RAISE_FMT call PyErr_SetString and PyErr_Format.
func (b *builder) raise() *Raise {
	if !b.exported("PyErr_SetString") || !b.exported("PyErr_Format") {
		b.omit("PyErr_SetString or PyErr_Format is not exported", "PY_RAISE", "PY_RAISE_FMT")
		return nil
	}
	return &Raise{SetString: "PyErr_SetString", Format: "PyErr_Format"}
}

// long finds how an int's digits are held: from 3.12 the headers'
// _PyLong_CompactValue reads long_value.lv_tag and its sign as
// 1 - (lv_tag & _PyLong_SIGN_MASK); up to 3.11 ob_size counts the digits
// and carries the sign. Either way the digits follow, PyLong_SHIFT bits
// each.
func (b *builder) long(size *Getter) *Long {
	const what = "PyLong_COMPACT_VALUE"
	digits := b.field("PyLongObject", "ob_digit")
	lv := b.field("PyLongObject", "long_value")
	switch {
	case digits == nil && lv == nil:
		b.omit(b.hidden("PyLongObject", "the int's layout"), what)
		return nil
	case !b.isConstant("PyLong_SHIFT"):
		b.omit("no PyLong_SHIFT in the headers", what)
		return nil
	}
	if lv != nil {
		tag, dig := b.field(lv.Aggregate, "lv_tag"), b.field(lv.Aggregate, "ob_digit")
		switch {
		case tag == nil || dig == nil || tag.Size != 8 || dig.Elem != 2 && dig.Elem != 4:
			b.omit("PyLongObject.long_value has no 8-byte lv_tag and 2- or 4-byte ob_digit", what)
		case !b.isConstant("_PyLong_NON_SIZE_BITS") || !b.isConstant("_PyLong_SIGN_MASK"):
			b.omit("no _PyLong_NON_SIZE_BITS and _PyLong_SIGN_MASK in the headers", what)
		case !has(b.definitions("_PyLong_CompactValue"), "_PyLong_SIGN_MASK"):
			b.omit("the headers' _PyLong_CompactValue does not take the sign from _PyLong_SIGN_MASK", what)
		default:
			return &Long{Tag: &FieldRef{lv.Aggregate, "lv_tag"}, Via: &FieldRef{"PyLongObject", "long_value"},
				Digits: FieldRef{lv.Aggregate, "ob_digit"}, Digit: dig.Elem, Shift: "PyLong_SHIFT",
				NonSizeBits: "_PyLong_NON_SIZE_BITS", SignMask: "_PyLong_SIGN_MASK"}
		}
		return nil
	}
	if size == nil || size.Call != "" || digits.Elem != 2 && digits.Elem != 4 {
		b.omit("no inline Py_SIZE, or PyLongObject.ob_digit's digits are not 2 or 4 bytes", what)
		return nil
	}
	return &Long{Size: &size.Field, Digits: FieldRef{"PyLongObject", "ob_digit"}, Digit: digits.Elem, Shift: "PyLong_SHIFT"}
}
