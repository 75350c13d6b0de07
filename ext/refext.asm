; refext: pyinc's reference CPython extension, in x86-64 NASM.
;
; It is written only against the python.inc that `pyinc gen` makes for the
; Python it is built for: every offset, flag and symbol comes from there.
; `make ext` builds it for every Python pyinc finds, into build/ext/.
;
;   refext.sayit()          write "Assembly is great fun! :)" to sys.stdout
;   refext.multiply(a, b)   a * b for ints; OverflowError past 64 bits
;   refext.multiply_fast(a, b)  the same, as METH_FASTCALL (3.7+, full API)
;   refext.identity(obj)    obj itself, as a new reference
;
; Calling convention (System V): a METH_* function gets self in rdi and its
; arguments in rsi (METH_VARARGS: the tuple; METH_O: the one object); it
; returns a new reference in rax, or NULL in rax with an exception set.

%include "python.inc"

default rel

; METH_FASTCALL has its 3.7 meaning from 3.7, and the limited API has it
; from 3.10; where the include lacks it, multiply_fast is left out.
%define REFEXT_FASTCALL 0
%ifdef METH_FASTCALL
 %if PY_VERSION_HEX >= 0x03070000
  %define REFEXT_FASTCALL 1
 %endif
%endif

section .rodata
modname:      db "refext", 0
moddoc:       db "pyinc's reference extension, written in x86-64 assembly.", 0
sayit_name:   db "sayit", 0
sayit_doc:    db `sayit($module, /)\n--\n\nWrite "Assembly is great fun! :)" and a newline to sys.stdout.`, 0
mul_name:     db "multiply", 0
mul_doc:      db `multiply($module, a, b, /)\n--\n\nReturn a * b. Both must be ints that fit in a signed 64-bit\ninteger, and so must the product: OverflowError otherwise.`, 0
mulf_name:    db "multiply_fast", 0
mulf_doc:     db `multiply_fast($module, a, b, /)\n--\n\nmultiply(), called as METH_FASTCALL.`, 0
nargs_msg:    db "multiply_fast() takes exactly 2 arguments", 0
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
%if REFEXT_FASTCALL
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq mulf_name
        at PyMethodDef.ml_meth,  dq multiply_fast
        at PyMethodDef.ml_flags, dd METH_FASTCALL
        at PyMethodDef.ml_doc,   dq mulf_doc
    iend
%endif
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
; Functions start on 16-byte boundaries, as C compilers place them.

; sayit(self, unused): sys.stdout.write(message), then None.
align 16
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

; From 3.10 PyLong_AsLongLong raises the TypeError for a non-int itself;
; before, it took floats through __int__, so older headers, and the
; limited API (whose modules run on them too), check the type first.
%define REFEXT_CHECK_INT 1
%ifndef Py_LIMITED_API
 %if PY_VERSION_HEX >= 0x030A0000
  %define REFEXT_CHECK_INT 0
 %endif
%endif

; CHECK_INT reg, label: jump to label unless the object in reg is an int.
; Clobbers r11 (and, for the limited API, where PY_JUMP_UNLESS_FLAG calls
; PyType_GetFlags, the caller-saved registers).
%macro CHECK_INT 2
    PY_JUMP_UNLESS_FLAG %1, Py_TPFLAGS_LONG_SUBCLASS, %2
%endmacro

; multiply_pair: rdi = a, rsi = b (borrowed). Returns a * b as a new int
; in rax, or NULL with an exception set: TypeError unless both are ints,
; OverflowError when an argument or the product does not fit in 64 bits.
align 16
multiply_pair:
    push rbx
    push r12
    sub rsp, 8                      ; entry rsp is 8 off alignment: now aligned
    mov rbx, rdi
    mov r12, rsi
%if REFEXT_CHECK_INT
    CHECK_INT rbx, .not_int
    CHECK_INT r12, .not_int
%endif
    mov rdi, rbx
    PY_CALL PyLong_AsLongLong
    cmp rax, -1                     ; -1 may be the value or an error
    je .a_minus_one
.a_ok:
    mov rbx, rax
    mov rdi, r12
    PY_CALL PyLong_AsLongLong
    cmp rax, -1
    je .b_minus_one
.b_ok:
    imul rax, rbx
    jo .overflow
    mov rdi, rax
    add rsp, 8
    pop r12
    pop rbx
    PY_JMP PyLong_FromLongLong      ; a tail call, as a C compiler makes it
.a_minus_one:
    PY_CALL PyErr_Occurred
    test rax, rax
    jnz .fail
    mov rax, -1
    jmp .a_ok
.b_minus_one:
    PY_CALL PyErr_Occurred
    test rax, rax
    jnz .fail
    mov rax, -1
    jmp .b_ok
%if REFEXT_CHECK_INT
.not_int:
    PY_ADDR rax, PyExc_TypeError
    mov rdi, [rax]
    lea rsi, [type_msg]
    PY_CALL PyErr_SetString
    jmp .fail
%endif
.overflow:
    PY_ADDR rax, PyExc_OverflowError
    mov rdi, [rax]
    lea rsi, [overflow_msg]
    PY_CALL PyErr_SetString
.fail:
    xor eax, eax
    add rsp, 8
    pop r12
    pop rbx
    ret

; multiply(self, args): METH_VARARGS, the arguments in a tuple.
align 16
multiply:
%ifndef Py_LIMITED_API
    ; Two arguments are read straight from the tuple; anything else goes
    ; to PyArg_ParseTuple for its error message.
    PyTuple_GET_SIZE rax, rsi
    cmp rax, 2
    jne .parse
    PyTuple_GET_ITEM rdi, rsi, 0
    PyTuple_GET_ITEM rsi, rsi, 1
    jmp multiply_pair               ; a tail call: the stack is as at entry
.parse:
%endif
    sub rsp, 24                     ; [rsp] = a, [rsp + SIZEOF_VOID_P] = b; stack aligned
    mov rdi, rsi
    lea rsi, [parse_fmt]
    mov rdx, rsp
    lea rcx, [rsp + SIZEOF_VOID_P]
    xor eax, eax                    ; variadic call: no vector registers
    PY_CALL PyArg_ParseTuple        ; borrowed a and b
    test eax, eax
    jz .fail
    mov rdi, [rsp]
    mov rsi, [rsp + SIZEOF_VOID_P]
    call multiply_pair
    add rsp, 24
    ret
.fail:
    xor eax, eax
    add rsp, 24
    ret

%if REFEXT_FASTCALL
; multiply_fast(self, args, nargs): METH_FASTCALL, the arguments in a C
; array of nargs objects.
align 16
multiply_fast:
    cmp rdx, 2
    jne .nargs
    mov rdi, [rsi]
    mov rsi, [rsi + SIZEOF_VOID_P]
    jmp multiply_pair               ; a tail call: the stack is as at entry
.nargs:
    sub rsp, 8
    PY_ADDR rax, PyExc_TypeError
    mov rdi, [rax]
    lea rsi, [nargs_msg]
    PY_CALL PyErr_SetString
    xor eax, eax
    add rsp, 8
    ret
%endif

; identity(self, obj): obj with a new reference.
align 16
identity:
    push rsi                        ; keep obj; aligns the stack for a call
    Py_INCREF rsi
    pop rax
    ret

global PyInit_refext:function
align 16
PyInit_refext:
    sub rsp, 8
    lea rdi, [moddef]
    mov esi, PYTHON_API_VERSION
    PY_CALL PyModule_Create2
    add rsp, 8
    ret
