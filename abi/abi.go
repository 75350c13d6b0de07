// Package abi holds the x86-64 System V ABI facts pyinc's output needs:
// how values are classified, and which registers carry a function's
// arguments and result (System V ABI, AMD64 supplement, section 3.2.3).
package abi

import "strings"

// Name describes the target in generated files.
const Name = "x86-64 System V (LP64, ELF)"

// Class is the ABI class of one eightbyte of a value.
type Class int

const (
	NoClass Class = iota
	Integer
	SSE
	X87    // long double: passed in memory, returned in st0
	Memory // passed on the stack, returned through a hidden pointer
)

// Scalar is one scalar leaf of a value: where it is and what kind it is.
type Scalar struct {
	Offset, Size int64
	Float        bool // float or double
	X87          bool // long double
}

// Classify returns the classes of the eightbytes of a value of the given
// size made of leaves. Scalars are one leaf at offset 0.
func Classify(size int64, leaves []Scalar) []Class {
	if size == 0 {
		return nil
	}
	if size > 16 {
		return []Class{Memory}
	}
	n := (size + 7) / 8
	cls := make([]Class, n)
	for _, l := range leaves {
		if l.Offset%l.Size != 0 { // unaligned member (packed): memory
			return []Class{Memory}
		}
		i := l.Offset / 8
		c := Integer
		switch {
		case l.X87:
			c = X87
		case l.Float:
			c = SSE
		}
		cls[i] = merge(cls[i], c)
	}
	for _, c := range cls {
		if c == Memory || c == X87 && len(leaves) > 1 {
			return []Class{Memory}
		}
	}
	return cls
}

func merge(a, b Class) Class {
	switch {
	case a == b:
		return a
	case a == NoClass:
		return b
	case b == NoClass:
		return a
	case a == Memory || b == Memory:
		return Memory
	case a == Integer || b == Integer:
		return Integer
	case a == X87 || b == X87:
		return Memory
	}
	return SSE
}

// Registers that carry arguments, in order.
var (
	IntArgs = []string{"rdi", "rsi", "rdx", "rcx", "r8", "r9"}
	SSEArgs = []string{"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"}
)

// Locate says where each argument travels and where the result comes back,
// given the classes of each parameter and of the result (nil for void).
func Locate(params [][]Class, result []Class) (args []string, ret string) {
	ni, ns := 0, 0
	if len(result) > 0 && result[0] == Memory {
		ni = 1 // rdi holds the address the callee writes the result to
	}
	for _, p := range params {
		var want [2]int
		for _, c := range p {
			switch c {
			case Integer:
				want[0]++
			case SSE:
				want[1]++
			}
		}
		mem := len(p) == 0 || p[0] == Memory || p[0] == X87 ||
			ni+want[0] > len(IntArgs) || ns+want[1] > len(SSEArgs)
		if mem {
			args = append(args, "stack")
			continue
		}
		var regs []string
		for _, c := range p {
			if c == Integer {
				regs = append(regs, IntArgs[ni])
				ni++
			} else {
				regs = append(regs, SSEArgs[ns])
				ns++
			}
		}
		args = append(args, strings.Join(regs, ":"))
	}
	switch {
	case len(result) == 0:
		ret = "none"
	case result[0] == Memory:
		ret = "rax (address of the result, passed in rdi)"
	case result[0] == X87:
		ret = "st0"
	default:
		ri, rs := 0, 0
		var regs []string
		for _, c := range result {
			if c == Integer {
				regs = append(regs, []string{"rax", "rdx"}[ri])
				ri++
			} else {
				regs = append(regs, []string{"xmm0", "xmm1"}[rs])
				rs++
			}
		}
		ret = strings.Join(regs, ":")
	}
	return args, ret
}
