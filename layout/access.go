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
	if a.Size != nil && a.Size.Call == "" {
		a.Tuple = b.items("PyTupleObject", true)
		a.List = b.items("PyListObject", false)
	}
	a.Unicode = b.unicode()
	a.Flags = b.typeFlags()
}

func (b *builder) omit(what, why string) {
	b.m.Omitted = append(b.m.Omitted, what+": "+why)
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
	for tu := b.u.AST.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		fd := tu.ExternalDeclaration.FunctionDefinition
		if fd == nil {
			continue
		}
		if n := fd.Declarator.Name(); n == name || n == "_"+name {
			return cc.NodeTokens(fd.CompoundStatement)
		}
	}
	return nil
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
			b.omit(macro, "no "+sname+"."+path+" in the headers")
			return nil
		}
		return &Getter{Field: FieldRef{sname, path}}
	}
	if s := b.declared(macro); s != nil && s.Func && !s.NotInLib {
		return &Getter{Call: macro}
	}
	b.omit(macro, "the headers define it neither inline nor as an exported function")
	return nil
}

// items: the sequence's items where the headers let code read them (the
// struct is opaque under the limited API).
func (b *builder) items(sname string, inline bool) *Items {
	macro := strings.TrimSuffix(sname, "Object") + "_GET_ITEM"
	m := b.field(sname, "ob_item")
	switch {
	case m == nil:
		b.omit(macro+" and its kin", "no "+sname+".ob_item in the headers")
		return nil
	case m.Elem != 1 && m.Elem != 2 && m.Elem != 4 && m.Elem != 8:
		b.omit(macro+" and its kin", sname+".ob_item's items are not 1, 2, 4 or 8 bytes")
		return nil
	}
	return &Items{Items: FieldRef{sname, "ob_item"}, Inline: inline, Elem: m.Elem}
}

// unicode checks that the headers' _PyUnicode_COMPACT_DATA is the rule
// Unicode describes and that every member it reads is there.
func (b *builder) unicode() *Unicode {
	const what = "PyUnicode_GET_LENGTH, PyUnicode_KIND and PyUnicode_DATA"
	compact := b.definition("_PyUnicode_COMPACT_DATA")
	if compact == nil || !mentions(compact, "PyASCIIObject") || !mentions(compact, "PyCompactUnicodeObject") {
		b.omit(what, "the headers have no _PyUnicode_COMPACT_DATA of the rule pyinc knows")
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
			b.omit(what, "no bitfield PyASCIIObject.state."+bf.name)
			return nil
		}
		*bf.dst = *r
	}
	for _, f := range []FieldRef{u.Length, u.Data} {
		if b.field(f.Struct, f.Path) == nil {
			b.omit(what, "no "+f.Struct+"."+f.Path+" in the headers")
			return nil
		}
	}
	u.Ready = b.bitRef("PyASCIIObject", "state.ready") != nil
	if b.structNamed(u.CompactHead) == nil {
		b.omit(what, "no struct PyCompactUnicodeObject in the headers")
		return nil
	}
	return u
}

// typeFlags follows the headers' PyType_HasFeature: tp_flags, or
// PyType_GetFlags where the type object is opaque.
func (b *builder) typeFlags() *TypeFlags {
	const what = "PY_JUMP_UNLESS_FLAG"
	def := b.definition("PyType_HasFeature")
	switch {
	case def == nil:
		b.omit(what, "the headers define no PyType_HasFeature")
	case mentions(def, "PyType_GetFlags"):
		if s := b.declared("PyType_GetFlags"); s != nil && s.Func && !s.NotInLib {
			return &TypeFlags{Call: "PyType_GetFlags"}
		}
		b.omit(what, "PyType_GetFlags is not exported")
	case mentions(def, "tp_flags"):
		if m := b.field("PyTypeObject", "tp_flags"); m != nil && (m.Size == 4 || m.Size == 8) {
			return &TypeFlags{Field: FieldRef{"PyTypeObject", "tp_flags"}, Size: m.Size}
		}
		b.omit(what, "no 4- or 8-byte PyTypeObject.tp_flags in the headers")
	default:
		b.omit(what, "the headers' PyType_HasFeature reads neither tp_flags nor PyType_GetFlags")
	}
	return nil
}
