package emit

import (
	"strings"

	"github.com/pyinc/pyinc/layout"
)

// bitfieldMacros writes PY_BF_LOAD and PY_BF_TEST, which read any bitfield
// by its name's _UNIT, _SHIFT, _WIDTH, _MASK and _SIGNED.
func (e *nasm) bitfieldMacros() {
	e.section("Bitfield macros")
	e.p(`; PY_BF_LOAD dst, base, FIELD   dst = the value of bitfield FIELD of the struct at base
;                               (a register, or register + offset), shifted down, zero-
;                               extended (sign-extended when FIELD_SIGNED is defined); dst
;                               is a 32- or 64-bit general register; FIELD may be a
;                               %%define that names the bitfield. It loads FIELD_UNIT
;                               bytes (of an 8-byte unit into a 32-bit dst, the 4-byte half
;                               that holds the field); clobbers flags.
; PY_BF_TEST base, FIELD        ZF clear when any bit of the field is set, ZF set when it
;                               is 0; reads memory at the unit's width, clobbers nothing else.
;   PY_BF_LOAD eax, rdi, PyASCIIObject.state.kind
;   PY_BF_TEST rdi, PyASCIIObject.state.compact
;   jz .not_compact
%%macro _pyinc_one_of 2-* ; reg, candidates...: _pyinc_hit = 1 when reg is one of them
    %%assign _pyinc_hit 0
    %%define _pyinc_want %%1
    %%rep %%0 - 1
        %%rotate 1
        %%ifidni %%1, _pyinc_want
            %%assign _pyinc_hit 1
        %%endif
    %%endrep
%%endmacro
%%macro _pyinc_regbits 1 ; reg: _pyinc_bits = its width, 32 or 64
    _pyinc_one_of %%1, rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8, r9, r10, r11, r12, r13, r14, r15
    %%assign _pyinc_bits 64
    %%if !_pyinc_hit
        _pyinc_one_of %%1, eax, ebx, ecx, edx, esi, edi, ebp, esp, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d
        %%assign _pyinc_bits 32
        %%if !_pyinc_hit
            %%error %%1 is not a 32- or 64-bit general register
        %%endif
    %%endif
%%endmacro
%%macro PY_BF_LOAD 3 ; dst, base, FIELD
    _pyinc_regbits %%1
    %%assign _pyinc_lo %%[%%3]_SHIFT
    %%if %%[%%3]_UNIT == 8 && _pyinc_bits == 64
        mov %%1, qword [%%2 + %%3]
    %%elif %%[%%3]_UNIT == 8 && %%[%%3]_SHIFT >= 32
        mov %%1, dword [%%2 + %%3 + 4]
        %%assign _pyinc_lo %%[%%3]_SHIFT - 32
    %%elif %%[%%3]_UNIT == 8 && %%[%%3]_SHIFT + %%[%%3]_WIDTH <= 32
        mov %%1, dword [%%2 + %%3]
    %%elif %%[%%3]_UNIT == 8
        %%error %%3 spans both halves of its 8-byte unit: load it into a 64-bit register
    %%elif %%[%%3]_UNIT == 4 && _pyinc_bits == 64
        movsxd %%1, dword [%%2 + %%3] ; the bits above the field are shifted out below
    %%elif %%[%%3]_UNIT == 4
        mov %%1, dword [%%2 + %%3]
    %%elif %%[%%3]_UNIT == 2
        movzx %%1, word [%%2 + %%3]
    %%else
        movzx %%1, byte [%%2 + %%3]
    %%endif
    ; The field's top bit to the register's top, then down to bit 0: no
    ; mask, so no immediate that an instruction would sign-extend.
    %%if _pyinc_bits - _pyinc_lo - %%[%%3]_WIDTH > 0
        shl %%1, _pyinc_bits - _pyinc_lo - %%[%%3]_WIDTH
    %%endif
    %%if _pyinc_bits - %%[%%3]_WIDTH > 0
        %%ifdef %%[%%3]_SIGNED
            sar %%1, _pyinc_bits - %%[%%3]_WIDTH
        %%else
            shr %%1, _pyinc_bits - %%[%%3]_WIDTH
        %%endif
    %%endif
%%endmacro
%%macro PY_BF_TEST 2 ; base, FIELD
    %%if %%[%%2]_UNIT == 1
        test byte [%%1 + %%2], %%[%%2]_MASK
    %%elif %%[%%2]_UNIT == 2
        test word [%%1 + %%2], %%[%%2]_MASK
    %%elif %%[%%2]_UNIT == 4 || (%%[%%2]_MASK >> 32) == 0
        test dword [%%1 + %%2], %%[%%2]_MASK
    %%elif (%%[%%2]_MASK & 0xFFFFFFFF) == 0
        test dword [%%1 + %%2 + 4], %%[%%2]_MASK >> 32
    %%else
        test dword [%%1 + %%2], %%[%%2]_MASK & 0xFFFFFFFF
        jnz %%%%done
        test dword [%%1 + %%2 + 4], %%[%%2]_MASK >> 32
%%%%done:
    %%endif
%%endmacro
`)
}

// accessors writes the object accessor macros the model allows.
func (e *nasm) accessors() {
	a := e.m.Access
	e.section("Accessor macros, reading objects as the headers' own macros do")
	e.p(`; dst, obj, tup, lst, str and src are 64-bit registers; idx is a 64-bit register or an
; immediate. Registers other than dst, and flags, are left alone unless said.
`)
	e.callArgs()
	e.getter("Py_TYPE", "dst = obj->ob_type", a.Type)
	e.getter("Py_SIZE", "dst = ((PyVarObject *)obj)->ob_size", a.Size)
	e.items("PyTuple", a.Tuple, a.Size)
	e.items("PyList", a.List, a.Size)
	e.getter("PyUnicode_GET_LENGTH", "dst = the length of str obj in code points", a.StrLength)
	e.unicode(a.Unicode)
	e.typeFlags(a.Flags, a.Type)
	e.typeChecks(a.Checks, a.Type)
	e.raise(a.Raise)
	e.compactValue(a.Long)
}

// field is the NASM name of a member or bitfield, if this include has it.
func (e *nasm) field(f layout.FieldRef) (string, bool) {
	n := Name(f.Struct) + "." + f.Path
	o := e.names.owner[n]
	return n, strings.HasPrefix(o, "member ") || strings.HasPrefix(o, "bitfield ")
}

// need reports whether every field is in the include, else says which
// macro is left out.
func (e *nasm) need(macro string, fs ...layout.FieldRef) bool {
	for _, f := range fs {
		if n, ok := e.field(f); !ok {
			e.p("; %s left out: %s is not in this include\n", macro, n)
			return false
		}
	}
	return true
}

func (e *nasm) getter(macro, what string, g *layout.Getter) {
	switch {
	case g == nil:
		return
	case g.Call != "":
		e.p("; %s dst, obj: %s, by a call of the exported %s, as the headers do here:\n", macro, what, g.Call)
		e.p(";   caller-saved registers are gone; %s.\n", e.pl.callNote())
		e.p("%%macro %s 2\n%s", macro, e.pl.moveArg1("%2"))
		// Through the GOT: "call Py_TYPE wrt ..plt" would make NASM warn
		// that a macro of that name takes two parameters.
		e.p("    %s\n    %%ifnidni %%1, rax\n        mov %%1, rax\n    %%endif\n%%endmacro\n", e.pl.callPointer(g.Call))
	case e.need(macro, g.Field):
		n, _ := e.field(g.Field)
		e.p("; %s dst, obj: %s\n%%macro %s 2\n    mov %%1, [%%2 + %s]\n%%endmacro\n", macro, what, macro, n)
	}
}

func (e *nasm) items(kind string, it *layout.Items, size *layout.Getter) {
	if it != nil && it.Calls != nil {
		e.itemCalls(kind, it.Calls)
		return
	}
	if it == nil || size == nil || size.Call != "" {
		return
	}
	if !e.need(kind+"_GET_ITEM", it.Items, size.Field) {
		return
	}
	items, _ := e.field(it.Items)
	obSize, _ := e.field(size.Field)
	seq := map[string]string{"PyTuple": "tup", "PyList": "lst"}[kind]
	e.p("; %s_GET_SIZE dst, %s: its length\n", kind, seq)
	e.p("%%macro %s_GET_SIZE 2\n    mov %%1, [%%2 + %s]\n%%endmacro\n", kind, obSize)
	if it.Inline {
		e.p("; %s_GET_ITEM dst, %s, idx: dst = item idx, a borrowed reference (no bounds check)\n", kind, seq)
		e.p("; %s_SET_ITEM %s, idx, src: item idx = src, stealing the reference (the old item is not released)\n", kind, seq)
		e.p("%%macro %s_GET_ITEM 3\n    mov %%1, [%%2 + %s + %d*(%%3)]\n%%endmacro\n", kind, items, it.Elem)
		e.p("%%macro %s_SET_ITEM 3\n    mov [%%1 + %s + %d*(%%2)], %%3\n%%endmacro\n", kind, items, it.Elem)
		return
	}
	e.p("; %s_GET_ITEM dst, %s, idx: dst = item idx, a borrowed reference (no bounds check);\n", kind, seq)
	e.p(";   when dst is idx, also clobbers flags\n")
	e.p("; %s_SET_ITEM %s, idx, src: item idx = src, stealing the reference (the old item is\n", kind, seq)
	e.p(";   not released); clobbers r11, so idx and src must not be r11\n")
	e.p(`%%macro %[1]s_GET_ITEM 3
    %%ifidni %%1, %%3
        lea %%1, [%[3]d*%%1]
        add %%1, [%%2 + %[2]s]
        mov %%1, [%%1]
    %%else
        mov %%1, [%%2 + %[2]s]
        mov %%1, [%%1 + %[3]d*(%%3)]
    %%endif
%%endmacro
%%macro %[1]s_SET_ITEM 3
    %%ifidni %%2, r11
        %%error %[1]s_SET_ITEM uses r11: the index must be in another register
    %%elifidni %%3, r11
        %%error %[1]s_SET_ITEM uses r11: the item must be in another register
    %%endif
    mov r11, [%%1 + %[2]s]
    mov [r11 + %[3]d*(%%2)], %%3
%%endmacro
`, kind, items, it.Elem)
}

// bitArgs is how PY_BF_LOAD and PY_BF_TEST are given a bitfield of an
// object in register reg: "reg + Via" and the bitfield's name.
func (e *nasm) bitArgs(reg string, r layout.BitRef) (base, name string, ok bool) {
	base = reg
	if r.Via != nil {
		via, ok := e.field(*r.Via)
		if !ok {
			return "", "", false
		}
		base += " + " + via
	}
	name, ok = e.field(r.Field)
	return base, name, ok
}

func (e *nasm) unicode(u *layout.Unicode) {
	if u == nil {
		return
	}
	const what = "PyUnicode_KIND, PyUnicode_DATA, PyUnicode_IS_ASCII and PyUnicode_READY"
	kb, kind, ok1 := e.bitArgs("%2", u.Kind)
	cb, compact, ok2 := e.bitArgs("%2", u.Compact)
	ab, ascii, ok3 := e.bitArgs("%2", u.ASCII)
	data, ok4 := e.field(u.Data)
	heads := e.names.owner[Name(u.ASCIIHead)+"_size"] != "" && e.names.owner[Name(u.CompactHead)+"_size"] != ""
	if !ok1 || !ok2 || !ok3 || !ok4 || !heads {
		e.p("; %s left out: a member they read is not in this include\n", what)
		return
	}
	e.p(`; PyUnicode_KIND dst, str: bytes per character, 1, 2 or 4%[10]s; dst 32- or 64-bit;
;   clobbers flags
; PyUnicode_DATA dst, str: the address of its first character, by the headers' rule: after
;   %[1]s for a compact ASCII string, after %[2]s for another
;   compact string, else %[3]s; clobbers flags
; PyUnicode_IS_ASCII dst, str: dst = 1 when every character is ASCII, else 0; dst 32- or
;   64-bit; clobbers flags
%%macro PyUnicode_IS_ASCII 2
    PY_BF_LOAD %%1, %[8]s, %[9]s
%%endmacro
%%macro PyUnicode_KIND 2
    PY_BF_LOAD %%1, %[4]s, %[5]s
%%endmacro
%%macro PyUnicode_DATA 2
    PY_BF_TEST %[6]s, %[7]s
    jz %%%%other
    PY_BF_TEST %[8]s, %[9]s
    jz %%%%compact
    lea %%1, [%%2 + %[1]s_size]
    jmp %%%%done
%%%%compact:
    lea %%1, [%%2 + %[2]s_size]
    jmp %%%%done
%%%%other:
    mov %%1, [%%2 + %[3]s]
%%%%done:
%%endmacro
`, Name(u.ASCIIHead), Name(u.CompactHead), data, kb, kind, cb, compact, ab, ascii, notReady(u))
	e.ready(u)
}

func (e *nasm) typeFlags(f *layout.TypeFlags, typ *layout.Getter) {
	if f == nil || typ == nil {
		return
	}
	e.p("; PY_JUMP_UNLESS_FLAG obj, FLAG, label: jump to label unless Py_TYPE(obj)->tp_flags has a\n")
	e.p(";   bit of FLAG (a constant), as PyType_HasFeature; PY_JUMP_IF_FLAG obj, FLAG, label: jump\n")
	e.p(";   to label if it has one; ")
	if f.Call != "" {
		e.p("here a call of %s, as the headers'\n", f.Call)
		e.p(";   PyType_HasFeature makes: caller-saved registers are gone; %s\n", strings.Replace(e.pl.callNote(), " aligned as", " aligned\n;   as", 1))
		for _, sense := range []struct{ name, jcc string }{{"PY_JUMP_UNLESS_FLAG", "jz"}, {"PY_JUMP_IF_FLAG", "jnz"}} {
			e.p("%%macro %s 3\n    Py_TYPE %s, %%1\n    PY_CALL %s\n", sense.name, e.arg(0), Name(f.Call))
			e.p("    mov r11, %%2 ; any bit of the 64-bit flags, with no immediate to sign-extend\n    test rax, r11\n    %s %%3\n%%endmacro\n", sense.jcc)
		}
		return
	}
	if typ.Call != "" || !e.need("PY_JUMP_UNLESS_FLAG", typ.Field, f.Field) {
		return
	}
	obType, _ := e.field(typ.Field)
	flags, _ := e.field(f.Field)
	e.p("clobbers r11 and flags. The test is\n")
	e.p(";   on the 4-byte half of tp_flags that holds FLAG, so that a flag at bit 31 is not\n")
	e.p(";   sign-extended into a 64-bit immediate (Py_TPFLAGS_TYPE_SUBCLASS)\n")
	e.flagTest("PY_JUMP_UNLESS_FLAG", false, obType, flags, f.Size)
	e.flagTest("PY_JUMP_IF_FLAG", true, obType, flags, f.Size)
}

// flagTest writes one sense of the inline flag test: jump to %3 when
// tp_flags has a bit of %2 (jumpIfSet), or when it has none.
func (e *nasm) flagTest(macro string, jumpIfSet bool, obType, flags string, size int64) {
	hit := "jnz"
	if !jumpIfSet {
		hit = "jz"
	}
	e.p("%%macro %s 3\n    mov r11, [%%1 + %s]\n", macro, obType)
	if size == 4 {
		e.p("    %%if ((%%2) >> 32) != 0\n        %%error %%2 has bits past the 32 of tp_flags\n    %%endif\n")
		e.p("    test dword [r11 + %s], %%2\n    %s %%3\n%%endmacro\n", flags, hit)
		return
	}
	e.p(`    %%if ((%%2) >> 32) == 0
        test dword [r11 + %[1]s], %%2
        %[2]s %%3
    %%elif ((%%2) & 0xFFFFFFFF) == 0
        test dword [r11 + %[1]s + 4], (%%2) >> 32
        %[2]s %%3
    %%else
        test dword [r11 + %[1]s], (%%2) & 0xFFFFFFFF
`, flags, hit)
	if jumpIfSet {
		e.p("        jnz %%3\n        test dword [r11 + %s + 4], (%%2) >> 32\n        jnz %%3\n    %%endif\n%%endmacro\n", flags)
		return
	}
	e.p("        jnz %%%%has\n        test dword [r11 + %s + 4], (%%2) >> 32\n        jz %%3\n%%%%has:\n    %%endif\n%%endmacro\n", flags)
}

// notReady says what KIND gives for a string that is not ready, where
// the headers have such strings.
func notReady(u *layout.Unicode) string {
	if !u.Ready {
		return ""
	}
	return " (0 for a string that is not\n;   ready: call _PyUnicode_Ready first, as PyUnicode_READY does)"
}
