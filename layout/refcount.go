package layout

import (
	"strings"

	"modernc.org/cc/v4"
)

// refMacros are the macros the reference counting scheme makes.
var refMacros = []string{"Py_INCREF", "Py_DECREF", "Py_XINCREF", "Py_XDECREF", "Py_RETURN_NONE", "Py_RETURN_TRUE", "Py_RETURN_FALSE"}

// refcount works out the reference counting scheme from what the headers
// contain: the configuration macros they define and PyObject's members.
func (b *builder) refcount() {
	m := b.m
	exported := func(name string) bool {
		s := b.declared(name)
		return s != nil && s.Func && !s.NotInLib
	}
	call := func(why string) {
		// The function the header's own Py_INCREF calls in this
		// configuration (_Py_IncRef from 3.10), else Py_IncRef, which
		// every Python 3 exports.
		rc := &RefCount{Kind: RefCall, Why: why, Inc: "Py_IncRef", Dec: "Py_DecRef"}
		if b.inlineCalls("Py_INCREF", "_Py_IncRef") && b.inlineCalls("Py_DECREF", "_Py_DecRef") &&
			exported("_Py_IncRef") && exported("_Py_DecRef") {
			rc.Inc, rc.Dec = "_Py_IncRef", "_Py_DecRef"
		}
		if !exported(rc.Inc) || !exported(rc.Dec) {
			b.omit("neither Py_IncRef nor _Py_IncRef is exported", refMacros...)
			return
		}
		m.RefCount = rc
	}
	for _, c := range m.Config {
		switch name, _, _ := strings.Cut(c, "="); name {
		case "Py_REF_DEBUG", "Py_GIL_DISABLED", "Py_LIMITED_API":
			// Py_LIMITED_API: the stable ABI promises no count layout
			// across versions, so calls are the only safe choice.
			call(name + " is defined")
			return
		}
	}
	var obj *Struct
	for _, s := range m.Structs {
		if s.Name == "PyObject" {
			obj = s
		}
	}
	if obj == nil {
		b.omit("no PyObject struct in the headers", refMacros...)
		return
	}
	member := func(path string) *Member {
		for _, l := range append(append([]Member{}, obj.Lines...), obj.Alts...) {
			if l.Path == path {
				return &l
			}
		}
		return nil
	}
	cnt := member("ob_refcnt")
	dealloc := ""
	if exported("_Py_Dealloc") {
		dealloc = "_Py_Dealloc"
	}
	switch split := member("ob_refcnt_split"); {
	case cnt != nil && cnt.Size == 8 && split == nil:
		m.RefCount = &RefCount{Kind: RefPlain, Why: "PyObject.ob_refcnt is a plain 64-bit count", Field: "ob_refcnt", Dealloc: dealloc}
	case cnt != nil && cnt.Size == 8 && split != nil && split.Elem == 4:
		m.RefCount = &RefCount{Kind: RefSplit, Why: "PyObject.ob_refcnt overlaps ob_refcnt_split: 32-bit saturating count, immortal objects", Field: "ob_refcnt", Dealloc: dealloc}
	case cnt != nil && cnt.Size == 4 && member("ob_refcnt_full") != nil && b.isConstant("_Py_IMMORTAL_INITIAL_REFCNT"):
		m.RefCount = &RefCount{Kind: RefU32, Why: "PyObject.ob_refcnt is a 32-bit count beside ob_flags in ob_refcnt_full: immortal from _Py_IMMORTAL_INITIAL_REFCNT",
			Field: "ob_refcnt", Dealloc: dealloc, Immortal: "_Py_IMMORTAL_INITIAL_REFCNT"}
	default:
		b.omit("PyObject's count has a layout pyinc does not know", refMacros...)
	}
}

// inlineCalls reports whether the headers' static inline function fn (or
// _fn, as 3.8 and 3.9 name it) calls callee, as preprocessed for this
// configuration.
func (b *builder) inlineCalls(fn, callee string) bool {
	for _, fd := range b.funcDefs(fn) {
		for _, tok := range cc.NodeTokens(fd.CompoundStatement) {
			if tok.Ch == rune(cc.IDENTIFIER) && tok.SrcStr() == callee {
				return true
			}
		}
	}
	return false
}
