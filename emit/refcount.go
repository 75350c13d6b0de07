package emit

import (
	"github.com/pyinc/pyinc/layout"
	"github.com/pyinc/pyinc/target"
)

// refcount writes Py_INCREF and friends for the scheme the headers use.
// Every macro takes a register holding the object.
func (e *nasm) refcount() {
	rc := e.m.RefCount
	if rc == nil {
		return
	}
	e.section("Reference counting, as the headers' Py_INCREF and Py_DECREF do it")
	e.p("; Scheme: %s.\n", rc.Why)
	e.p(`;
; Each macro takes a register (not rsp) that holds the object.
;   Py_INCREF r, Py_XINCREF r   %s
;   Py_DECREF r, Py_XDECREF r   %s
;   Py_RETURN_NONE / _TRUE / _FALSE: rax = the singleton with a new reference,
;                               then ret: use them where ret would stand,
;                               with the stack as it was at entry.
; Py_INCREF and Py_DECREF, where they may call a function, need the stack
; 16-byte aligned, as at any call%s, and keep no caller-saved register:
; %s.
`, incClobbers(rc), decClobbers(rc), e.shadowNote(), e.pl.callerSaved)
	e.p("%%macro _pyinc_call_with 2 ; function, object register\n")
	e.p("%s    %s\n%%endmacro\n", e.pl.moveArg1("%2"), e.pl.callDirect("%1"))
	switch rc.Kind {
	case layout.RefCall:
		e.p("%%macro Py_INCREF 1\n    _pyinc_call_with %s, %%1\n%%endmacro\n", rc.Inc)
		e.p("%%macro Py_DECREF 1\n    _pyinc_call_with %s, %%1\n%%endmacro\n", rc.Dec)
	case layout.RefPlain:
		e.p("%%macro Py_INCREF 1\n    inc qword [%%1 + PyObject.%s]\n%%endmacro\n", rc.Field)
		e.p("%%macro Py_DECREF 1\n    dec qword [%%1 + PyObject.%s]\n    jnz %%%%alive\n", rc.Field)
		e.dealloc(rc)
		e.p("%%%%alive:\n%%endmacro\n")
	case layout.RefU32:
		e.p("%%macro Py_INCREF 1\n    cmp dword [%%1 + PyObject.%s], %s\n    jae %%%%done ; immortal\n", rc.Field, Name(rc.Immortal))
		e.p("    inc dword [%%1 + PyObject.%s]\n%%%%done:\n%%endmacro\n", rc.Field)
		e.p("%%macro Py_DECREF 1\n    cmp dword [%%1 + PyObject.%s], 0\n    jl %%%%alive ; immortal\n", rc.Field)
		e.p("    dec dword [%%1 + PyObject.%s]\n    jnz %%%%alive\n", rc.Field)
		e.dealloc(rc)
		e.p("%%%%alive:\n%%endmacro\n")
	case layout.RefSplit:
		// The low 32 bits saturate: at 0xFFFFFFFF the object is immortal
		// and is not written at all, as the headers' Py_INCREF does: an
		// increment undone after would race with other interpreters'
		// threads and dirty pages shared after fork.
		e.p("%%macro Py_INCREF 1\n    cmp dword [%%1 + PyObject.%s], -1\n    je %%%%done ; immortal\n", rc.Field)
		e.p("    inc dword [%%1 + PyObject.%s]\n%%%%done:\n%%endmacro\n", rc.Field)
		e.p("%%macro Py_DECREF 1\n    cmp dword [%%1 + PyObject.%s], 0\n    jl %%%%alive ; immortal\n", rc.Field)
		e.p("    dec qword [%%1 + PyObject.%s]\n    jnz %%%%alive\n", rc.Field)
		e.dealloc(rc)
		e.p("%%%%alive:\n%%endmacro\n")
	}
	e.p(`%%macro Py_XINCREF 1
    test %%1, %%1
    jz %%%%null
    Py_INCREF %%1
%%%%null:
%%endmacro
%%macro Py_XDECREF 1
    test %%1, %%1
    jz %%%%null
    Py_DECREF %%1
%%%%null:
%%endmacro
`)
	for _, s := range []struct{ macro, singleton string }{{"NONE", "Py_None"}, {"TRUE", "Py_True"}, {"FALSE", "Py_False"}} {
		a := e.singleton(s.singleton)
		if a == nil {
			continue
		}
		if a.Func != "" {
			// A borrowed reference from the function, then a new one.
			e.returnByCall(s.macro, a)
			continue
		}
		e.p("%%macro Py_RETURN_%s 0\n    PY_ADDR rax, %s\n", s.macro, s.singleton)
		if rc.Kind == layout.RefCall {
			e.saveAcrossCall("    Py_INCREF rax\n")
		} else {
			e.p("    Py_INCREF rax\n")
		}
		e.p("    ret\n%%endmacro\n")
	}
}

func (e *nasm) singleton(name string) *layout.Alias {
	for i, a := range e.m.Singletons {
		if a.Name == name {
			return &e.m.Singletons[i]
		}
	}
	return nil
}

// dealloc calls the deallocator of the object in %1, whose count is zero.
func (e *nasm) dealloc(rc *layout.RefCount) {
	if rc.Dealloc != "" {
		e.p("    _pyinc_call_with %s, %%1\n", rc.Dealloc)
		return
	}
	a := e.pl.args[0]
	e.p("%s", e.pl.moveArg1("%1"))
	e.p("    mov rax, [%s + PyObject.ob_type]\n    call [rax + PyTypeObject.tp_dealloc]\n", a)
}

// shadowNote is what the comments add to "aligned as at a call".
func (e *nasm) shadowNote() string {
	if e.pl.tg.Conv == target.MicrosoftX64 {
		return " with its 32 bytes of\n; shadow space below rsp (PY_FUNC makes both)"
	}
	return ""
}

// returnByCall writes Py_RETURN_<macro> for a singleton a function
// returns (borrowed), with a new reference taken.
func (e *nasm) returnByCall(macro string, a *layout.Alias) {
	e.p("%%macro Py_RETURN_%s 0\n", macro)
	if e.pl.tg.Conv == target.MicrosoftX64 {
		// At entry rsp is 8 off alignment: 40 bytes are the 32 of shadow
		// space and the slot that keeps rax across Py_INCREF.
		e.p("    sub rsp, 40\n    mov %s, %s\n    PY_CALL %s\n", e.pl.args32[0], a.Arg, a.Func)
		e.p("    mov [rsp + 32], rax\n    Py_INCREF rax\n    mov rax, [rsp + 32]\n    add rsp, 40\n    ret\n%%endmacro\n")
		return
	}
	e.p("    sub rsp, 8\n    mov edi, %s\n    PY_CALL %s\n", a.Arg, a.Func)
	e.p("    push rax\n    push rax\n    Py_INCREF rax\n    pop rax\n    pop rax\n    add rsp, 8\n    ret\n%%endmacro\n")
}

// saveAcrossCall writes code (which may call) so that rax survives it, at
// a point where rsp is 8 off 16-byte alignment (where ret would stand).
func (e *nasm) saveAcrossCall(code string) {
	if e.pl.tg.Conv == target.MicrosoftX64 {
		e.p("    sub rsp, 40\n    mov [rsp + 32], rax\n%s    mov rax, [rsp + 32]\n    add rsp, 40\n", code)
		return
	}
	// At a ret, rsp is 8 off 16-byte alignment: one push aligns it.
	e.p("    push rax\n%s    pop rax\n", code)
}

func incClobbers(rc *layout.RefCount) string {
	if rc.Kind == layout.RefCall {
		return "call " + rc.Inc + ": caller-saved registers and flags"
	}
	return "inline: flags only"
}

func decClobbers(rc *layout.RefCount) string {
	if rc.Kind == layout.RefCall {
		return "call " + rc.Dec + ": caller-saved registers and flags"
	}
	return "inline: flags; at zero it calls the deallocator: caller-saved registers"
}
