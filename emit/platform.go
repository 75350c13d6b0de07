package emit

import (
	"fmt"
	"strings"

	"github.com/pyinc/pyinc/abi"
	"github.com/pyinc/pyinc/target"
)

// platform is what the writer asks of the target: how code reaches the
// interpreter's functions and data, which registers carry arguments, and
// what the include states around them. Every macro that calls or loads
// a symbol goes through it, so that a macro is written once for every
// target.
type platform struct {
	tg target.Target
	// args are the integer argument registers in order, and their 32-bit
	// halves.
	args, args32 []string
	callerSaved  string // as the comments list them
	slots        bool   // import slots (__imp_X), not PLT and GOT
}

func newPlatform(tg target.Target) platform {
	if tg.Name == "" {
		tg = target.Default()
	}
	p := platform{tg: tg}
	if tg.Conv == target.MicrosoftX64 {
		p.args = regNames(abi.MSIntArgs)
		p.args32 = []string{"ecx", "edx", "r8d", "r9d"}
		p.callerSaved = "rax rcx rdx r8-r11"
	} else {
		p.args = regNames(abi.IntArgs)
		p.args32 = []string{"edi", "esi", "edx", "ecx", "r8d", "r9d"}
		p.callerSaved = "rax rcx rdx rsi rdi r8-r11"
	}
	p.slots = tg.Imports == target.ImportSlots
	return p
}

func regNames(regs []abi.Reg) []string {
	out := make([]string, len(regs))
	for i, r := range regs {
		out[i] = string(r)
	}
	return out
}

// externName is the name an EXTERN line declares for symbol name.
func (p platform) externName(name string) string {
	if p.slots {
		return "__imp_" + name
	}
	return Name(name)
}

// callPointer is the instruction that calls the function sym (a name
// the include may also use as a macro name) through its address.
func (p platform) callPointer(sym string) string {
	if p.slots {
		return fmt.Sprintf("call [rel __imp_%s]", sym)
	}
	return fmt.Sprintf("call [rel %s wrt ..gotpc]", Name(sym))
}

// callDirect calls a function of the interpreter by name.
func (p platform) callDirect(sym string) string {
	if p.slots {
		return fmt.Sprintf("call [rel __imp_%s]", sym)
	}
	return fmt.Sprintf("call %s wrt ..plt", sym)
}

// moveArg1 puts the macro parameter param into the first argument
// register, unless it is that register.
func (p platform) moveArg1(param string) string {
	a := p.args[0]
	return fmt.Sprintf("    %%ifnidni %s, %s\n        mov %s, %s\n    %%endif\n", param, a, a, param)
}

// prelude is what the include says and does about the object format
// right after its guard.
func (p platform) prelude() string {
	if p.tg.ObjFormat == "win64" {
		return `
; For Windows x64: assemble with nasm -f win64. The interpreter's functions
; and data are reached through the import slots the loader fills
; (__imp_NAME): PY_CALL, PY_JMP and PY_ADDR below; a direct call or address
; of a name does not link.
%ifnidn __OUTPUT_FORMAT__, win64
%fatal this python.inc is for Windows x64: assemble with nasm -f win64 (pyinc gen --target linux-x86_64 writes one for ELF)
%endif
`
	}
	return `
; Mark the stack non-executable: glibc 2.41 and newer refuse to load an
; extension whose stack is executable. The bracketed form does not change
; the section the including file is in; __SECT__ restores it.
%ifidn __OUTPUT_FORMAT__, elf64
[section .note.GNU-stack noalloc noexec nowrite progbits]
__SECT__
%endif
`
}

// accessMacros are PY_CALL, PY_JMP and PY_ADDR.
func (p platform) accessMacros() string {
	if p.slots {
		return `; The interpreter's functions and data, through their import slots (the
; EXTERNs below are the slots, __imp_NAME):
;   PY_CALL PyModule_Create2       ; call [rel __imp_PyModule_Create2]
;   PY_JMP PyLong_FromLongLong     ; tail call: the stack as at entry
;   PY_ADDR rax, Py_None           ; rax = address of the object, from its slot
; NAME may be a %define of the include (Py_None, a renamed function): it is
; expanded first. They define _pyinc_imp.
%macro PY_CALL 1
    %xdefine _pyinc_imp __imp_ %+ %1
    call [rel _pyinc_imp]
%endmacro
%macro PY_JMP 1
    %xdefine _pyinc_imp __imp_ %+ %1
    jmp [rel _pyinc_imp]
%endmacro
%macro PY_ADDR 2
    %xdefine _pyinc_imp __imp_ %+ %2
    mov %1, [rel _pyinc_imp]
%endmacro
`
	}
	return `; Position-independent access to libpython, so that an extension links
; without text relocations:
;   PY_CALL PyModule_Create2       ; call through the PLT
;   PY_JMP PyLong_FromLongLong     ; tail call through the PLT: the stack as at entry
;   PY_ADDR rax, Py_None           ; rax = address of the object, from the GOT
%macro PY_CALL 1
    call %1 wrt ..plt
%endmacro
%macro PY_JMP 1
    jmp %1 wrt ..plt
%endmacro
%macro PY_ADDR 2
    mov %1, [rel %2 wrt ..gotpc]
%endmacro
`
}

// rodata is the section of the read-only data macros place.
func (p platform) rodata() string {
	if p.tg.ObjFormat == "win64" {
		return ".rdata"
	}
	return ".rodata"
}

// variadicWords says what a variadic function wants beyond its arguments.
func (p platform) variadicWords() string {
	if p.tg.Conv == target.MicrosoftX64 {
		return ", ... (a float or double also in the integer register of its position)"
	}
	return ", ... (al = number of vector registers used)"
}

// hiddenResult says where the address of a result in memory is passed.
func (p platform) hiddenResult() string {
	return fmt.Sprintf("rax (address of the result, passed in %s)", p.args[0])
}

// callNote is what a comment says a macro that calls needs of the stack.
func (p platform) callNote() string {
	if p.tg.Conv == target.MicrosoftX64 {
		return "the stack must be aligned as at a call, with 32 bytes of shadow space"
	}
	return "the stack must be aligned as at a call"
}

// saved lists the registers PY_FUNC saves, in push order.
func (p platform) saved() []string {
	if p.tg.Conv == target.MicrosoftX64 {
		return []string{"rbx", "rbp", "rsi", "rdi", "r12", "r13", "r14", "r15"}
	}
	return []string{"rbx", "rbp", "r12", "r13", "r14", "r15"}
}

// unwindRegs are the register numbers the unwind codes use.
var unwindRegs = map[string]int{"rax": 0, "rcx": 1, "rdx": 2, "rbx": 3, "rsp": 4, "rbp": 5, "rsi": 6, "rdi": 7,
	"r8": 8, "r9": 9, "r10": 10, "r11": 11, "r12": 12, "r13": 13, "r14": 14, "r15": 15}

// portable writes the macros that let one source serve every target:
// argument register names, and a function frame that saves the same
// registers and, where the target wants it, describes itself to the
// unwinder.
func (e *nasm) portable() {
	p := e.pl
	e.section("Portable function macros: one source for every target")
	saved := p.saved()
	shadow := 0
	if p.tg.Conv == target.MicrosoftX64 {
		shadow = abi.MSShadowSize
	}
	e.p(`; PY_ARG1..PY_ARG4 name the registers of the first four integer or pointer
; arguments, here %s (PY_ARG1D..PY_ARG4D: their 32-bit halves); the
; result is in rax. PY_SHADOW is the space a caller reserves for the callee
; just above the return address (%d here).
;   PY_FUNC name[, LOCALS]  defines the label name, saves %s,
;                           and reserves LOCALS bytes (rounded up to 16) at
;                           [rsp + PY_SHADOW] with PY_SHADOW bytes below them,
;                           rsp 16-byte aligned: calls need nothing more.
;   PY_EPILOGUE             restores what PY_FUNC saved and returns (as often as
;                           needed between PY_FUNC and PY_ENDFUNC).
;   PY_ENDFUNC              ends the function%s.
; They keep their state in a context (%%push): a context the body pushes must
; be popped before PY_EPILOGUE and PY_ENDFUNC.
`, strings.Join(p.args[:4], ", "), shadow, strings.Join(saved, " "), unwindNote(p))
	for i := 0; i < 4; i++ {
		e.p("%%define PY_ARG%d %s\n", i+1, p.args[i])
	}
	for i := 0; i < 4; i++ {
		e.p("%%define PY_ARG%dD %s\n", i+1, p.args32[i])
	}
	e.p("%%define PY_SHADOW %d\n", shadow)
	e.p("%%macro PY_FUNC 1-2 0 ; name, bytes of locals\n    %%push _pyinc_func\n    %%xdefine %%$name %%1\n")
	// At entry rsp is 8 past a multiple of 16; the pushes and the
	// allocation together restore the alignment.
	pad := 8 * (1 - len(saved)%2)
	e.p("    %%assign %%$frame ((%%2) + 15) / 16 * 16 + %d + PY_SHADOW\n%%1:\n", pad)
	for i, r := range saved {
		e.p("    push %s\n%%$p%d:\n", r, i+1)
	}
	e.p("    %%if %%$frame > 0\n        sub rsp, %%$frame\n    %%endif\n%%$body:\n%%endmacro\n")
	e.p("%%macro PY_EPILOGUE 0\n    %%if %%$frame > 0\n        add rsp, %%$frame\n    %%endif\n")
	for i := len(saved) - 1; i >= 0; i-- {
		e.p("    pop %s\n", saved[i])
	}
	e.p("    ret\n%%endmacro\n")
	e.p("%%macro PY_ENDFUNC 0\n%%$end:\n")
	if p.tg.Unwind == target.PData {
		e.unwindData(saved)
	}
	e.p("    %%pop _pyinc_func\n%%endmacro\n")
}

func unwindNote(p platform) string {
	if p.tg.Unwind == target.PData {
		return " and writes its unwind data (a .pdata entry and\n;                           its .xdata codes), which Windows walks stacks\n;                           through: exceptions, debuggers, crash dumps"
	}
	return ""
}

// unwindData writes the .pdata entry and .xdata unwind codes of the
// function PY_FUNC began (Microsoft's "x64 exception handling": an
// UNWIND_INFO of version 1 whose codes undo the prologue in reverse).
func (e *nasm) unwindData(saved []string) {
	n := len(saved)
	e.p("[section .pdata rdata align=4]\n    dd %%$name wrt ..imagebase, %%$end wrt ..imagebase, %%$unwind wrt ..imagebase\n")
	e.p("[section .xdata rdata align=8]\n%%$unwind:\n")
	// UWOP_ALLOC_SMALL (2) takes one slot for 8..128 bytes; UWOP_ALLOC_LARGE
	// (1) with info 0 two, for up to 512K - 8.
	e.p("    %%if %%$frame > 128\n        %%if %%$frame >= 524288\n            %%error PY_FUNC %%$name: at most 524280 bytes of locals\n        %%endif\n")
	e.p("        db 1, %%$body - %%$name, %d, 0\n        db %%$body - %%$name, 1\n        dw %%$frame / 8\n", n+2)
	e.p("    %%elif %%$frame > 0\n        db 1, %%$body - %%$name, %d, 0\n        db %%$body - %%$name, 2 | ((%%$frame - 8) / 8) << 4\n", n+1)
	e.p("    %%else\n        db 1, %%$p%d - %%$name, %d, 0\n    %%endif\n", n, n)
	for i := n - 1; i >= 0; i-- {
		e.p("    db %%$p%d - %%$name, %d << 4 ; UWOP_PUSH_NONVOL %s\n", i+1, unwindRegs[saved[i]], saved[i])
	}
	// The code array has an even number of slots.
	e.p("    %%if (%d + (%%$frame > 0) + (%%$frame > 128)) %% 2\n        dw 0\n    %%endif\n__SECT__\n", n)
}
