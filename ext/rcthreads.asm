; rcthreads: a test module for the include's Py_INCREF and Py_DECREF under
; threads (ext/test_rcthreads.py): on a free-threaded Python it declares it
; needs no GIL, so that threads running churn at once on the same objects
; race through the owner's unlocked ob_ref_local and the others' atomic
; ob_ref_shared as the headers' own code would.
;
;   rcthreads.churn(objs, n)   n times: Py_INCREF every item of the tuple
;                              objs, then Py_DECREF each. Returns None.

%include "python.inc"

default rel

section .rodata
modname:    db "rcthreads", 0
churn_name: db "churn", 0
churn_fmt:  db "O!n:churn", 0

section .data
align 8
methods:
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq churn_name
        at PyMethodDef.ml_meth,  dq churn
        at PyMethodDef.ml_flags, dd METH_VARARGS
        at PyMethodDef.ml_doc,   dq 0
    iend
    NullMethodDef

align 8
modslots:
%ifdef Py_mod_gil
    ; No state: churn touches only the objects it is given.
    istruc PyModuleDef_Slot
        at PyModuleDef_Slot.slot,  dd Py_mod_gil
        at PyModuleDef_Slot.value, dq Py_MOD_GIL_NOT_USED
    iend
%endif
    istruc PyModuleDef_Slot
        at PyModuleDef_Slot.slot,  dd 0
        at PyModuleDef_Slot.value, dq 0
    iend

align 8
moddef:
    istruc PyModuleDef
        at PyModuleDef.m_base,    PyModuleDef_HEAD_INIT
        at PyModuleDef.m_name,    dq modname
        at PyModuleDef.m_size,    dq 0
        at PyModuleDef.m_methods, dq methods
        at PyModuleDef.m_slots,   dq modslots
    iend

section .text

; churn(self, args): rbx = the tuple, r12 = rounds left, r13 = its size,
; r14 = the item index. Py_DECREF may call a function (the merge at zero,
; another thread's object), so only callee-saved registers live across it.
align 16
churn:
    push rbx
    push r12
    push r13
    push r14
    push r15
    sub rsp, 16                     ; [rsp] = the tuple, [rsp + 8] = n; aligned
    mov rdi, rsi
    lea rsi, [churn_fmt]
    PY_ADDR rdx, PyTuple_Type
    mov rcx, rsp
    lea r8, [rsp + 8]
    xor eax, eax
    PY_CALL PyArg_ParseTuple
    test eax, eax
    jz .fail
    mov rbx, [rsp]
    mov r12, [rsp + 8]
    PyTuple_GET_SIZE r13, rbx
.round:
    test r12, r12
    jle .done
    xor r14d, r14d
.inc:
    cmp r14, r13
    jge .dec_start
    PyTuple_GET_ITEM r15, rbx, r14
    Py_INCREF r15
    inc r14
    jmp .inc
.dec_start:
    xor r14d, r14d
.dec:
    cmp r14, r13
    jge .next
    PyTuple_GET_ITEM r15, rbx, r14
    Py_DECREF r15
    inc r14
    jmp .dec
.next:
    dec r12
    jmp .round
.done:
    add rsp, 16
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    Py_RETURN_NONE
.fail:
    xor eax, eax
    add rsp, 16
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    ret

global PyInit_rcthreads:function
align 16
PyInit_rcthreads:
    lea rdi, [moddef]
    PY_JMP PyModuleDef_Init
