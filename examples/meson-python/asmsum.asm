; asmsum: a small CPython extension module in x86-64 NASM, built by
; meson-python (see meson.build).
;
;   asmsum.add(a, b)   a + b for ints that fit in a signed 64-bit integer;
;                      OverflowError when the sum does not
;
; Everything Python-specific (PyMethodDef's layout, METH_VARARGS, the
; functions' EXTERNs, PY_CALL) comes from the python.inc that
; `pyinc gen` writes for the interpreter being built for.

%include "python.inc"

default rel

section .rodata
modname:      db "asmsum", 0
moddoc:       db "Addition, in x86-64 assembly.", 0
add_name:     db "add", 0
add_doc:      db `add($module, a, b, /)\n--\n\nReturn a + b for two ints that fit in a signed 64-bit integer.`, 0
add_fmt:      db "LL:add", 0
overflow_msg: db "add() result does not fit in a signed 64-bit integer", 0

section .data
align 8
methods:
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq add_name
        at PyMethodDef.ml_meth,  dq add
        at PyMethodDef.ml_flags, dd METH_VARARGS
        at PyMethodDef.ml_doc,   dq add_doc
    iend
    NullMethodDef

align 8
moddef:
    istruc PyModuleDef
        at PyModuleDef.m_base,    PyModuleDef_HEAD_INIT
        at PyModuleDef.m_name,    dq modname
        at PyModuleDef.m_doc,     dq moddoc
        at PyModuleDef.m_size,    dq -1
        at PyModuleDef.m_methods, dq methods
    iend

section .text

; add(self, args): METH_VARARGS. PyArg_ParseTuple converts both arguments
; to long long ("LL"), raising TypeError or OverflowError itself.
align 16
add:
    sub rsp, 24                     ; [rsp] = a, [rsp+8] = b; stack aligned
    mov rdi, rsi
    lea rsi, [add_fmt]
    mov rdx, rsp
    lea rcx, [rsp + 8]
    xor eax, eax                    ; variadic call: no vector registers
    PY_CALL PyArg_ParseTuple
    test eax, eax
    jz .fail
    mov rdi, [rsp]
    add rdi, [rsp + 8]
    jo .overflow
    add rsp, 24
    jmp PyLong_FromLongLong wrt ..plt   ; a tail call: the stack is as at entry
.overflow:
    PY_ADDR rax, PyExc_OverflowError
    mov rdi, [rax]
    lea rsi, [overflow_msg]
    PY_CALL PyErr_SetString
.fail:
    xor eax, eax
    add rsp, 24
    ret

global PyInit_asmsum:function
align 16
PyInit_asmsum:
    sub rsp, 8                      ; entry rsp is 8 off alignment
    lea rdi, [moddef]
    mov esi, PYTHON_API_VERSION
    PY_CALL PyModule_Create2
    add rsp, 8
    ret
