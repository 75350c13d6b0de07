; macros: a test module that uses every accessor, bitfield and type-flag
; macro of the generated include, so that ext/test_macros.py can check
; them at run time under each Python and build. Where the include leaves a
; macro out (the limited API has no PyTupleObject, no PyASCIIObject), the
; functions that need it are left out too, tested with %ifmacro.
;
;   type_of(o)        Py_TYPE: type(o)
;   size_of(o)        Py_SIZE: ob_size of a variable-size object (PY_JMP)
;   is_type(o)        PY_JUMP_UNLESS_FLAG, Py_TPFLAGS_TYPE_SUBCLASS (bit 31)
;   is_int(o)         PY_JUMP_UNLESS_FLAG, Py_TPFLAGS_LONG_SUBCLASS
;   has_bit40(o)      PY_JUMP_UNLESS_FLAG on a bit of tp_flags' upper half: False
;   is_type_or_bit40(o)  a mask with bits in both halves
;   has_wstr()        %ifdef PyASCIIObject.wstr?  (a member of str up to 3.11)
;   has_bogus()       %ifdef PyASCIIObject.no_such_member?: False
;   tuple_reverse(t)  PyTuple_GET_SIZE, PyTuple_GET_ITEM (register), PyTuple_SET_ITEM
;   tuple_second(t)   PyTuple_GET_ITEM with an immediate index
;   pair(o)           (o, o): PyTuple_SET_ITEM with immediate indexes
;   list_reverse(l)   PyList_GET_SIZE, PyList_GET_ITEM with dst = idx, PyList_SET_ITEM
;   list_item(l, i)   PyList_GET_ITEM with dst != idx
;   str_info(s)       (kind first seen, length, [code points]) by PyUnicode_KIND,
;                     _GET_LENGTH and _DATA; readies a string that is not ready
;   str_state(s)      (interned, kind, compact, ascii) by PY_BF_LOAD into 64-bit
;                     registers, kind by PY_BF_LOAD into a 32-bit one, compact
;                     and ascii by PY_BF_TEST
;   make_unready(s)   up to 3.11: a copy of s made with the legacy
;                     PyUnicode_FromUnicode(NULL, n), not ready
;   is_type_if(o) ... PY_JUMP_IF_FLAG, the other sense of each flag function
;   checks(o)         (if, unless): bit i set when PY_JUMP_IF, resp.
;                     PY_JUMP_UNLESS, jumps for check i, in the order of
;                     checks's CHECK_BIT lines (the include must have every
;                     one: nasm stops otherwise)
;   raise_plain()     PY_RAISE: ValueError("macros: plain")
;   raise_fmt(o)      PY_RAISE_FMT with four arguments: TypeError
;   raise_fmt0()      PY_RAISE_FMT with none: KeyError
;   str_len(s)        PyUnicode_GET_LENGTH (a call under the limited API)
;   is_ascii(s)       PyUnicode_IS_ASCII
;   compact(i)        PyLong_COMPACT_VALUE: i's value, or None where it takes
;                     the slow path; compact_same(i): dst is obj
;
; Under the limited API the sequence macros and PyUnicode_GET_LENGTH call
; the API, so every function here keeps what it needs across them in
; callee-saved registers.

%include "python.inc"

default rel

section .rodata
modname:    db "macros", 0
fmt_info:   db "(inN)", 0
fmt_state:  db "(kkkkkii)", 0
fmt_checks: db "(kk)", 0

section .data
align 8
methods:
%macro METHOD 3 ; name, label, flags
[section .rodata]
%%name: db %1, 0
__SECT__
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq %%name
        at PyMethodDef.ml_meth,  dq %2
        at PyMethodDef.ml_flags, dd %3
        at PyMethodDef.ml_doc,   dq 0
    iend
%endmacro
    METHOD "type_of", type_of, METH_O
    METHOD "size_of", size_of, METH_O
    METHOD "is_type", is_type, METH_O
    METHOD "is_int", is_int, METH_O
    METHOD "has_bit40", has_bit40, METH_O
    METHOD "is_type_or_bit40", is_type_or_bit40, METH_O
    METHOD "is_type_if", is_type_if, METH_O
    METHOD "is_int_if", is_int_if, METH_O
    METHOD "has_bit40_if", has_bit40_if, METH_O
    METHOD "is_type_or_bit40_if", is_type_or_bit40_if, METH_O
    METHOD "checks", checks, METH_O
    METHOD "raise_plain", raise_plain, METH_NOARGS
    METHOD "raise_fmt", raise_fmt, METH_O
    METHOD "raise_fmt0", raise_fmt0, METH_NOARGS
    METHOD "str_len", str_len, METH_O
%ifmacro PyLong_COMPACT_VALUE 3
    METHOD "compact", compact, METH_O
    METHOD "compact_same", compact_same, METH_O
%endif
    METHOD "has_wstr", has_wstr, METH_NOARGS
    METHOD "has_bogus", has_bogus, METH_NOARGS
%ifmacro PyTuple_GET_ITEM 3
    METHOD "tuple_reverse", tuple_reverse, METH_O
    METHOD "tuple_second", tuple_second, METH_O
    METHOD "pair", pair, METH_O
%endif
%ifmacro PyList_GET_ITEM 3
    METHOD "list_reverse", list_reverse, METH_O
    METHOD "list_item", list_item, METH_VARARGS
%endif
%ifmacro PyUnicode_DATA 2
    METHOD "str_info", str_info, METH_O
    METHOD "str_state", str_state, METH_O
    METHOD "is_ascii", is_ascii, METH_O
 %ifdef PyASCIIObject.wstr?
    METHOD "make_unready", make_unready, METH_O
 %endif
%endif
    NullMethodDef

align 8
moddef:
    istruc PyModuleDef
        at PyModuleDef.m_base,    PyModuleDef_HEAD_INIT
        at PyModuleDef.m_name,    dq modname
        at PyModuleDef.m_size,    dq -1
        at PyModuleDef.m_methods, dq methods
    iend

section .text

; type_of(self, o): type(o), a new reference.
type_of:
    push rbx                        ; aligns the stack for a call
    Py_TYPE rbx, rsi
    Py_INCREF rbx
    mov rax, rbx
    pop rbx
    ret

; size_of(self, o): ob_size, as an int; a tail call converts it.
size_of:
    sub rsp, 8
    Py_SIZE rdi, rsi
    add rsp, 8
    PY_JMP PyLong_FromSsize_t

; FLAG_FUNC name, name_if, FLAG: name(self, o) is True when type(o) has a
; bit of FLAG, by PY_JUMP_UNLESS_FLAG; name_if(self, o) the same by
; PY_JUMP_IF_FLAG.
%macro FLAG_FUNC 3
%1:
    sub rsp, 8
    PY_JUMP_UNLESS_FLAG rsi, %3, %%no
    add rsp, 8
    Py_RETURN_TRUE
%%no:
    add rsp, 8
    Py_RETURN_FALSE
%2:
    sub rsp, 8
    PY_JUMP_IF_FLAG rsi, %3, %%yes
    add rsp, 8
    Py_RETURN_FALSE
%%yes:
    add rsp, 8
    Py_RETURN_TRUE
%endmacro
    FLAG_FUNC is_type, is_type_if, Py_TPFLAGS_TYPE_SUBCLASS
    FLAG_FUNC is_int, is_int_if, Py_TPFLAGS_LONG_SUBCLASS
    FLAG_FUNC has_bit40, has_bit40_if, (1 << 40)
    FLAG_FUNC is_type_or_bit40, is_type_or_bit40_if, (1 << 40) | Py_TPFLAGS_TYPE_SUBCLASS

; has_wstr(self): whether PyASCIIObject has wstr, asked at assembly time.
has_wstr:
%ifdef PyASCIIObject.wstr?
    Py_RETURN_TRUE
%else
    Py_RETURN_FALSE
%endif

has_bogus:
%ifdef PyASCIIObject.no_such_member?
    Py_RETURN_TRUE
%else
    Py_RETURN_FALSE
%endif

%ifmacro PyTuple_GET_ITEM 3
; tuple_reverse(self, t): a new tuple of t's items in reverse order.
tuple_reverse:
    push rbx                        ; t
    push r12                        ; n
    push r13                        ; the new tuple
    push r14                        ; i
    push r15                        ; the item
    mov rbx, rsi
    PyTuple_GET_SIZE r12, rbx
    mov rdi, r12
    PY_CALL PyTuple_New
    test rax, rax
    jz .out
    mov r13, rax
    xor r14d, r14d
.loop:
    cmp r14, r12
    jge .done
    PyTuple_GET_ITEM r15, rbx, r14
    Py_INCREF r15
    mov rdx, r12
    sub rdx, r14
    dec rdx                         ; n - 1 - i
    PyTuple_SET_ITEM r13, rdx, r15
    inc r14
    jmp .loop
.done:
    mov rax, r13
.out:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    ret

; tuple_second(self, t): t[1].
tuple_second:
    push rbx
    PyTuple_GET_ITEM rbx, rsi, 1
    Py_INCREF rbx
    mov rax, rbx
    pop rbx
    ret

; pair(self, o): (o, o).
pair:
    push rbx                        ; o
    push r12                        ; the tuple
    sub rsp, 8                      ; aligned for the calls
    mov rbx, rsi
    mov edi, 2
    PY_CALL PyTuple_New
    test rax, rax
    jz .out
    mov r12, rax
    Py_INCREF rbx                   ; the two references the tuple steals
    Py_INCREF rbx
    PyTuple_SET_ITEM r12, 0, rbx
    PyTuple_SET_ITEM r12, 1, rbx
    mov rax, r12
.out:
    add rsp, 8
    pop r12
    pop rbx
    ret
%endif

%ifmacro PyList_GET_ITEM 3
; list_reverse(self, l): a new list of l's items in reverse order.
list_reverse:
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov rbx, rsi
    PyList_GET_SIZE r12, rbx
    mov rdi, r12
    PY_CALL PyList_New
    test rax, rax
    jz .out
    mov r13, rax
    xor r14d, r14d
.loop:
    cmp r14, r12
    jge .done
    mov r15, r14
    PyList_GET_ITEM r15, rbx, r15   ; dst is idx
    Py_INCREF r15
    mov rdx, r12
    sub rdx, r14
    dec rdx
    PyList_SET_ITEM r13, rdx, r15
    inc r14
    jmp .loop
.done:
    mov rax, r13
.out:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    ret

; list_item(self, (l, i)): l[i]; past the end, what PyList_GET_ITEM gives
; there: under the limited API NULL with IndexError (no check inline).
list_item:
    push rbx                        ; l
    push r12                        ; the item
    push r13                        ; the arguments
    mov r13, rsi
    PyTuple_GET_ITEM rbx, r13, 0
    PyTuple_GET_ITEM rdi, r13, 1
    PY_CALL PyLong_AsSsize_t
    PyList_GET_ITEM r12, rbx, rax   ; dst is not idx
    Py_XINCREF r12
    mov rax, r12
    pop r13
    pop r12
    pop rbx
    ret
%endif

%ifmacro PyUnicode_DATA 2
; str_info(self, s): (kind first seen, length, [code points]).
str_info:
    push rbx                        ; s
    push rbp                        ; the characters
    push r12                        ; kind
    push r13                        ; length
    push r14                        ; kind first seen
    push r15                        ; the list
    sub rsp, 8                      ; [rsp] = i; the stack is aligned
    mov rbx, rsi
    PyUnicode_KIND r12d, rbx        ; into a 32-bit register
    mov r14d, r12d
    PyUnicode_READY rbx, .fail      ; not ready: kind 0 until readied
    PyUnicode_KIND r12, rbx         ; into a 64-bit register
    PyUnicode_GET_LENGTH r13, rbx
    PyUnicode_DATA rbp, rbx
    mov rdi, r13
    PY_CALL PyList_New
    test rax, rax
    jz .fail
    mov r15, rax
    mov qword [rsp], 0
.loop:
    mov rcx, [rsp]
    cmp rcx, r13
    jge .built
    cmp r12d, 1
    je .k1
    cmp r12d, 2
    je .k2
    mov edi, [rbp + 4*rcx]
    jmp .got
.k1:
    movzx edi, byte [rbp + rcx]
    jmp .got
.k2:
    movzx edi, word [rbp + 2*rcx]
.got:
    PY_CALL PyLong_FromLong
    test rax, rax
    jz .fail_list
    mov rcx, [rsp]
    PyList_SET_ITEM r15, rcx, rax
    inc qword [rsp]
    jmp .loop
.built:
    lea rdi, [fmt_info]
    mov esi, r14d
    mov rdx, r13
    mov rcx, r15                    ; N: the tuple takes the list's reference
    xor eax, eax
    PY_CALL Py_BuildValue
    jmp .out
.fail_list:
    Py_DECREF r15
.fail:
    xor eax, eax
.out:
    add rsp, 8
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

; The state bitfields: in PyASCIIObject up to 3.13, in the struct
; _PyUnicodeObject_state that is PyASCIIObject.state from 3.14. The
; S.m? macros tell which; the aliases show that PY_BF_LOAD takes a
; %define that names the bitfield.
%ifdef PyASCIIObject.state.kind?
 %define STATE(r) r
 %define S_INTERNED PyASCIIObject.state.interned
 %define S_KIND     PyASCIIObject.state.kind
 %define S_COMPACT  PyASCIIObject.state.compact
 %define S_ASCII    PyASCIIObject.state.ascii
%else
 %define STATE(r) r + PyASCIIObject.state
 %define S_INTERNED _PyUnicodeObject_state.interned
 %define S_KIND     _PyUnicodeObject_state.kind
 %define S_COMPACT  _PyUnicodeObject_state.compact
 %define S_ASCII    _PyUnicodeObject_state.ascii
%endif

; str_state(self, s): (interned, kind, compact, ascii, kind read into a
; 32-bit register, compact by PY_BF_TEST, ascii by PY_BF_TEST).
str_state:
    push rbx
    sub rsp, 16                     ; two stack arguments; aligned
    mov rbx, rsi
    PY_BF_LOAD rsi, STATE(rbx), S_INTERNED
    PY_BF_LOAD rdx, STATE(rbx), S_KIND
    PY_BF_LOAD rcx, STATE(rbx), S_COMPACT
    PY_BF_LOAD r8, STATE(rbx), S_ASCII
    PY_BF_LOAD r9d, STATE(rbx), S_KIND
    xor eax, eax
    PY_BF_TEST STATE(rbx), S_COMPACT
    setnz al
    mov [rsp], rax
    xor eax, eax
    PY_BF_TEST STATE(rbx), S_ASCII
    setnz al
    mov [rsp + 8], rax
    lea rdi, [fmt_state]
    xor eax, eax
    PY_CALL Py_BuildValue
    add rsp, 16
    pop rbx
    ret

; is_ascii(self, s): PyUnicode_IS_ASCII, as a bool.
is_ascii:
    sub rsp, 8
    PyUnicode_IS_ASCII edi, rsi
    add rsp, 8
    PY_JMP PyBool_FromLong

%ifdef PyASCIIObject.wstr?
 %if SIZEOF_WCHAR_T != 4
  %error make_unready copies 4-byte code points into wchar_t
 %endif
; make_unready(self, s): a new str with s's code points, made as the
; legacy API makes one, PyUnicode_FromUnicode(NULL, n), then filled
; through wstr (wchar_t: 4 bytes here); it stays not ready until a
; function readies it.
make_unready:
    push rbx
    push r12
    push r13
    mov rbx, rsi
    mov rdi, rsi
    PY_CALL PyUnicode_AsUCS4Copy    ; a PyMem buffer of the code points
    test rax, rax
    jz .out
    mov r12, rax
    PyUnicode_GET_LENGTH rsi, rbx
    xor edi, edi
    PY_CALL PyUnicode_FromUnicode
    mov r13, rax
    test rax, rax
    jz .free
    PyUnicode_GET_LENGTH rcx, rbx
    mov rdi, [r13 + PyASCIIObject.wstr]
    mov rsi, r12
    rep movsd                       ; wchar_t and Py_UCS4 are both 4 bytes
.free:
    mov rdi, r12
    PY_CALL PyMem_Free
    mov rax, r13
.out:
    pop r13
    pop r12
    pop rbx
    ret
%endif
%endif


; CHECK_BIT name, bit: r12 |= bit if PY_JUMP_IF jumps for rbx, r13 |= bit
; if PY_JUMP_UNLESS does.
%macro CHECK_BIT 2
    PY_JUMP_IF rbx, %1, %%yes
    jmp %%unless
%%yes:
    or r12, 1 << %2
%%unless:
    PY_JUMP_UNLESS rbx, %1, %%no
    jmp %%done
%%no:
    or r13, 1 << %2
%%done:
%endmacro
; checks(self, o): (if, unless) as bit masks, bit i for the check of CHECK_BIT i.
checks:
    push rbx
    push r12
    push r13                        ; aligned: a check may call
    mov rbx, rsi
    xor r12d, r12d
    xor r13d, r13d
    CHECK_BIT PyLong_Check, 0
    CHECK_BIT PyLong_CheckExact, 1
    CHECK_BIT PyUnicode_Check, 2
    CHECK_BIT PyUnicode_CheckExact, 3
    CHECK_BIT PyList_Check, 4
    CHECK_BIT PyList_CheckExact, 5
    CHECK_BIT PyTuple_Check, 6
    CHECK_BIT PyTuple_CheckExact, 7
    CHECK_BIT PyDict_Check, 8
    CHECK_BIT PyDict_CheckExact, 9
    CHECK_BIT PyBytes_Check, 10
    CHECK_BIT PyBytes_CheckExact, 11
    CHECK_BIT PyFloat_Check, 12
    CHECK_BIT PyFloat_CheckExact, 13
    CHECK_BIT PyType_Check, 14
    CHECK_BIT PyType_CheckExact, 15
    lea rdi, [fmt_checks]
    mov rsi, r12
    mov rdx, r13
    xor eax, eax
    PY_CALL Py_BuildValue
    pop r13
    pop r12
    pop rbx
    ret

; raise_plain(self): ValueError, by PY_RAISE; NULL in rax is the return.
raise_plain:
    sub rsp, 8
    PY_RAISE PyExc_ValueError, "macros: plain"
    add rsp, 8
    ret

; raise_fmt(self, o): TypeError("macros: str(o) -7 123 A"), the four
; arguments in an argument register (rsi, which the call itself needs for
; the format), an immediate, a callee-saved register and rdx.
raise_fmt:
    push rbx
    mov ebx, 123
    mov edx, 'A'
    PY_RAISE_FMT PyExc_TypeError, "macros: %S %zd %zd %c", rsi, -7, rbx, rdx
    pop rbx
    ret

; raise_fmt0(self): KeyError, by PY_RAISE_FMT with no argument.
raise_fmt0:
    sub rsp, 8
    PY_RAISE_FMT PyExc_KeyError, "macros: no arguments"
    add rsp, 8
    ret

; str_len(self, s): len(s) by PyUnicode_GET_LENGTH.
str_len:
    sub rsp, 8
    PyUnicode_GET_LENGTH rdi, rsi
    add rsp, 8
    PY_JMP PyLong_FromSsize_t

%ifmacro PyLong_COMPACT_VALUE 3
; compact(self, i): i's value when PyLong_COMPACT_VALUE reads it, else
; None; compact_same(self, i): the same with the result in i's register.
compact:
    sub rsp, 8
    PyLong_COMPACT_VALUE rdi, rsi, .slow
    add rsp, 8
    PY_JMP PyLong_FromLongLong
.slow:
    add rsp, 8
    Py_RETURN_NONE

compact_same:
    sub rsp, 8
    PyLong_COMPACT_VALUE rsi, rsi, .slow
    mov rdi, rsi
    add rsp, 8
    PY_JMP PyLong_FromLongLong
.slow:
    add rsp, 8
    Py_RETURN_NONE
%endif

global PyInit_macros:function
PyInit_macros:
    sub rsp, 8
    lea rdi, [moddef]
%ifdef Py_LIMITED_API
    mov esi, PYTHON_ABI_VERSION     ; an abi3 module, as the headers' PyModule_Create
%else
    mov esi, PYTHON_API_VERSION
%endif
    PY_CALL PyModule_Create2
    add rsp, 8
    ret
