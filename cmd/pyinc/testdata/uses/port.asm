; A fixture for pyinc diff --uses: an extension written for an older
; Python that reads members later versions took away.
;   PyASCIIObject.wstr        gone in 3.12
;   PyTypeObject.tp_print     moved in 3.8, gone in 3.9
; Names in comments and strings are not uses: PyObject.ob_refcnt.

%include "python.inc"
%include "helpers.inc"

section .rodata
label: db "PyObject.ob_refcnt PyVarObject.ob_size", 0

section .text
global unicode_wstr
unicode_wstr:
    mov rax, [rdi + PyASCIIObject.wstr]
    ret

global type_print
type_print:
    mov rax, [rdi + PyTypeObject.tp_print]
    ret

global is_ready
is_ready:
    IS_READY rdi
    setnz al
    movzx eax, al
    ret
