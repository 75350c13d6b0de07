; sayit: a CPython extension written the way hand-written python.inc files
; are used (PyMethodDef.ml_name, PyModuleDef_HEAD_INIT, NullMethodDef,
; METH_NOARGS, Py_None, EXTERN PyModule_Create2, ...). It must assemble
; unchanged against the generated include.
;
;   sayit.sayit()        prints "Assembly is great fun! :)" through sys.stdout
;   sayit.count(*args)   the number of arguments
;   sayit.refs(*args)    the reference count of the argument tuple (>= 1)

%include "python.inc"

EXTERN PyModule_Create2
EXTERN PySys_WriteStdout
EXTERN PyLong_FromSsize_t
EXTERN Py_IncRef

default rel

section .data
    modname   db "sayit", 0
    moddoc    db "A module written in assembly.", 0
    sayname   db "sayit", 0
    saydoc    db "Print a message.", 0
    countname db "count", 0
    countdoc  db "The number of positional arguments.", 0
    refsname  db "refs", 0
    refsdoc   db "The reference count of the argument tuple.", 0
    message   db "Assembly is great fun! :)", 10, 0

    align 8
methods:
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq sayname
        at PyMethodDef.ml_meth,  dq sayit
        at PyMethodDef.ml_flags, dd METH_NOARGS
        at PyMethodDef.ml_doc,   dq saydoc
    iend
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq countname
        at PyMethodDef.ml_meth,  dq count
        at PyMethodDef.ml_flags, dd METH_VARARGS
        at PyMethodDef.ml_doc,   dq countdoc
    iend
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq refsname
        at PyMethodDef.ml_meth,  dq refs
        at PyMethodDef.ml_flags, dd METH_VARARGS
        at PyMethodDef.ml_doc,   dq refsdoc
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

; PyObject *sayit(PyObject *self, PyObject *unused)
sayit:
    push rbx
    lea rdi, [message]
    xor eax, eax                        ; variadic: no vector registers
    call PySys_WriteStdout wrt ..plt
    mov rbx, [rel Py_None wrt ..gotpc]
    mov rdi, rbx
    call Py_IncRef wrt ..plt
    mov rax, rbx
    pop rbx
    ret

; PyObject *count(PyObject *self, PyObject *args)
count:
    sub rsp, 8
    mov rdi, [rsi + PyVarObject.ob_size]
    call PyLong_FromSsize_t wrt ..plt
    add rsp, 8
    ret

; PyObject *refs(PyObject *self, PyObject *args)
refs:
    sub rsp, 8
    mov edi, dword [rsi + PyObject.ob_refcnt]
    call PyLong_FromSsize_t wrt ..plt
    add rsp, 8
    ret

global PyInit_sayit:function
PyInit_sayit:
    sub rsp, 8
    lea rdi, [moddef]
    mov esi, PYTHON_API_VERSION
    call PyModule_Create2 wrt ..plt
    add rsp, 8
    ret
