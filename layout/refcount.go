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
	freeThreaded := false
	for _, c := range m.Config {
		switch name, _, _ := strings.Cut(c, "="); name {
		case "Py_REF_DEBUG", "Py_LIMITED_API":
			// Py_LIMITED_API: the stable ABI promises no count layout
			// across versions, so calls are the only safe choice.
			call(name + " is defined")
			return
		case "Py_GIL_DISABLED":
			freeThreaded = true
		}
	}
	member := b.objectMember()
	if member == nil {
		b.omit("no PyObject struct in the headers", refMacros...)
		return
	}
	if freeThreaded {
		if rc := b.biased(member, exported); rc != nil {
			m.RefCount = rc
		} else {
			call("Py_GIL_DISABLED is defined, and the headers' biased counting is not as pyinc knows it")
		}
		return
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

// objectMember returns a lookup of PyObject's members (alternatives
// too) by path, or nil when the headers have no PyObject.
func (b *builder) objectMember() func(path string) *Member {
	var obj *Struct
	for _, s := range b.m.Structs {
		if s.Name == "PyObject" {
			obj = s
		}
	}
	if obj == nil {
		return nil
	}
	return func(path string) *Member {
		for _, l := range append(append([]Member{}, obj.Lines...), obj.Alts...) {
			if l.Path == path {
				return &l
			}
		}
		return nil
	}
}

// biased is the free-threaded headers' biased reference counting, when
// they do it as pyinc knows (3.13 and 3.14): the owning thread, whose id
// is in ob_tid, changes the 32-bit ob_ref_local without a lock; any other
// adds 1 << _Py_REF_SHARED_SHIFT to ob_ref_shared atomically, or calls
// _Py_DecRefShared; a local count of _Py_IMMORTAL_REFCNT_LOCAL (all ones)
// is immortal, and the owner's local count reaching zero calls
// _Py_MergeZeroLocalRefcount. The thread id is _Py_ThreadId's: here the
// thread pointer, the word at fs:0, read by the headers' own asm. nil when
// any of it is missing from the headers.
func (b *builder) biased(member func(string) *Member, exported func(string) bool) *RefCount {
	tid, local, shared := member("ob_tid"), member("ob_ref_local"), member("ob_ref_shared")
	if tid == nil || tid.Size != 8 || local == nil || local.Size != 4 || shared == nil || shared.Size != 8 {
		return nil
	}
	if c := b.constant("_Py_IMMORTAL_REFCNT_LOCAL"); c == nil || c.Bits != 0xFFFFFFFF || b.constant("_Py_REF_SHARED_SHIFT") == nil {
		return nil
	}
	const merge, decShared = "_Py_MergeZeroLocalRefcount", "_Py_DecRefShared"
	if !b.inlineCalls("Py_DECREF", merge) || !b.inlineCalls("Py_DECREF", decShared) ||
		!b.inlineCalls("Py_INCREF", "_Py_IsOwnedByCurrentThread") || !b.inlineCalls("_Py_IsOwnedByCurrentThread", "_Py_ThreadId") ||
		!exported(merge) || !exported(decShared) {
		return nil
	}
	if !b.inlineMentions("_Py_ThreadId", "%%fs:0") {
		return nil // another platform's thread id (gs, a register, a call)
	}
	return &RefCount{Kind: RefBiased,
		Why:   "Py_GIL_DISABLED: biased counting, ob_ref_local by the owning thread (ob_tid, the thread pointer at fs:0), ob_ref_shared atomically by others",
		Field: "ob_ref_local", Shared: "ob_ref_shared", Owner: "ob_tid",
		Immortal: "_Py_IMMORTAL_REFCNT_LOCAL", SharedShift: "_Py_REF_SHARED_SHIFT",
		Merge: merge, DecShared: decShared}
}

// constant returns the headers' integer constant name, or nil.
func (b *builder) constant(name string) *Constant {
	for i, c := range b.m.Constants {
		if c.Name == name {
			return &b.m.Constants[i]
		}
	}
	return nil
}

// inlineMentions reports whether the body of the headers' static inline
// function fn, as preprocessed for this configuration, has a string
// literal (an asm template) that contains text.
func (b *builder) inlineMentions(fn, text string) bool {
	for tu := b.u.AST.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		fd := tu.ExternalDeclaration.FunctionDefinition
		if fd == nil || fd.Declarator.Name() != fn {
			continue
		}
		for _, tok := range cc.NodeTokens(fd.CompoundStatement) {
			if tok.Ch == rune(cc.STRINGLITERAL) && strings.Contains(tok.SrcStr(), text) {
				return true
			}
		}
	}
	return false
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
