package layout

import (
	"strings"

	"modernc.org/cc/v4"
)

// access works out the accessor macros from the headers: which members
// the headers' own Py_TYPE, Py_SIZE, PyTuple_GET_ITEM, PyUnicode_DATA and
// PyType_HasFeature read, or which exported function they call instead.
// What cannot be written is said in Omitted.
func (b *builder) access() {
	a := &b.m.Access
	a.Type = b.getter("Py_TYPE", "PyObject", "ob_type")
	a.Size = b.getter("Py_SIZE", "PyVarObject", "ob_size")
	a.Tuple = b.items("PyTupleObject", true, a.Size, SeqCalls{"PyTuple_Size", "PyTuple_GetItem", "PyTuple_SetItem"})
	a.List = b.items("PyListObject", false, a.Size, SeqCalls{"PyList_Size", "PyList_GetItem", "PyList_SetItem"})
	a.Unicode = b.unicode()
	a.StrLength = b.strLength(a.Unicode)
	a.Flags = b.typeFlags()
	a.Checks = b.typeChecks(a.Type, a.Flags)
	a.Raise = b.raise()
	a.Long = b.long(a.Size)
}

// omit says that the macros names are left out, and why, in the form the
// include's "Left out" section gives it and emit.LeftOut reads back:
// "A, B and C: why".
func (b *builder) omit(why string, names ...string) {
	list := names[0]
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	b.m.Omitted = append(b.m.Omitted, list+": "+why)
}

// limited reports whether the headers are read under the limited API,
// which hides the object layouts the inline macros read.
func (b *builder) limited() bool {
	for _, c := range b.m.Config {
		if strings.HasPrefix(c, "Py_LIMITED_API") {
			return true
		}
	}
	return false
}

// exported reports whether the headers declare the function name and the
// libpython found (if any) exports it.
func (b *builder) exported(name string) bool {
	s := b.declared(name)
	return s != nil && s.Func && !s.NotInLib
}

// exportedData: the same for a data symbol (a type object).
func (b *builder) exportedData(name string) bool {
	s := b.declared(name)
	return s != nil && !s.Func && !s.NotInLib
}

// hidden is the reason a struct is not in the headers: the limited API
// hides it, or these headers have none.
func (b *builder) hidden(sname, what string) string {
	if b.limited() {
		return "the limited API hides " + what + " (no " + sname + ")"
	}
	return "no " + sname + " in the headers"
}

func (b *builder) structNamed(name string) *Struct {
	for _, s := range b.m.Structs {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// field returns the named member Path of struct sname, a line or an
// alternative.
func (b *builder) field(sname, path string) *Member {
	s := b.structNamed(sname)
	if s == nil {
		return nil
	}
	for _, ls := range [][]Member{s.Lines, s.Alts} {
		for i := range ls {
			if ls[i].Path == path {
				return &ls[i]
			}
		}
	}
	return nil
}

// bitRef finds the bitfield path of struct sname, directly or inside a
// named struct member (path "state.kind" with state a struct that
// declares kind).
func (b *builder) bitRef(sname, path string) *BitRef {
	if s := b.structNamed(sname); s != nil {
		for _, bf := range s.Bitfields {
			if bf.Path == path {
				return &BitRef{Field: FieldRef{sname, path}}
			}
		}
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok {
		return nil
	}
	m := b.field(sname, head)
	if m == nil || m.Aggregate == "" || m.Count != 1 {
		return nil
	}
	inner := b.bitRef(m.Aggregate, rest)
	if inner == nil || inner.Via != nil {
		return nil
	}
	inner.Via = &FieldRef{sname, head}
	return inner
}

// definition returns the tokens of what the headers define name as, as
// preprocessed for this configuration: a function-like or object-like
// macro's replacement list, else a static inline function's body (also
// spelled _name, as 3.8 and 3.9 do); nil when neither exists.
func (b *builder) definition(name string) []cc.Token {
	if m := b.u.AST.Macros[name]; m != nil {
		return m.ReplacementList()
	}
	if fds := b.funcDefs(name); len(fds) > 0 {
		return cc.NodeTokens(fds[0].CompoundStatement)
	}
	return nil
}

// funcDefs are the unit's function definitions named name or _name, in
// the unit's order. The index is made on the first call: the access
// macros ask for some twenty names, and each walk of the unit is long.
func (b *builder) funcDefs(name string) []*cc.FunctionDefinition {
	if b.defs == nil {
		b.defs = map[string][]*cc.FunctionDefinition{}
		for tu := b.u.AST.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
			fd := tu.ExternalDeclaration.FunctionDefinition
			if fd == nil {
				continue
			}
			n := fd.Declarator.Name()
			b.defs[n] = append(b.defs[n], fd)
			if rest, ok := strings.CutPrefix(n, "_"); ok {
				b.defs[rest] = append(b.defs[rest], fd)
			}
		}
	}
	return b.defs[name]
}

// mentions reports whether toks hold a name (an identifier or a typedef
// name, outside string literals: __func__ spells the function's name)
// containing any of subs.
func mentions(toks []cc.Token, subs ...string) bool {
	for _, t := range toks {
		src := t.SrcStr()
		if strings.HasPrefix(src, `"`) {
			continue
		}
		for _, s := range subs {
			if strings.Contains(src, s) {
				return true
			}
		}
	}
	return false
}

// getter: the headers' macro reads sname.path inline where they define it
// as a macro or a static inline function, and call it where it is only a
// declared function (the limited API of 3.14 and later for Py_TYPE).
func (b *builder) getter(macro, sname, path string) *Getter {
	if b.definition(macro) != nil {
		if b.field(sname, path) == nil {
			b.omit("no "+sname+"."+path+" in the headers", macro)
			return nil
		}
		return &Getter{Field: FieldRef{sname, path}}
	}
	if b.exported(macro) {
		return &Getter{Call: macro}
	}
	b.omit("the headers define it neither inline nor as an exported function", macro)
	return nil
}

// items: the sequence's items where the headers let code read them, else
// (the struct is opaque under the limited API) the API's functions.
func (b *builder) items(sname string, inline bool, size *Getter, calls SeqCalls) *Items {
	kind := strings.TrimSuffix(sname, "Object")
	names := []string{kind + "_GET_SIZE", kind + "_GET_ITEM", kind + "_SET_ITEM"}
	m := b.field(sname, "ob_item")
	switch {
	case m != nil && (m.Elem == 1 || m.Elem == 2 || m.Elem == 4 || m.Elem == 8) && size != nil && size.Call == "":
		return &Items{Items: FieldRef{sname, "ob_item"}, Inline: inline, Elem: m.Elem}
	case m != nil && size != nil && size.Call == "":
		b.omit(sname+".ob_item's items are not 1, 2, 4 or 8 bytes", names...)
	case b.exported(calls.Size) && b.exported(calls.Get) && b.exported(calls.Set):
		return &Items{Calls: &calls}
	default:
		b.omit(b.hidden(sname, "the "+strings.ToLower(strings.TrimPrefix(kind, "Py"))+"'s layout")+"; "+
			calls.Size+", "+calls.Get+" and "+calls.Set+" are not all exported", names...)
	}
	return nil
}

// unicode checks that the headers' _PyUnicode_COMPACT_DATA is the rule
// Unicode describes and that every member it reads is there.
func (b *builder) unicode() *Unicode {
	what := []string{"PyUnicode_KIND", "PyUnicode_DATA", "PyUnicode_IS_ASCII", "PyUnicode_READY"}
	if b.structNamed("PyASCIIObject") == nil {
		b.omit(b.hidden("PyASCIIObject", "the str's layout"), what...)
		return nil
	}
	compact := b.definition("_PyUnicode_COMPACT_DATA")
	if compact == nil || !mentions(compact, "PyASCIIObject") || !mentions(compact, "PyCompactUnicodeObject") {
		b.omit("the headers have no _PyUnicode_COMPACT_DATA of the rule pyinc knows", what...)
		return nil
	}
	u := &Unicode{Length: FieldRef{"PyASCIIObject", "length"}, ASCIIHead: "PyASCIIObject",
		CompactHead: "PyCompactUnicodeObject", Data: FieldRef{"PyUnicodeObject", "data.any"}}
	for _, bf := range []struct {
		dst  *BitRef
		name string
	}{{&u.Kind, "kind"}, {&u.Compact, "compact"}, {&u.ASCII, "ascii"}} {
		r := b.bitRef("PyASCIIObject", "state."+bf.name)
		if r == nil {
			b.omit("no bitfield PyASCIIObject.state."+bf.name, what...)
			return nil
		}
		*bf.dst = *r
	}
	for _, f := range []FieldRef{u.Length, u.Data} {
		if b.field(f.Struct, f.Path) == nil {
			b.omit("no "+f.Struct+"."+f.Path+" in the headers", what...)
			return nil
		}
	}
	if r := b.bitRef("PyASCIIObject", "state.ready"); r != nil {
		u.Ready, u.ReadyBit = true, *r
	}
	if b.structNamed(u.CompactHead) == nil {
		b.omit("no struct PyCompactUnicodeObject in the headers", what...)
		return nil
	}
	if u.Ready {
		// The headers' PyUnicode_READY: ready, or _PyUnicode_Ready(op).
		if !has(b.definitions("PyUnicode_READY"), "_PyUnicode_Ready") || !b.exported("_PyUnicode_Ready") {
			b.omit("strings may be not ready, and the headers' PyUnicode_READY calls no exported _PyUnicode_Ready", what...)
			return nil
		}
		u.ReadyCall = "_PyUnicode_Ready"
	}
	return u
}

// strLength: PyUnicode_GET_LENGTH reads PyASCIIObject.length where the
// layout is there, else calls PyUnicode_GetLength.
func (b *builder) strLength(u *Unicode) *Getter {
	switch {
	case u != nil:
		return &Getter{Field: u.Length}
	case b.exported("PyUnicode_GetLength"):
		return &Getter{Call: "PyUnicode_GetLength"}
	}
	b.omit("neither the str's layout nor an exported PyUnicode_GetLength", "PyUnicode_GET_LENGTH")
	return nil
}

// typeFlags follows the headers' PyType_HasFeature: tp_flags, or
// PyType_GetFlags where the type object is opaque.
func (b *builder) typeFlags() *TypeFlags {
	what := []string{"PY_JUMP_UNLESS_FLAG", "PY_JUMP_IF_FLAG"}
	def := b.definition("PyType_HasFeature")
	switch {
	case def == nil:
		b.omit("the headers define no PyType_HasFeature", what...)
	case mentions(def, "PyType_GetFlags"):
		if b.exported("PyType_GetFlags") {
			return &TypeFlags{Call: "PyType_GetFlags"}
		}
		b.omit("PyType_GetFlags is not exported", what...)
	case mentions(def, "tp_flags"):
		if m := b.field("PyTypeObject", "tp_flags"); m != nil && (m.Size == 4 || m.Size == 8) {
			return &TypeFlags{Field: FieldRef{"PyTypeObject", "tp_flags"}, Size: m.Size}
		}
		b.omit("no 4- or 8-byte PyTypeObject.tp_flags in the headers", what...)
	default:
		b.omit("the headers' PyType_HasFeature reads neither tp_flags nor PyType_GetFlags", what...)
	}
	return nil
}
