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
;   refext.Counter(start=0) a 64-bit counter: .value (read-only), .increment()
;   refext._export          which export made the module: "PyInit_refext" or
;                           "PyModExport_refext"
;
; The module initialises in two phases (PEP 489): PyInit_refext returns the
; module definition, and CPython runs its Py_mod_exec slot on each new module.
; Built for 3.15 or later (its full API, or its limited API) it also exports
; PyModExport_refext (PEP 793), which 3.15 looks for first: an array of
; PySlot entries that says the same. For abi3t (pyinc build --limited-api
; 3.15 --abi3t, PEP 803), where PyObject and PyModuleDef are opaque, that is
; the only export, and Counter keeps its count in type data (PEP 697).
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

; The member type and flag of Counter.value: 3.12 renamed T_LONGLONG and
; READONLY (structmember.h) to Py_T_LONGLONG and Py_READONLY.
%ifdef Py_T_LONGLONG
 %define REFEXT_T_LONGLONG Py_T_LONGLONG
 %define REFEXT_READONLY Py_READONLY
%else
 %define REFEXT_T_LONGLONG T_LONGLONG
 %define REFEXT_READONLY READONLY
%endif

; Before 3.8 the dealloc of a heap type's subclass gave back the reference
; its instance holds to the type itself (bpo-35810 moved that into the
; base's dealloc). A limited-API module built for 3.6 or 3.7 may run on
; either side, so it asks the running Python which it is.
%define REFEXT_OLD_RUNTIMES 0
%ifdef Py_LIMITED_API
 %if Py_LIMITED_API < 0x03080000
  %define REFEXT_OLD_RUNTIMES 1
 %endif
%endif

; From 3.12 None is immortal, and the headers' Py_RETURN_NONE returns it
; without taking a reference (the include's Py_RETURN_NONE still takes
; one, harmlessly). A module for a limited API older than 3.12 also runs
; where None is mortal, so it takes one.
; From the limited API of 3.13 None is not data the module links to but
; what Py_GetConstantBorrowed returns, which the include's Py_RETURN_NONE
; calls.
%define REFEXT_NONE_IMMORTAL 0
%ifdef Py_LIMITED_API
 %if Py_LIMITED_API >= 0x030C0000 && Py_LIMITED_API < 0x030D0000
  %define REFEXT_NONE_IMMORTAL 1
 %endif
%elif PY_VERSION_HEX >= 0x030C0000
 %define REFEXT_NONE_IMMORTAL 1
%endif

; RETURN_NONE: return None as the headers' Py_RETURN_NONE does.
%macro RETURN_NONE 0
 %if REFEXT_NONE_IMMORTAL
    PY_ADDR rax, Py_None
    ret
 %else
    Py_RETURN_NONE
 %endif
%endmacro

; PyModExport_refext where the Pythons it is for look for it: 3.15 and
; later (the include has PySlot_END from 3.15's headers).
%define REFEXT_EXPORT_HOOK 0
%ifdef PySlot_END
 %ifdef Py_LIMITED_API
  %if Py_LIMITED_API >= 0x030F0000
   %define REFEXT_EXPORT_HOOK 1
  %endif
 %elif PY_VERSION_HEX >= 0x030F0000
  %define REFEXT_EXPORT_HOOK 1
 %endif
%endif
; abi3t: PyObject and PyModuleDef are opaque (no PyObject_size, no
; PyModuleDef), so no PyInit_refext, and Counter's count is type data.
%define REFEXT_ABI3T 0
%ifdef Py_TARGET_ABI3T
 %define REFEXT_ABI3T 1
%endif

%if REFEXT_ABI3T
; A Counter instance's own data (PEP 697), after whatever head the
; running Python's objects have: the count (a C long long).
STRUC CounterObject
    .value:    resb SIZEOF_LONG_LONG
ENDSTRUC
%else
; A Counter instance: the object head, then the count (a C long long).
STRUC CounterObject
    .ob_base:  resb PyObject_size
    .value:    resb SIZEOF_LONG_LONG
ENDSTRUC
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
id_name:      db "identity", 0
id_doc:       db `identity($module, obj, /)\n--\n\nReturn obj itself.`, 0
message:      db "Assembly is great fun! :)", 10, 0
stdout_name:  db "stdout", 0
parse_fmt:    db "OO:multiply", 0
type_msg:     db "multiply() arguments must be int", 0
counter_name: db "refext.Counter", 0        ; the prefix is __module__
counter_key:  db "Counter", 0
counter_doc:  db `Counter(start=0)\n--\n\nA counter that holds a signed 64-bit integer, written in assembly.\nstart must be an int that fits in 64 bits.`, 0
start_name:   db "start", 0
new_fmt:      db "|O:Counter", 0
start_msg:    db "Counter() argument 'start' must be int", 0
value_name:   db "value", 0
value_doc:    db "The count (read-only).", 0
inc_name:     db "increment", 0
inc_doc:      db `increment($self, /)\n--\n\nAdd one to the count. OverflowError at 2**63 - 1, leaving it unchanged.`, 0
inc_overflow: db "Counter.increment() would pass 2**63 - 1", 0
not_counter:  db "not a refext.Counter", 0
repr_fmt:     db "refext.Counter(%lld)", 0
export_key:   db "_export", 0
init_name:    db "PyInit_refext", 0
export_name:  db "PyModExport_refext", 0

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

; What interpreters with their own GIL may do, as the module's slots say
; it (REFEXT_INTERPRETERS), where the headers have the slot.
%ifdef Py_mod_multiple_interpreters
 %ifdef Py_LIMITED_API
  %define REFEXT_INTERPRETERS Py_MOD_PER_INTERPRETER_GIL_SUPPORTED
 %else
  %define REFEXT_INTERPRETERS Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED
 %endif
%endif

%if !REFEXT_ABI3T
; The module's slots: CPython runs refext_exec on each module object it
; makes from moddef, in each interpreter that imports refext.
align 8
modslots:
    istruc PyModuleDef_Slot
        at PyModuleDef_Slot.slot,  dd Py_mod_exec
        at PyModuleDef_Slot.value, dq refext_exec_init
    iend
%ifdef Py_mod_multiple_interpreters
    ; Every interpreter may import refext: it keeps no state of its own
    ; beyond the Counter type. With the full API that type is one static
    ; PyTypeObject that every interpreter shares (its refcount, dict and
    ; subclass list), which is safe only under one shared GIL; under the
    ; limited API each module makes its own heap type, so interpreters
    ; with their own GIL may import it too.
    istruc PyModuleDef_Slot
        at PyModuleDef_Slot.slot,  dd Py_mod_multiple_interpreters
        at PyModuleDef_Slot.value, dq REFEXT_INTERPRETERS
    iend
%endif
%ifdef Py_mod_gil
    ; refext needs no GIL: its functions touch only their arguments,
    ; Counter.increment updates the count with lock cmpxchg, and the value
    ; member is one aligned 8-byte load.
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
        at PyModuleDef.m_doc,     dq moddoc
        at PyModuleDef.m_size,    dq 0      ; no per-module state, and not -1: multi-phase
        at PyModuleDef.m_methods, dq methods
        at PyModuleDef.m_slots,   dq modslots
    iend
%endif

%if REFEXT_EXPORT_HOOK
; The same module as PEP 793's slots, which PyModExport_refext returns:
; CPython 3.15 and later make the module from them, without a PyModuleDef.
; Py_mod_abi points at the headers' ABI information for this build, which
; CPython checks against its own.
align 8
abi_info:     _PyABIInfo_DEFAULT
align 8
export_slots:
    PySlot_DATA(Py_mod_name, modname)
    PySlot_DATA(Py_mod_doc, moddoc)
    PySlot_DATA(Py_mod_abi, abi_info)
    PySlot_STATIC_DATA(Py_mod_methods, methods)  ; static: it outlives every module made
    PySlot_FUNC(Py_mod_exec, refext_exec_export)
    PySlot_DATA(Py_mod_multiple_interpreters, REFEXT_INTERPRETERS)
    PySlot_DATA(Py_mod_gil, Py_MOD_GIL_NOT_USED)   ; as Py_mod_gil above
    PySlot_END
%endif

; Counter's methods and members.
align 8
counter_methods:
    istruc PyMethodDef
        at PyMethodDef.ml_name,  dq inc_name
        at PyMethodDef.ml_meth,  dq counter_increment
        at PyMethodDef.ml_flags, dd METH_NOARGS
        at PyMethodDef.ml_doc,   dq inc_doc
    iend
    NullMethodDef

align 8
counter_members:
    istruc PyMemberDef
        at PyMemberDef.name,   dq value_name
        at PyMemberDef.type,   dd REFEXT_T_LONGLONG
        at PyMemberDef.offset, dq CounterObject.value
%if REFEXT_ABI3T
        at PyMemberDef.flags,  dd REFEXT_READONLY | Py_RELATIVE_OFFSET  ; within the type data
%else
        at PyMemberDef.flags,  dd REFEXT_READONLY
%endif
        at PyMemberDef.doc,    dq value_doc
    iend
    times PyMemberDef_size db 0

; Counter(start=0)'s keywords, a NULL-terminated char *[].
align 8
new_kwlist:   dq start_name, NULL

%ifdef Py_LIMITED_API
; The limited API cannot see PyTypeObject: the type is made from a spec,
; each slot named by the headers' Py_tp_* id.
%macro TYPE_SLOT 2
    istruc PyType_Slot
        at PyType_Slot.slot,  dd %1
        at PyType_Slot.pfunc, dq %2
    iend
%endmacro
align 8
counter_slots:
    TYPE_SLOT Py_tp_new,     counter_new
    TYPE_SLOT Py_tp_dealloc, counter_dealloc
    TYPE_SLOT Py_tp_repr,    counter_repr
    TYPE_SLOT Py_tp_doc,     counter_doc
    TYPE_SLOT Py_tp_methods, counter_methods
    TYPE_SLOT Py_tp_members, counter_members
 %if REFEXT_ABI3T
    TYPE_SLOT Py_tp_token, Py_TP_USE_SPEC   ; counter_spec's address names Counter
 %endif
    TYPE_SLOT 0, 0
align 8
counter_spec:
    istruc PyType_Spec
        at PyType_Spec.name,      dq counter_name
%if REFEXT_ABI3T
        at PyType_Spec.basicsize, dd -CounterObject_size  ; negative: data after the base's (PEP 697)
%else
        at PyType_Spec.basicsize, dd CounterObject_size
%endif
        at PyType_Spec.itemsize,  dd 0
        at PyType_Spec.flags,     dd Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE
        at PyType_Spec.slots,     dq counter_slots
    iend
 %if REFEXT_OLD_RUNTIMES
old_runtime:  db 0                      ; 1 on Python 3.6 and 3.7, set by refext_exec
 %endif
%else
; The full API: a static type, laid out by the include's PyTypeObject for
; this Python; PyType_Ready fills in the rest (tp_alloc, tp_free, ...).
align 8
counter_type:
    istruc PyTypeObject
        at PyTypeObject.ob_base,      PyVarObject_HEAD_INIT(NULL, 0)
        at PyTypeObject.tp_name,      dq counter_name
        at PyTypeObject.tp_basicsize, dq CounterObject_size
        at PyTypeObject.tp_itemsize,  dq 0
        at PyTypeObject.tp_dealloc,   dq counter_dealloc
        at PyTypeObject.tp_repr,      dq counter_repr
        at PyTypeObject.tp_flags,     dq Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE
        at PyTypeObject.tp_doc,       dq counter_doc
        at PyTypeObject.tp_methods,   dq counter_methods
        at PyTypeObject.tp_members,   dq counter_members
        at PyTypeObject.tp_new,       dq counter_new
    iend
%endif

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
    RETURN_NONE
.no_stdout:
    PY_RAISE PyExc_RuntimeError, "lost sys.stdout"
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

; int64_of: rdi = an object (borrowed), rsi = the TypeError message for a
; non-int. Returns its value in rax with CF clear, or CF set with an
; exception set (OverflowError past 64 bits, from PyLong_AsLongLong).
align 16
int64_of:
    push rbx
%if REFEXT_CHECK_INT
    push rsi
    push rdi
    ; Under the limited API this calls PyType_GetFlags (the type object is
    ; opaque there), and the caller-saved registers are gone.
    PY_JUMP_UNLESS_FLAG rdi, Py_TPFLAGS_LONG_SUBCLASS, .not_int
    pop rdi
    pop rsi
%endif
    PY_CALL PyLong_AsLongLong
    cmp rax, -1                     ; -1 may be the value or an error
    je .minus_one
.ok:
    pop rbx
    clc
    ret
.minus_one:
    PY_CALL PyErr_Occurred
    test rax, rax
    mov rax, -1
    jz .ok
    pop rbx
    stc
    ret
%if REFEXT_CHECK_INT
.not_int:
    pop rdi
    pop rbx                         ; the message
    PY_ADDR rax, PyExc_TypeError
    mov rdi, [rax]
    mov rsi, rbx
    PY_CALL PyErr_SetString
    pop rbx
    stc
    ret
%endif

; INT_FROM_LAYOUT obj, dst, label: dst = the value of the int in obj, read
; from its digits (the include's PyLong_COMPACT_VALUE, from each version's
; headers) when it is an int (or a subclass: the same layout) of at most
; two digits; otherwise jump to label. Clobbers r10, r11 and flags. Where
; the include has no PyLong_COMPACT_VALUE (the limited API hides ints),
; every int takes the calls.
%ifmacro PyLong_COMPACT_VALUE 3
 %define REFEXT_INT_LAYOUT 1
%macro INT_FROM_LAYOUT 3
    PY_JUMP_UNLESS %1, PyLong_Check, %3
    PyLong_COMPACT_VALUE %2, %1, %3
%endmacro
%else
 %define REFEXT_INT_LAYOUT 0
%endif

; multiply_pair: rdi = a, rsi = b (borrowed). Returns a * b as a new int
; in rax, or NULL with an exception set: TypeError unless both are ints,
; OverflowError when an argument or the product does not fit in 64 bits.
align 16
multiply_pair:
%if REFEXT_INT_LAYOUT
    ; Ints of one or two digits are read straight from their layout;
    ; anything else, or a product that overflows, takes the calls below.
    INT_FROM_LAYOUT rdi, rax, .general
    INT_FROM_LAYOUT rsi, rcx, .general
    imul rax, rcx
    jo .general
    mov rdi, rax
    PY_JMP PyLong_FromLongLong      ; a tail call, as a C compiler makes it
.general:
%endif
    push rbx
    push r12
    sub rsp, 8                      ; entry rsp is 8 off alignment: now aligned
    mov r12, rsi
    lea rsi, [type_msg]
    call int64_of
    jc .fail
    mov rbx, rax
    mov rdi, r12
    lea rsi, [type_msg]
    call int64_of
    jc .fail
    imul rax, rbx
    jo .overflow
    mov rdi, rax
    add rsp, 8
    pop r12
    pop rbx
    PY_JMP PyLong_FromLongLong
.overflow:
    PY_RAISE PyExc_OverflowError, "multiply() result does not fit in a signed 64-bit integer"
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
    PY_RAISE PyExc_TypeError, "multiply_fast() takes exactly 2 arguments"
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

; counter_new(type, args, kwds): tp_new, Counter(start=0).
align 16
counter_new:
    push rbx                        ; the type
    push r12                        ; the start value
    sub rsp, 24                     ; [rsp] = start (NULL: not given); aligned
    mov rbx, rdi
    mov qword [rsp], NULL
    mov rdi, rsi
    mov rsi, rdx                    ; kwds, or NULL
    lea rdx, [new_fmt]
    lea rcx, [new_kwlist]
    mov r8, rsp
    xor eax, eax                    ; variadic call: no vector registers
    PY_CALL PyArg_ParseTupleAndKeywords
    test eax, eax
    jz .fail
    xor r12d, r12d
    mov rdi, [rsp]
    test rdi, rdi
    jz .alloc
    lea rsi, [start_msg]
    call int64_of
    jc .fail
    mov r12, rax
.alloc:
    ; type->tp_alloc(type, 0): PyType_GenericAlloc, which zeroes the
    ; object, sets its type and, for a heap type, takes a reference to it.
%ifdef Py_LIMITED_API
    mov rdi, rbx
    mov esi, Py_tp_alloc
    PY_CALL PyType_GetSlot
    mov rdi, rbx
    xor esi, esi
    call rax
%else
    mov rdi, rbx
    xor esi, esi
    call [rbx + PyTypeObject.tp_alloc]
%endif
    test rax, rax
    jz .fail
%if REFEXT_ABI3T
    mov rbx, rax                    ; the new object (the type is done with)
    mov rdi, rax
    call counter_data
    test rax, rax
    jz .fail_decref
    mov [rax + CounterObject.value], r12
    mov rax, rbx
%else
    mov [rax + CounterObject.value], r12
%endif
    add rsp, 24
    pop r12
    pop rbx
    ret
%if REFEXT_ABI3T
.fail_decref:
    Py_DECREF rbx
%endif
.fail:
    xor eax, eax
    add rsp, 24
    pop r12
    pop rbx
    ret

%if REFEXT_ABI3T
; counter_data: rdi = a Counter (or an instance of a subclass). Returns in
; rax the address of its CounterObject data (PEP 697), or NULL with an
; exception set: the base whose token is counter_spec (PyType_FromSpec's,
; Py_TP_USE_SPEC) is Counter itself, and PyObject_GetTypeData finds its
; data in the object. Clobbers the caller-saved registers; call it with
; the stack aligned.
align 16
counter_data:
    push rbx                        ; self
    sub rsp, 16                     ; [rsp] = Counter, a new reference; aligned
    mov rbx, rdi
    Py_TYPE rdi, rdi
    lea rsi, [counter_spec]
    mov rdx, rsp
    PY_CALL PyType_GetBaseByToken   ; 1: found, 0: not a Counter, -1: error
    cmp eax, 1
    jne .none
    mov rdi, rbx
    mov rsi, [rsp]
    PY_CALL PyObject_GetTypeData
    mov rbx, rax
    mov rdi, [rsp]
    Py_DECREF rdi
    mov rax, rbx
    add rsp, 16
    pop rbx
    ret
.none:
    test eax, eax
    jnz .error
    PY_ADDR rax, PyExc_TypeError
    mov rdi, [rax]
    lea rsi, [not_counter]
    PY_CALL PyErr_SetString
.error:
    xor eax, eax
    add rsp, 16
    pop rbx
    ret

; REFEXT_VALUE(r): the count of the Counter whose data r points at.
 %define REFEXT_VALUE(r) r + CounterObject.value
; COUNTER_DATA r: r = the data of the Counter in r, or return NULL (with
; the exception set) from a function whose stack is as at entry.
 %macro COUNTER_DATA 1
    push %1                         ; aligns the stack for the call
    mov rdi, %1
    call counter_data
    pop %1
    test rax, rax
    jnz %%ok
    ret
%%ok:
    mov %1, rax
 %endmacro
%else
 %define REFEXT_VALUE(r) r + CounterObject.value
 %macro COUNTER_DATA 1
 %endmacro
%endif

; counter_dealloc(self): tp_dealloc. The memory goes back through the
; tp_free of self's own type (a Python subclass has the GC's); a heap
; type's instance also gives back its reference to the type.
align 16
counter_dealloc:
%ifdef Py_LIMITED_API
    push rbx                        ; self
    push r12                        ; its type
    sub rsp, 8
    mov rbx, rdi
    Py_TYPE r12, rdi
    mov rdi, r12
    mov esi, Py_tp_free
    PY_CALL PyType_GetSlot
    mov rdi, rbx
    call rax
 %if REFEXT_OLD_RUNTIMES
    ; On 3.6 and 3.7 a subclass's own dealloc gives the reference back.
    cmp byte [old_runtime], 0
    je .decref
    mov rdi, r12
    mov esi, Py_tp_dealloc
    PY_CALL PyType_GetSlot
    lea rcx, [counter_dealloc]
    cmp rax, rcx
    jne .done                       ; a subclass
.decref:
 %endif
    Py_DECREF r12
.done:
    add rsp, 8
    pop r12
    pop rbx
    ret
%else
    ; The static type holds no reference for its instances; subclasses are
    ; heap types, and their dealloc gives theirs back.
    Py_TYPE rax, rdi
    jmp [rax + PyTypeObject.tp_free]    ; a tail call: tp_free(self)
%endif

; counter_repr(self): "refext.Counter(value)".
align 16
counter_repr:
    COUNTER_DATA rdi
    sub rsp, 8
    mov rsi, [REFEXT_VALUE(rdi)]
    lea rdi, [repr_fmt]
    xor eax, eax                    ; variadic call: no vector registers
    PY_CALL PyUnicode_FromFormat
    add rsp, 8
    ret

; counter_increment(self, unused): add one atomically. lock cmpxchg
; stores old + 1 only if the count is still old; otherwise rax gets the
; count now there and the loop tries again, checking for overflow each
; time, so two threads never lose an increment nor pass 2**63 - 1.
align 16
counter_increment:
    COUNTER_DATA rdi
    mov rax, [REFEXT_VALUE(rdi)]
.retry:
    mov rdx, rax
    add rdx, 1
    jo .overflow
    lock cmpxchg [REFEXT_VALUE(rdi)], rdx
    jne .retry
    RETURN_NONE
.overflow:
    sub rsp, 8
    PY_ADDR rax, PyExc_OverflowError
    mov rdi, [rax]
    lea rsi, [inc_overflow]
    PY_CALL PyErr_SetString
    xor eax, eax
    add rsp, 8
    ret

; refext_exec_init, refext_exec_export(module): the Py_mod_exec slot of
; each way of exporting the module. They say which one made it, as
; refext._export, then run refext_exec; 0, or -1 with an exception set.
%if !REFEXT_ABI3T
align 16
refext_exec_init:
    lea rsi, [init_name]
    jmp refext_exec_named
%endif
%if REFEXT_EXPORT_HOOK
align 16
refext_exec_export:
    lea rsi, [export_name]
    jmp refext_exec_named
%endif

; refext_exec_named: rdi = the module, rsi = the name of its export.
align 16
refext_exec_named:
    push rbx                        ; aligns the stack for the call
    mov rbx, rdi
    mov rdx, rsi
    lea rsi, [export_key]
    PY_CALL PyModule_AddStringConstant
    test eax, eax
    jnz .fail
    mov rdi, rbx
    pop rbx
    jmp refext_exec                 ; a tail call: the stack is as at entry
.fail:
    pop rbx
    mov eax, -1
    ret

; refext_exec(module): adds Counter to the module;
; returns 0, or -1 with an exception set.
align 16
refext_exec:
    push rbx                        ; the module
    push r12                        ; the type, a new reference
    sub rsp, 8
    mov rbx, rdi
%ifdef Py_LIMITED_API
 %if REFEXT_OLD_RUNTIMES
    call note_old_runtime
 %endif
    lea rdi, [counter_spec]
    PY_CALL PyType_FromSpec         ; a new heap type per module
    test rax, rax
    jz .fail
    mov r12, rax
%else
    lea rdi, [counter_type]
    PY_CALL PyType_Ready            ; once; later calls find it ready
    test eax, eax
    jnz .fail
    lea r12, [counter_type]
    Py_INCREF r12                   ; PyModule_AddObject takes one
%endif
    mov rdi, rbx
    lea rsi, [counter_key]
    mov rdx, r12
    PY_CALL PyModule_AddObject      ; steals r12 on success
    test eax, eax
    jnz .fail_decref
    xor eax, eax
    add rsp, 8
    pop r12
    pop rbx
    ret
.fail_decref:
    Py_DECREF r12
.fail:
    mov eax, -1
    add rsp, 8
    pop r12
    pop rbx
    ret

%if REFEXT_OLD_RUNTIMES
; note_old_runtime: old_runtime = 1 when the running Python is 3.6 or
; 3.7, read from Py_GetVersion's "3.MINOR.". Clobbers the caller-saved
; registers; call it with the stack aligned.
align 16
note_old_runtime:
    sub rsp, 8
    PY_CALL Py_GetVersion
    xor ecx, ecx                    ; the minor version
    add rax, 2                      ; past "3."
.digit:
    movzx edx, byte [rax]
    sub edx, '0'
    cmp edx, 9
    ja .got
    imul ecx, ecx, 10
    add ecx, edx
    inc rax
    jmp .digit
.got:
    cmp ecx, 8
    setb byte [old_runtime]
    add rsp, 8
    ret
%endif

%if !REFEXT_ABI3T
global PyInit_refext:function
; PyInit_refext: multi-phase initialisation, PyModuleDef_Init(&moddef),
; which returns the definition for CPython to make the module from.
align 16
PyInit_refext:
    lea rdi, [moddef]
    PY_JMP PyModuleDef_Init         ; a tail call
%endif

%if REFEXT_EXPORT_HOOK
global PyModExport_refext:function
; PyModExport_refext (PEP 793): the module's slots, for CPython to make the
; module from. 3.15 and later look for it before PyInit_refext.
align 16
PyModExport_refext:
    lea rax, [export_slots]
    ret
%endif
