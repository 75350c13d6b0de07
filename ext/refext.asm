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
; One source for both targets: `nasm -f elf64` with a Linux include and
; `nasm -f win64` with a Windows one (pyinc build --target windows-x86_64).
; Arguments are named by the include's PY_ARG1..PY_ARG4 (System V: rdi, rsi,
; rdx, rcx; Microsoft x64: rcx, rdx, r8, r9). A METH_* function gets self
; in PY_ARG1 and its arguments in PY_ARG2 (METH_VARARGS: the tuple; METH_O:
; the one object); it returns a new reference in rax, or NULL in rax with an
; exception set. Every function that calls is framed by the include's
; PY_FUNC / PY_EPILOGUE / PY_ENDFUNC, which save the callee-saved registers
; of the target (rbx, rbp, r12-r15, and rsi, rdi on Windows), keep rsp
; aligned with the shadow space Windows wants below it, and on Windows
; write the unwind data (.pdata/.xdata) its stack walks need. Leaf code
; (no call, rsp untouched) needs none of it, and the fast paths stay leaves.
; In a function body, rbx and r12 hold what must survive a call; rax, r8-r11
; and the argument registers are scratch on both targets.
; See docs/refext.md.

%include "python.inc"

default rel

; What differs between the object formats and cannot be hidden in the
; include: the name of the read-only data section (.rodata is an ELF name;
; nasm makes an unknown win64 section executable), and ELF's symbol types.
%ifidn __OUTPUT_FORMAT__, win64
 %define REFEXT_RODATA .rdata
%else
 %define REFEXT_RODATA .rodata
%endif

; METH_FASTCALL has its 3.7 meaning from 3.7, and the limited API has it
; from 3.10; where the include lacks it, multiply_fast is left out.
%define REFEXT_FASTCALL 0
%ifdef METH_FASTCALL
 %if PY_VERSION_HEX >= 0x03070000
  %define REFEXT_FASTCALL 1
 %endif
%endif

; Ints of one or two digits are read straight from their layout by the
; include's PyLong_COMPACT_VALUE, which pyinc writes from each version's
; headers (lv_tag from 3.12, ob_size before); where the include has none
; (the limited API hides ints), every int takes the calls.
%define REFEXT_INT_LAYOUT 0                 ; 0: call PyLong_AsLongLong
%ifmacro PyLong_COMPACT_VALUE 3
 %define REFEXT_INT_LAYOUT 1
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
%define REFEXT_NONE_CALL 0          ; None is Py_GetConstantBorrowed's, no symbol
%ifdef Py_LIMITED_API
 %if Py_LIMITED_API >= 0x030D0000
  %define REFEXT_NONE_CALL 1
 %endif
%endif

; REFEXT_INCREF_CALLS: the include's Py_INCREF is a call (Py_IncRef, or
; _Py_IncRef under Py_REF_DEBUG), as it is in a debug build and may be under
; the limited API; a call keeps no caller-saved register (on Windows not
; even rax) and needs a frame, so only framed code may take a reference then.
%define REFEXT_INCREF_CALLS 0
%ifdef Py_REF_DEBUG
 %define REFEXT_INCREF_CALLS 1
%endif
%ifdef Py_LIMITED_API
 %define REFEXT_INCREF_CALLS 1
%endif

; LOAD_NONE: rax = None, as the headers' Py_RETURN_NONE returns it (with a
; new reference where None is mortal). Where Py_INCREF calls, it keeps None
; in rbx across the call, and under the limited API of 3.13+ it calls
; Py_GetConstantBorrowed: use it only in a function framed by PY_FUNC.
%macro LOAD_NONE 0
 %if REFEXT_NONE_CALL
    ; Borrowed, and None is immortal wherever such a module runs (3.13+),
    ; as the headers' Py_RETURN_NONE has it: no reference to take.
    mov PY_ARG1D, Py_CONSTANT_NONE
    PY_CALL Py_GetConstantBorrowed
 %elif REFEXT_NONE_IMMORTAL
    PY_ADDR rax, Py_None
 %elif REFEXT_INCREF_CALLS
    PY_ADDR rbx, Py_None
    Py_INCREF rbx
    mov rax, rbx
 %else
    PY_ADDR rax, Py_None
    Py_INCREF rax
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
 %ifidn __OUTPUT_FORMAT__, win64
  %fatal refext's abi3t build is for Linux: its Counter data helpers use the System V registers
 %endif
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

section REFEXT_RODATA
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
        at PyTypeObject.tp_flags,     dd Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE ; unsigned long: 4 bytes on Windows
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
PY_FUNC sayit
    lea PY_ARG1, [stdout_name]
    PY_CALL PySys_GetObject         ; borrowed sys.stdout, or NULL
    test rax, rax
    jz .no_stdout
    lea PY_ARG1, [message]
    mov PY_ARG2, rax
    PY_CALL PyFile_WriteString      ; 0, or -1 with an exception set
    test eax, eax
    jnz .error
    LOAD_NONE
    PY_EPILOGUE
.no_stdout:
    PY_RAISE PyExc_RuntimeError, "lost sys.stdout"   ; rax = NULL
    PY_EPILOGUE
.error:
    xor eax, eax
    PY_EPILOGUE
PY_ENDFUNC

; From 3.10 PyLong_AsLongLong raises the TypeError for a non-int itself;
; before, it took floats through __int__, so older headers, and the
; limited API (whose modules run on them too), check the type first.
%define REFEXT_CHECK_INT 1
%ifndef Py_LIMITED_API
 %if PY_VERSION_HEX >= 0x030A0000
  %define REFEXT_CHECK_INT 0
 %endif
%endif

; int64_of: PY_ARG1 = an object (borrowed), PY_ARG2 = the TypeError message
; for a non-int. Returns its value in rax and edx = 0, or edx = 1 with an
; exception set (OverflowError past 64 bits, from PyLong_AsLongLong). Not
; a flag: the epilogue's add rsp changes the flags.
align 16
PY_FUNC int64_of
    mov rbx, PY_ARG1
    mov r12, PY_ARG2
%if REFEXT_CHECK_INT
    ; Under the limited API this calls PyType_GetFlags (the type object is
    ; opaque there), and the caller-saved registers are gone.
    PY_JUMP_UNLESS_FLAG rbx, Py_TPFLAGS_LONG_SUBCLASS, .not_int
%endif
    mov PY_ARG1, rbx
    PY_CALL PyLong_AsLongLong
    cmp rax, -1                     ; -1 may be the value or an error
    je .minus_one
.ok:
    xor edx, edx
    PY_EPILOGUE
.minus_one:
    PY_CALL PyErr_Occurred
    test rax, rax
    mov rax, -1
    jz .ok
    mov edx, 1
    PY_EPILOGUE
%if REFEXT_CHECK_INT
.not_int:
    PY_ADDR rax, PyExc_TypeError
    mov PY_ARG1, [rax]
    mov PY_ARG2, r12
    PY_CALL PyErr_SetString
    mov edx, 1
    PY_EPILOGUE
%endif
PY_ENDFUNC

%if REFEXT_INT_LAYOUT
; INT_FROM_LAYOUT obj, dst, label: dst = the value of the int in obj (an
; int or a subclass: the same layout) of at most two digits; otherwise jump
; to label. Clobbers r10, r11 and flags.
%macro INT_FROM_LAYOUT 3
    PY_JUMP_UNLESS %1, PyLong_Check, %3
    PyLong_COMPACT_VALUE %2, %1, %3
%endmacro
%endif

; multiply_pair: PY_ARG1 = a, PY_ARG2 = b (borrowed). Returns a * b as a
; new int in rax, or NULL with an exception set: TypeError unless both are
; ints, OverflowError when an argument or the product does not fit in 64
; bits. Its fast path is a leaf; the rest is multiply_general's.
align 16
multiply_pair:
%if REFEXT_INT_LAYOUT
    ; Ints of one or two digits are read straight from their layout;
    ; anything else, or a product that overflows, takes the calls below.
    INT_FROM_LAYOUT PY_ARG1, rax, multiply_general
    INT_FROM_LAYOUT PY_ARG2, r9, multiply_general   ; r9: caller-saved on both targets, no argument here
    imul rax, r9
    jo multiply_general             ; a and b are still in PY_ARG1, PY_ARG2
    mov PY_ARG1, rax
    PY_JMP PyLong_FromLongLong      ; a tail call, as a C compiler makes it
%endif
    ; falls through to multiply_general
PY_FUNC multiply_general
    mov r12, PY_ARG2
    lea PY_ARG2, [type_msg]
    call int64_of                   ; a, still in PY_ARG1
    test edx, edx
    jnz .fail
    mov rbx, rax
    mov PY_ARG1, r12
    lea PY_ARG2, [type_msg]
    call int64_of
    test edx, edx
    jnz .fail
    imul rax, rbx
    jo .overflow
    mov PY_ARG1, rax
    PY_CALL PyLong_FromLongLong
    PY_EPILOGUE
.overflow:
    PY_RAISE PyExc_OverflowError, "multiply() result does not fit in a signed 64-bit integer"
.fail:
    xor eax, eax
    PY_EPILOGUE
PY_ENDFUNC

; multiply(self, args): METH_VARARGS, the arguments in a tuple.
align 16
multiply:
%ifndef Py_LIMITED_API
    ; Two arguments are read straight from the tuple; anything else goes
    ; to PyArg_ParseTuple for its error message.
    PyTuple_GET_SIZE rax, PY_ARG2
    cmp rax, 2
    jne multiply_parse
    PyTuple_GET_ITEM PY_ARG1, PY_ARG2, 0
    PyTuple_GET_ITEM PY_ARG2, PY_ARG2, 1
    jmp multiply_pair               ; a tail call: the stack is as at entry
%endif
    ; falls through to multiply_parse
PY_FUNC multiply_parse, 2 * SIZEOF_VOID_P  ; locals: a, b
    mov PY_ARG1, PY_ARG2
    lea PY_ARG2, [parse_fmt]
    lea PY_ARG3, [rsp + PY_SHADOW]
    lea PY_ARG4, [rsp + PY_SHADOW + SIZEOF_VOID_P]
    xor eax, eax                    ; variadic call: no vector registers
    PY_CALL PyArg_ParseTuple        ; borrowed a and b
    test eax, eax
    jz .fail
    mov PY_ARG1, [rsp + PY_SHADOW]
    mov PY_ARG2, [rsp + PY_SHADOW + SIZEOF_VOID_P]
    call multiply_pair
    PY_EPILOGUE
.fail:
    xor eax, eax
    PY_EPILOGUE
PY_ENDFUNC

%if REFEXT_FASTCALL
; multiply_fast(self, args, nargs): METH_FASTCALL, the arguments in a C
; array of nargs objects.
align 16
multiply_fast:
    cmp PY_ARG3, 2
    jne multiply_fast_nargs
    mov PY_ARG1, [PY_ARG2]
    mov PY_ARG2, [PY_ARG2 + SIZEOF_VOID_P]
    jmp multiply_pair               ; a tail call: the stack is as at entry

align 16
PY_FUNC multiply_fast_nargs
    PY_RAISE PyExc_TypeError, "multiply_fast() takes exactly 2 arguments"   ; rax = NULL
    PY_EPILOGUE
PY_ENDFUNC
%endif

; identity(self, obj): obj with a new reference.
align 16
%if REFEXT_INCREF_CALLS
PY_FUNC identity                    ; Py_INCREF calls
    mov rbx, PY_ARG2
    Py_INCREF rbx
    mov rax, rbx
    PY_EPILOGUE
PY_ENDFUNC
%else
identity:
    Py_INCREF PY_ARG2
    mov rax, PY_ARG2
    ret
%endif

; counter_new(type, args, kwds): tp_new, Counter(start=0).
align 16
PY_FUNC counter_new, 2 * SIZEOF_VOID_P  ; locals: a fifth argument's slot, start
    mov rbx, PY_ARG1                ; the type
    mov qword [rsp + PY_SHADOW + SIZEOF_VOID_P], NULL   ; start: not given
    mov PY_ARG1, PY_ARG2            ; args
    mov PY_ARG2, PY_ARG3            ; kwds, or NULL
    lea PY_ARG3, [new_fmt]
    lea PY_ARG4, [new_kwlist]
    lea rax, [rsp + PY_SHADOW + SIZEOF_VOID_P]
%if PY_SHADOW
    mov [rsp + PY_SHADOW], rax      ; a fifth argument goes on the stack above the shadow space (Microsoft x64)
%else
    mov r8, rax                     ; a fifth argument goes in r8 (System V)
%endif
    xor eax, eax                    ; variadic call: no vector registers
    PY_CALL PyArg_ParseTupleAndKeywords
    test eax, eax
    jz .fail
    xor r12d, r12d                  ; the start value
    mov PY_ARG1, [rsp + PY_SHADOW + SIZEOF_VOID_P]
    test PY_ARG1, PY_ARG1
    jz .alloc
    lea PY_ARG2, [start_msg]
    call int64_of
    test edx, edx
    jnz .fail
    mov r12, rax
.alloc:
    ; type->tp_alloc(type, 0): PyType_GenericAlloc, which zeroes the
    ; object, sets its type and, for a heap type, takes a reference to it.
%ifdef Py_LIMITED_API
    mov PY_ARG1, rbx
    mov PY_ARG2D, Py_tp_alloc
    PY_CALL PyType_GetSlot
    mov PY_ARG1, rbx
    xor PY_ARG2D, PY_ARG2D
    call rax
%else
    mov PY_ARG1, rbx
    xor PY_ARG2D, PY_ARG2D
    call [rbx + PyTypeObject.tp_alloc]
%endif
    test rax, rax
    jz .fail
%if REFEXT_ABI3T
    mov rbx, rax                    ; the new object (the type is done with)
    mov PY_ARG1, rax
    call counter_data
    test rax, rax
    jz .fail_decref
    mov [rax + CounterObject.value], r12
    mov rax, rbx
%else
    mov [rax + CounterObject.value], r12
%endif
    PY_EPILOGUE
%if REFEXT_ABI3T
.fail_decref:
    Py_DECREF rbx
%endif
.fail:
    xor eax, eax
    PY_EPILOGUE
PY_ENDFUNC

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
%ifdef Py_LIMITED_API
PY_FUNC counter_dealloc
    mov rbx, PY_ARG1                ; self
    Py_TYPE r12, rbx                ; its type
    mov PY_ARG1, r12
    mov PY_ARG2D, Py_tp_free
    PY_CALL PyType_GetSlot
    mov PY_ARG1, rbx
    call rax
 %if REFEXT_OLD_RUNTIMES
    ; On 3.6 and 3.7 a subclass's own dealloc gives the reference back.
    cmp byte [old_runtime], 0
    je .decref
    mov PY_ARG1, r12
    mov PY_ARG2D, Py_tp_dealloc
    PY_CALL PyType_GetSlot
    lea r10, [counter_dealloc]
    cmp rax, r10
    jne .done                       ; a subclass
.decref:
 %endif
    Py_DECREF r12
.done:
    PY_EPILOGUE
PY_ENDFUNC
%else
counter_dealloc:
    ; The static type holds no reference for its instances; subclasses are
    ; heap types, and their dealloc gives theirs back.
    Py_TYPE rax, PY_ARG1
    jmp [rax + PyTypeObject.tp_free]    ; a tail call: tp_free(self)
%endif

; counter_repr(self): "refext.Counter(value)".
align 16
%if REFEXT_ABI3T
counter_repr:
    COUNTER_DATA PY_ARG1            ; its data, or return NULL (a leaf here)
    jmp counter_repr_of
align 16
PY_FUNC counter_repr_of
%else
PY_FUNC counter_repr
%endif
    mov PY_ARG2, [REFEXT_VALUE(PY_ARG1)]
    lea PY_ARG1, [repr_fmt]
    xor eax, eax                    ; variadic call: no vector registers
    PY_CALL PyUnicode_FromFormat
    PY_EPILOGUE
PY_ENDFUNC

; counter_increment(self, unused): add one atomically. lock cmpxchg
; stores old + 1 only if the count is still old; otherwise rax gets the
; count now there and the loop tries again, checking for overflow each
; time, so two threads never lose an increment nor pass 2**63 - 1. A leaf;
; the overflow (and None, where Py_INCREF calls) are framed functions.
align 16
counter_increment:
    COUNTER_DATA PY_ARG1            ; abi3t: its data, or return NULL
    mov rax, [REFEXT_VALUE(PY_ARG1)]
.retry:
    mov r10, rax
    add r10, 1
    jo counter_overflow
    lock cmpxchg [REFEXT_VALUE(PY_ARG1)], r10
    jne .retry
%if REFEXT_INCREF_CALLS && !REFEXT_NONE_IMMORTAL
    jmp return_none                 ; Py_INCREF calls: a framed function takes None's reference
%else
    LOAD_NONE
    ret
%endif

align 16
PY_FUNC counter_overflow
    PY_RAISE PyExc_OverflowError, "Counter.increment() would pass 2**63 - 1"   ; rax = NULL
    PY_EPILOGUE
PY_ENDFUNC

%if REFEXT_INCREF_CALLS && !REFEXT_NONE_IMMORTAL
; return_none: None, with a reference taken by a call.
align 16
PY_FUNC return_none
    LOAD_NONE
    PY_EPILOGUE
PY_ENDFUNC
%endif

; refext_exec_init, refext_exec_export(module): the Py_mod_exec slot of
; each way of exporting the module. They say which one made it, as
; refext._export, then run refext_exec; 0, or -1 with an exception set.
%if !REFEXT_ABI3T
align 16
refext_exec_init:
    lea PY_ARG2, [init_name]
    jmp refext_exec_named
%endif
%if REFEXT_EXPORT_HOOK
align 16
refext_exec_export:
    lea PY_ARG2, [export_name]
    jmp refext_exec_named
%endif

; refext_exec_named: PY_ARG1 = the module, PY_ARG2 = the name of its export.
align 16
PY_FUNC refext_exec_named
    mov rbx, PY_ARG1
    mov PY_ARG3, PY_ARG2
    lea PY_ARG2, [export_key]
    PY_CALL PyModule_AddStringConstant
    test eax, eax
    jnz .fail
    mov PY_ARG1, rbx
    call refext_exec                ; 0, or -1 with an exception set
    PY_EPILOGUE
.fail:
    mov eax, -1
    PY_EPILOGUE
PY_ENDFUNC

; refext_exec(module): adds Counter to the module;
; returns 0, or -1 with an exception set.
align 16
PY_FUNC refext_exec
    mov rbx, PY_ARG1                ; the module
%ifdef Py_LIMITED_API
 %if REFEXT_OLD_RUNTIMES
    call note_old_runtime
 %endif
    lea PY_ARG1, [counter_spec]
    PY_CALL PyType_FromSpec         ; a new heap type per module
    test rax, rax
    jz .fail
    mov r12, rax                    ; the type, a new reference
%else
    lea PY_ARG1, [counter_type]
    PY_CALL PyType_Ready            ; once; later calls find it ready
    test eax, eax
    jnz .fail
    lea r12, [counter_type]
    Py_INCREF r12                   ; PyModule_AddObject takes one
%endif
    mov PY_ARG1, rbx
    lea PY_ARG2, [counter_key]
    mov PY_ARG3, r12
    PY_CALL PyModule_AddObject      ; steals r12 on success
    test eax, eax
    jnz .fail_decref
    xor eax, eax
    PY_EPILOGUE
.fail_decref:
    Py_DECREF r12
.fail:
    mov eax, -1
    PY_EPILOGUE
PY_ENDFUNC

%if REFEXT_OLD_RUNTIMES
; note_old_runtime: old_runtime = 1 when the running Python is 3.6 or
; 3.7, read from Py_GetVersion's "3.MINOR.".
align 16
PY_FUNC note_old_runtime
    PY_CALL Py_GetVersion
    xor r10d, r10d                  ; the minor version
    add rax, 2                      ; past "3."
.digit:
    movzx r11d, byte [rax]
    sub r11d, '0'
    cmp r11d, 9
    ja .got
    imul r10d, r10d, 10
    add r10d, r11d
    inc rax
    jmp .digit
.got:
    cmp r10d, 8
    setb byte [old_runtime]
    PY_EPILOGUE
PY_ENDFUNC
%endif

%if !REFEXT_ABI3T
; PyInit_refext: multi-phase initialisation, PyModuleDef_Init(&moddef),
; which returns the definition for CPython to make the module from.
%ifidn __OUTPUT_FORMAT__, win64
global PyInit_refext
%else
global PyInit_refext:function
%endif
align 16
PyInit_refext:
    lea PY_ARG1, [moddef]
    PY_JMP PyModuleDef_Init         ; a tail call
%endif

%if REFEXT_EXPORT_HOOK
 %ifidn __OUTPUT_FORMAT__, win64
global PyModExport_refext
 %else
global PyModExport_refext:function
 %endif
; PyModExport_refext (PEP 793): the module's slots, for CPython to make the
; module from. 3.15 and later look for it before PyInit_refext.
align 16
PyModExport_refext:
    lea rax, [export_slots]
    ret
%endif
