; refext: pyinc's reference CPython extension, in x86-64 NASM.
;
; It is written only against the python.inc that `pyinc gen` makes for the
; Python it is built for: every offset, flag and symbol comes from there.
; `make ext` builds it for every Python pyinc finds, into build/ext/.
;
;   refext.sayit()          write "Assembly is great fun! :)" to sys.stdout
;   refext.multiply(a, b)   a * b for ints; OverflowError past 64 bits
;   refext.identity(obj)    obj itself, as a new reference
;
; Calling convention (System V): a METH_* function gets self in rdi and its
; arguments in rsi (METH_VARARGS: the tuple; METH_O: the one object); it
; returns a new reference in rax, or NULL in rax with an exception set.

%include "python.inc"

default rel

section .rodata
modname:      db "refext", 0
moddoc:       db "pyinc's reference extension, written in x86-64 assembly.", 0
sayit_name:   db "sayit", 0
sayit_doc:    db `sayit($module, /)\n--\n\nWrite "Assembly is great fun! :)" and a newline to sys.stdout.`, 0
mul_name:     db "multiply", 0
mul_doc:      db `multiply($module, a, b, /)\n--\n\nReturn a * b. Both must be ints that fit in a signed 64-bit\ninteger, and so must the product: OverflowError otherwise.`, 0
id_name:      db "identity", 0
id_doc:       db `identity($module, obj, /)\n--\n\nReturn obj itself.`, 0
message:      db "Assembly is great fun! :)", 10, 0
stdout_name:  db "stdout", 0
no_stdout:    db "lost sys.stdout", 0
parse_fmt:    db "OO:multiply", 0
type_msg:     db "multiply() arguments must be int", 0
overflow_msg: db "multiply() result does not fit in a signed 64-bit integer", 0

section .data
align 8
methods:
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq sayit_name
        at PyMethodDef.ml_meth,  dq sayit
        at PyMethodDef.ml_flags, dd METH_NOARGS
        at PyMethodDef.ml_doc,   dq sayit_doc
    iend
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq mul_name
        at PyMethodDef.ml_meth,  dq multiply
        at PyMethodDef.ml_flags, dd METH_VARARGS
        at PyMethodDef.ml_doc,   dq mul_doc
    iend
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq id_name
        at PyMethodDef.ml_meth,  dq identity
        at PyMethodDef.ml_flags, dd METH_O
        at PyMethodDef.ml_doc,   dq id_doc
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

; sayit(self, unused): sys.stdout.write(message), then None.
sayit:
    sub rsp, 8                      ; entry rsp is 8 off alignment
    lea rdi, [stdout_name]
    PY_CALL PySys_GetObject         ; borrowed sys.stdout, or NULL
    test rax, rax
    jz .no_stdout
    lea rdi, [message]
    mov rsi, rax
    PY_CALL PyFile_WriteString      ; 0, or -1 with an exception set
    test eax, eax
    jnz .error
    add rsp, 8
    Py_RETURN_NONE
.no_stdout:
    PY_ADDR rax, PyExc_RuntimeError
    mov rdi, [rax]
    lea rsi, [no_stdout]
    PY_CALL PyErr_SetString
.error:
    xor eax, eax
    add rsp, 8
    ret

; to_int64: rdi = an object. Returns its value in rax with CF clear, or CF
; set with an exception set: TypeError unless it is an int, OverflowError
; when it does not fit in 64 bits.
to_int64:
    push rbx
    mov rbx, rdi
    mov rdi, [rbx + PyObject.ob_type]
    PY_CALL PyType_GetFlags
    test rax, Py_TPFLAGS_LONG_SUBCLASS
    jz .not_int
    mov rdi, rbx
    PY_CALL PyLong_AsLongLong
    cmp rax, -1
    jne .ok
    PY_CALL PyErr_Occurred          ; -1 may be the value or an error
    test rax, rax
    jnz .fail
    mov rax, -1
.ok:
    pop rbx
    clc
    ret
.not_int:
    PY_ADDR rax, PyExc_TypeError
    mov rdi, [rax]
    lea rsi, [type_msg]
    PY_CALL PyErr_SetString
.fail:
    pop rbx
    stc
    ret

; multiply(self, args): the product of two ints as an int.
multiply:
    push rbx
    sub rsp, 16                     ; [rsp] = a, [rsp+8] = b; stack aligned
    mov rdi, rsi
    lea rsi, [parse_fmt]
    mov rdx, rsp
    lea rcx, [rsp + 8]
    xor eax, eax                    ; variadic call: no vector registers
    PY_CALL PyArg_ParseTuple        ; borrowed a and b
    test eax, eax
    jz .fail
    mov rdi, [rsp]
    call to_int64
    jc .fail
    mov rbx, rax
    mov rdi, [rsp + 8]
    call to_int64
    jc .fail
    imul rbx, rax
    jo .overflow
    mov rdi, rbx
    PY_CALL PyLong_FromLongLong
    jmp .done
.overflow:
    PY_ADDR rax, PyExc_OverflowError
    mov rdi, [rax]
    lea rsi, [overflow_msg]
    PY_CALL PyErr_SetString
.fail:
    xor eax, eax
.done:
    add rsp, 16
    pop rbx
    ret

; identity(self, obj): obj with a new reference.
identity:
    push rsi                        ; keep obj; aligns the stack for a call
    Py_INCREF rsi
    pop rax
    ret

global PyInit_refext:function
PyInit_refext:
    sub rsp, 8
    lea rdi, [moddef]
    mov esi, PYTHON_API_VERSION
    PY_CALL PyModule_Create2
    add rsp, 8
    ret
