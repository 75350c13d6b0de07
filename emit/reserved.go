package emit

import (
	"strconv"
	"strings"
)

// reserved are the words NASM reads as something other than a symbol
// (registers, size and operator keywords, a few directives), compared
// without case as NASM does. A C name spelled like one is written with
// NASM's $ prefix, which makes it an ordinary identifier.
var reserved = map[string]bool{}

func init() {
	words := `
abs at byte dword qword tword oword yword zword word far near short strict nosplit
rel seg wrt to times equ incbin db dw dd dq dt do dy dz resb resw resd resq rest reso resy resz
ptr st0 st1 st2 st3 st4 st5 st6 st7 cs ds es fs gs ss rip eip ip flags
al ah ax eax rax bl bh bx ebx rbx cl ch cx ecx rcx dl dh dx edx rdx
sil si esi rsi dil di edi rdi spl sp esp rsp bpl bp ebp rbp
cr0 cr2 cr3 cr4 cr8 dr0 dr1 dr2 dr3 dr6 dr7 tr3 tr4 tr5 tr6 tr7
segment section absolute extern global common static struc endstruc istruc iend align alignb
bits use16 use32 use64 default cpu float org __sect__
mov movsx movzx movsxd lea add adc sub sbb and or xor not neg inc dec mul imul div idiv
cmp test call ret retn retf jmp push pop pushf popf pushfq popfq nop int int3 into in out
loop loope loopne shl shr sal sar rol ror rcl rcr bt bts btr btc bsf bsr bswap xchg xadd
cmpxchg cmpxchg8b cmpxchg16b lock rep repe repz repne repnz movs movsb movsw movsd movsq
stos stosb stosw stosd stosq lods lodsb lodsw lodsd lodsq scas scasb scasw scasd scasq
cmps cmpsb cmpsw cmpsd cmpsq hlt cli sti cld std clc stc cmc enter leave syscall sysret
sysenter sysexit cpuid rdtsc rdtscp pause ud2 cbw cwde cdqe cwd cdq cqo lahf sahf xlat
popcnt lzcnt tzcnt andn crc32 prefetch prefetchw mfence lfence sfence clflush wait fwait`
	for _, w := range strings.Fields(words) {
		reserved[w] = true
	}
	// Conditional jumps, sets and moves: jz, setnae, cmovge, ...
	for _, cc := range strings.Fields("a ae b be c e g ge l le o p s z pe po na nae nb nbe nc ne ng nge nl nle no np ns nz") {
		for _, p := range []string{"j", "set", "cmov"} {
			reserved[p+cc] = true
		}
	}
	reserved["jcxz"], reserved["jecxz"], reserved["jrcxz"] = true, true, true
	for i := 0; i < 32; i++ {
		for _, p := range []string{"xmm", "ymm", "zmm"} {
			reserved[p+strconv.Itoa(i)] = true
		}
	}
	for i := 0; i < 8; i++ {
		reserved["mm"+strconv.Itoa(i)] = true
		reserved["k"+strconv.Itoa(i)] = true
		reserved["bnd"+strconv.Itoa(i%4)] = true
	}
	for i := 8; i < 16; i++ {
		n := "r" + strconv.Itoa(i)
		for _, s := range []string{"", "b", "w", "d", "l"} {
			reserved[n+s] = true
		}
	}
}

// Name spells a C identifier for NASM: reserved words get the $ prefix.
func Name(c string) string {
	if reserved[strings.ToLower(c)] {
		return "$" + c
	}
	return c
}
