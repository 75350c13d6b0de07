package emit

import (
	"strings"

	"github.com/pyinc/pyinc/layout"
	"github.com/pyinc/pyinc/target"
)

// arg is the register of a call's integer argument i (from 0) on the
// target: the one place the macros below name them (see platform).
func (e *nasm) arg(i int) string { return e.pl.args[i] }

// callArgs writes _pyinc_call_args, which calls a function with up to
// three arguments from any registers or immediates: each is pushed, then
// popped into its argument register, so that an argument already in
// another's register is not overwritten first.
func (e *nasm) callArgs() {
	e.p("%%macro _pyinc_call_args 2-4 ; function, arguments (64-bit registers or immediates)\n")
	e.p("    %%if %%0 == 2\n        %%ifnidni %%2, %s\n            mov %s, %%2\n        %%endif\n    %%else\n", e.arg(0), e.arg(0))
	e.p("        %%if %%0 == 4\n            push %%4\n        %%endif\n        push %%3\n        push %%2\n")
	e.p("        pop %s\n        pop %s\n        %%if %%0 == 4\n            pop %s\n        %%endif\n    %%endif\n", e.arg(0), e.arg(1), e.arg(2))
	e.p("    PY_CALL %%1\n%%endmacro\n")
	e.p("%%macro _pyinc_result 1 ; dst: the call's result\n    %%ifnidni %%1, rax\n        mov %%1, rax\n    %%endif\n%%endmacro\n")
}

// itemCalls writes a sequence's macros as calls of the API, where the
// headers hide its struct (the limited API).
func (e *nasm) itemCalls(kind string, c *layout.SeqCalls) {
	seq := map[string]string{"PyTuple": "tup", "PyList": "lst"}[kind]
	e.p("; The limited API hides %sObject: these call %s, %s and %s, so caller-saved\n", kind, c.Size, c.Get, c.Set)
	e.p(";   registers and flags are gone and the stack must be aligned as at a call; arguments are\n")
	e.p(";   64-bit registers or immediates. The references are as inline: _GET_ITEM borrows,\n")
	e.p(";   _SET_ITEM steals. Unlike inline, %s checks the index (NULL and IndexError past the\n", c.Get)
	e.p(";   end) and %s releases the item it replaces (NULL in a new %s).\n", c.Set, strings.ToLower(strings.TrimPrefix(kind, "Py")))
	e.p("; %s_GET_SIZE dst, %s: its length\n", kind, seq)
	e.p("%%macro %s_GET_SIZE 2\n    _pyinc_call_args %s, %%2\n    _pyinc_result %%1\n%%endmacro\n", kind, Name(c.Size))
	e.p("; %s_GET_ITEM dst, %s, idx: dst = item idx, a borrowed reference\n", kind, seq)
	e.p("%%macro %s_GET_ITEM 3\n    _pyinc_call_args %s, %%2, %%3\n    _pyinc_result %%1\n%%endmacro\n", kind, Name(c.Get))
	e.p("; %s_SET_ITEM %s, idx, src: item idx = src, stealing the reference\n", kind, seq)
	e.p("%%macro %s_SET_ITEM 3\n    _pyinc_call_args %s, %%1, %%2, %%3\n%%endmacro\n", kind, Name(c.Set))
}

// ready writes PyUnicode_READY: a call of the headers' function for a
// string that is not ready, and nothing where every string is.
func (e *nasm) ready(u *layout.Unicode) {
	if u.ReadyCall == "" {
		e.p("; PyUnicode_READY str, fail_label: nothing: every str is ready in this version\n")
		e.p("%%macro PyUnicode_READY 2\n%%endmacro\n")
		return
	}
	base, bit, ok := e.bitArgs("%1", u.ReadyBit)
	if !ok {
		e.p("; PyUnicode_READY left out: a member it reads is not in this include\n")
		return
	}
	e.p("; PyUnicode_READY str, fail_label: readies a str that is not ready, by a call of %s,\n", u.ReadyCall)
	e.p(";   jumping to fail_label (an exception set) if it fails. Only that call clobbers: then\n")
	e.p(";   caller-saved registers and flags are gone, and the stack must be aligned as at a call\n")
	e.p("%%macro PyUnicode_READY 2\n    PY_BF_TEST %s, %s\n    jnz %%%%ready\n", base, bit)
	e.p("    _pyinc_call_args %s, %%1\n    test eax, eax\n    jnz %%2\n%%%%ready:\n%%endmacro\n", Name(u.ReadyCall))
}

// typeChecks writes PY_JUMP_IF and PY_JUMP_UNLESS and, for each check
// the headers have, the pair of helpers they dispatch to by name.
func (e *nasm) typeChecks(checks []layout.TypeCheck, typ *layout.Getter) {
	if len(checks) == 0 || typ == nil {
		return
	}
	var names []string
	for _, c := range checks {
		names = append(names, c.Name)
	}
	e.p(`; PY_JUMP_IF obj, CHECK, label: jump to label when the type check CHECK holds for obj;
; PY_JUMP_UNLESS obj, CHECK, label: jump when it does not. CHECK is one of the headers'
;   checks, done as the headers do it: %s.
;   A check may call (PyType_IsSubtype for a check the headers make with PyObject_TypeCheck,
;   PyType_GetFlags or Py_TYPE where the headers call them): caller-saved registers and
;   flags are gone, and the stack must be aligned as at a call. Where it does not call, it
;   clobbers r11 and flags only; obj is not r11.
;   PY_JUMP_UNLESS rsi, PyLong_Check, .not_int
; (Each check's two senses are the helpers CHECK.pyinc_if and CHECK.pyinc_unless, named
; after the check so that a source naming the check names them too.)
%%macro PY_JUMP_IF 3
    %%ifnmacro %%2.pyinc_if 2
        %%error %%2 is not a type check of this include: see PY_JUMP_IF in it
    %%else
        %%2.pyinc_if %%1, %%3
    %%endif
%%endmacro
%%macro PY_JUMP_UNLESS 3
    %%ifnmacro %%2.pyinc_unless 2
        %%error %%2 is not a type check of this include: see PY_JUMP_IF in it
    %%else
        %%2.pyinc_unless %%1, %%3
    %%endif
%%endmacro
`, wrapList(names))
	e.typeIs(typ)
	for _, c := range checks {
		e.typeCheck(c)
	}
}

// wrapList joins names with commas, a line break every few.
func wrapList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(",")
			if i%6 == 0 {
				b.WriteString("\n;  ")
			}
			b.WriteString(" ")
		}
		b.WriteString(n)
	}
	return b.String()
}

// typeIs writes _pyinc_type_is obj, T: ZF set when obj's type is the
// type object T, and _pyinc_is_subtype obj, T: ZF clear when obj's type
// is a subtype of T.
func (e *nasm) typeIs(typ *layout.Getter) {
	e.p("%%macro _pyinc_type_is 2 ; obj, type object: ZF set when Py_TYPE(obj) is it\n")
	if typ.Call != "" {
		e.p("    Py_TYPE rax, %%1\n    PY_ADDR r11, %%2\n    cmp rax, r11\n%%endmacro\n")
	} else {
		n, _ := e.field(typ.Field)
		e.p("    %%ifidni %%1, r11\n        %%error a type check uses r11: the object must be in another register\n    %%endif\n")
		e.p("    PY_ADDR r11, %%2\n    cmp r11, [%%1 + %s]\n%%endmacro\n", n)
	}
	e.p("%%macro _pyinc_is_subtype 2 ; obj, type object: ZF clear when Py_TYPE(obj) is a subtype\n")
	e.p("    Py_TYPE %s, %%1\n    PY_ADDR %s, %%2\n    PY_CALL PyType_IsSubtype\n    test eax, eax\n%%endmacro\n", e.arg(0), e.arg(1))
}

// typeCheck writes one check's two senses.
func (e *nasm) typeCheck(c layout.TypeCheck) {
	name := Name(c.Name)
	switch {
	case c.Flag != "":
		e.p("%%macro %s.pyinc_if 2 ; the headers test %s\n    PY_JUMP_IF_FLAG %%1, %s, %%2\n%%endmacro\n", name, c.Flag, Name(c.Flag))
		e.p("%%macro %s.pyinc_unless 2\n    PY_JUMP_UNLESS_FLAG %%1, %s, %%2\n%%endmacro\n", name, Name(c.Flag))
	case !c.Subtype:
		e.p("%%macro %s.pyinc_if 2 ; the headers compare the type with %s\n    _pyinc_type_is %%1, %s\n    je %%2\n%%endmacro\n", name, c.Type, Name(c.Type))
		e.p("%%macro %s.pyinc_unless 2\n    _pyinc_type_is %%1, %s\n    jne %%2\n%%endmacro\n", name, Name(c.Type))
	default:
		t := Name(c.Type)
		e.p("%%macro %s.pyinc_if 2 ; the headers accept %s and its subtypes\n", name, c.Type)
		e.p("    _pyinc_type_is %%1, %s\n    je %%2\n    _pyinc_is_subtype %%1, %s\n    jnz %%2\n%%endmacro\n", t, t)
		e.p("%%macro %s.pyinc_unless 2\n    _pyinc_type_is %%1, %s\n    je %%%%yes\n", name, t)
		e.p("    _pyinc_is_subtype %%1, %s\n    jz %%2\n%%%%yes:\n%%endmacro\n", t)
	}
}

// raise writes PY_RAISE and PY_RAISE_FMT.
func (e *nasm) raise(r *layout.Raise) {
	if r == nil {
		return
	}
	// The format's arguments take the argument registers after the
	// exception and the format: four on System V, two on Windows (the
	// rest would go on the stack, above the shadow space).
	extra := len(e.pl.args) - 2
	e.p(`; PY_RAISE exc, "message": set the exception exc (a libpython exception object: PyExc_TypeError)
;   with the message, placed in read-only data; rax = NULL, for the return that follows.
; PY_RAISE_FMT exc, "format", args...: the same with %[1]s's format and up to %[6]s
;   arguments (64-bit registers or immediates: the registers are read before any is written).
;   Both call: caller-saved registers and flags are gone; %[7]s.
;   PY_RAISE PyExc_TypeError, "expected an int"
;   PY_RAISE_FMT PyExc_ValueError, "%%zd is out of range", rbx
%%macro PY_RAISE 2
[section %[3]s]
%%%%msg: db %%2, 0
__SECT__
    PY_ADDR %[4]s, %%1
    mov %[4]s, [%[4]s]
    lea %[5]s, [rel %%%%msg]
    PY_CALL %[2]s
    xor eax, eax
%%endmacro
`, Name(r.Format), Name(r.SetString), e.pl.rodata(), e.arg(0), e.arg(1), map[int]string{2: "two", 4: "four"}[extra], e.pl.callNote())
	e.p("%%macro PY_RAISE_FMT 2-%d\n[section %s]\n%%%%fmt: db %%2, 0\n__SECT__\n", 2+extra, e.pl.rodata())
	for n := 2 + extra; n >= 4; n-- {
		e.p("    %%if %%0 >= %d\n        push %%%d\n    %%endif\n", n, n)
	}
	e.p("    %%if %%0 >= 3\n        push %%3\n        pop %s\n    %%endif\n", e.arg(2))
	for n := 4; n <= 2+extra; n++ {
		e.p("    %%if %%0 >= %d\n        pop %s\n    %%endif\n", n, e.arg(n-1))
	}
	e.p("    PY_ADDR %[1]s, %%1\n    mov %[1]s, [%[1]s]\n    lea %[2]s, [rel %%%%fmt]\n", e.arg(0), e.arg(1))
	if e.pl.tg.Conv == target.SysV {
		e.p("    xor eax, eax ; a variadic call: no vector registers\n")
	}
	e.p("    PY_CALL %s\n    xor eax, eax\n%%endmacro\n", Name(r.Format))
}

// compactValue writes PyLong_COMPACT_VALUE from the int representation
// of the headers.
func (e *nasm) compactValue(l *layout.Long) {
	if l == nil {
		return
	}
	digits, ok := e.field(l.Digits)
	if l.Via != nil {
		via, ok2 := e.field(*l.Via)
		digits, ok = via+" + "+digits, ok && ok2
	}
	if !ok {
		e.p("; PyLong_COMPACT_VALUE left out: a member it reads is not in this include\n")
		return
	}
	load := "mov r10d, dword"
	if l.Digit == 2 {
		load = "movzx r10d, word"
	}
	e.p(`; PyLong_COMPACT_VALUE dst, obj, slow_label: dst = the value of the int obj (an int or a
;   subclass: test with PY_JUMP_UNLESS obj, PyLong_Check first) when it has at most two
;   digits (its magnitude below 2**(2*PyLong_SHIFT)), read from its digits as the headers
;   lay them out; else jump to slow_label (call PyLong_AsLongLong there). dst is a 64-bit
;   register and may be obj; obj is not r10 or r11. Clobbers r10, r11 and flags.
%%macro PyLong_COMPACT_VALUE 3
    _pyinc_one_of %%2, r10, r11
    %%if _pyinc_hit
        %%error PyLong_COMPACT_VALUE uses r10 and r11: the int must be in another register
    %%endif
`)
	if l.Tag != nil {
		e.compactTag(l, digits, load)
	} else {
		e.compactSize(l, digits, load)
	}
	e.p("%%%%store:\n    mov %%1, r10\n%%endmacro\n")
}

// compactTag: from 3.12 the digit count is lv_tag >> NonSizeBits and the
// sign is 1 - (lv_tag & SignMask): negative when that is 2.
func (e *nasm) compactTag(l *layout.Long, digits, load string) {
	via, _ := e.field(*l.Via)
	tag, _ := e.field(*l.Tag)
	e.p(`    ; lv_tag: the digit count above %[3]s bits, the sign below: 1 - (lv_tag & %[4]s)
    mov r11, [%%2 + %[1]s + %[2]s]
    cmp r11, 3 << %[3]s
    jae %%3                          ; three digits or more
    xor r10d, r10d
    cmp r11, 1 << %[3]s
    jb %%%%store                       ; no digit: zero
    cmp r11, 2 << %[3]s
    jb %%%%low
    %[5]s [%%2 + %[6]s + %[7]d]
    shl r10, %[8]s
%%%%low:
    and r11d, %[4]s
    cmp r11d, 2                      ; sign -1
    %[9]s [%%2 + %[6]s]     ; mov and lea leave the flags alone
    lea r10, [r10 + r11]
    jne %%%%store
    neg r10
`, via, tag, Name(l.NonSizeBits), Name(l.SignMask), load, digits, l.Digit, Name(l.Shift), strings.Replace(load, "r10d", "r11d", 1))
}

// compactSize: up to 3.11 ob_size is the digit count, negative for a
// negative int.
func (e *nasm) compactSize(l *layout.Long, digits, load string) {
	size, _ := e.field(*l.Size)
	e.p(`    ; ob_size: the digit count, negative for a negative int
    mov r11, [%%2 + %[1]s]
    lea r10, [r11 + 2]
    cmp r10, 4
    ja %%3                           ; three digits or more
    xor r10d, r10d
    test r11, r11
    jz %%%%store                       ; no digit: zero
    lea r10, [r11 + 1]
    cmp r10, 2                       ; ob_size -1 or 1: one digit
    mov r10d, 0                      ; mov leaves the flags alone
    jbe %%%%low
    %[2]s [%%2 + %[3]s + %[4]d]
    shl r10, %[5]s
%%%%low:
    test r11, r11
    %[6]s [%%2 + %[3]s]
    lea r10, [r10 + r11]
    jns %%%%store
    neg r10
`, size, load, digits, l.Digit, Name(l.Shift), strings.Replace(load, "r10d", "r11d", 1))
}
