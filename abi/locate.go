package abi

// Reg is a register that carries (part of) a value.
type Reg string

// Registers that carry arguments, in order, and results.
var (
	IntArgs    = []Reg{"rdi", "rsi", "rdx", "rcx", "r8", "r9"}
	SSEArgs    = []Reg{"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"}
	IntResults = []Reg{"rax", "rdx"}
	SSEResults = []Reg{"xmm0", "xmm1"}
	X87Results = []Reg{"st0", "st1"}
)

// Where says how one argument or the result travels.
type Where int

const (
	InRegs    Where = iota // in Regs, one per eightbyte that has a class
	OnStack                // an argument in memory, on the stack
	InMemory               // a result in memory: its address is passed in rdi and comes back in rax
	Nothing                // nothing travels: a type of size 0 or made only of padding, an empty type with no register free; or a void result
	Unlocated              // pyinc could not classify the type (or one before it)
	// ByReference: the caller makes a copy and passes its address in
	// Regs[0] (Microsoft x64, for values not of 1, 2, 4 or 8 bytes).
	ByReference
	// ByReferenceOnStack: as ByReference, the address on the stack.
	ByReferenceOnStack
)

// Loc is where one argument or the result travels.
type Loc struct {
	Where Where
	Regs  []Reg // for InRegs, in eightbyte order
}

// Locate says where each argument travels and where the result comes
// back, given the classes of each parameter and of the result (nil for
// void), as Classify returns them.
func Locate(params [][]Class, result []Class) (args []Loc, ret Loc) {
	ret = locateResult(result)
	if ret.Where == Unlocated {
		for range params {
			args = append(args, Loc{Where: Unlocated})
		}
		return args, ret
	}
	ni, ns := 0, 0
	if ret.Where == InMemory {
		ni = 1 // rdi holds the address the callee writes the result to
	}
	lost := false
	for _, p := range params {
		if lost || isUnclassified(p) {
			lost = true // the registers of what follows are not known
			args = append(args, Loc{Where: Unlocated})
			continue
		}
		wantI, wantS, mem := need(p)
		if mem || ni+wantI > len(IntArgs) || ns+wantS > len(SSEArgs) {
			where := OnStack
			if isEmpty(p) {
				where = Nothing // gcc gives an empty type no stack slot
			}
			args = append(args, Loc{Where: where})
			continue
		}
		if wantI+wantS == 0 {
			args = append(args, Loc{Where: Nothing})
			continue
		}
		var regs []Reg
		regs, ni, ns = assign(p, IntArgs, SSEArgs, ni, ns)
		args = append(args, Loc{Where: InRegs, Regs: regs})
	}
	return args, ret
}

// assign gives each INTEGER eightbyte of cls the next of ints and each SSE
// one the next of sses, from positions ni and ns on, and returns the
// registers and the positions after them.
func assign(cls []Class, ints, sses []Reg, ni, ns int) ([]Reg, int, int) {
	var regs []Reg
	for _, c := range cls {
		switch c {
		case Integer:
			regs = append(regs, ints[ni])
			ni++
		case SSE:
			regs = append(regs, sses[ns])
			ns++
		}
	}
	return regs, ni, ns
}

func isUnclassified(cls []Class) bool { return len(cls) == 1 && cls[0] == Unclassified }

// isEmpty says whether Classify marked cls as the classes of an empty type.
func isEmpty(cls []Class) bool { return len(cls) > 0 && cls[len(cls)-1] == Empty }

// need counts the integer and SSE registers an argument of classes cls
// takes, and says whether it goes to memory instead (gcc's
// examine_argument).
func need(cls []Class) (ints, sses int, mem bool) {
	for _, c := range cls {
		switch c {
		case Integer:
			ints++
		case SSE:
			sses++
		case X87, X87Up, ComplexX87, Memory:
			return 0, 0, true
		}
	}
	return ints, sses, false
}

// locateResult says where a result of classes cls comes back.
func locateResult(cls []Class) Loc {
	if len(cls) == 0 {
		return Loc{Where: Nothing}
	}
	if isUnclassified(cls) {
		return Loc{Where: Unlocated}
	}
	if isEmpty(cls) {
		return Loc{Where: Nothing} // gcc returns no value of an empty type
	}
	if cls[0] == Memory {
		return Loc{Where: InMemory}
	}
	if cls[0] == ComplexX87 {
		return Loc{Where: InRegs, Regs: X87Results}
	}
	if len(cls) == 2 && cls[0] == X87 && cls[1] == X87Up {
		return Loc{Where: InRegs, Regs: X87Results[:1]}
	}
	if _, _, mem := need(cls); mem {
		return Loc{Where: InMemory}
	}
	regs, _, _ := assign(cls, IntResults, SSEResults, 0, 0)
	if len(regs) == 0 {
		return Loc{Where: Nothing}
	}
	return Loc{Where: InRegs, Regs: regs}
}
