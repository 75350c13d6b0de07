package abi

// The Microsoft x64 calling convention, as gcc implements it for
// x86_64-w64-mingw32 (function_arg_ms_64, function_value_ms_64,
// return_in_memory_ms_64 and ix86_pass_by_reference in
// gcc/config/i386/i386.cc), which follows Microsoft's "x64 calling
// convention": every argument takes the next of four positions, whatever
// its type; a float or double in position i travels in xmm<i>, anything
// else of 1, 2, 4 or 8 bytes (aggregates too) in the i-th integer
// register; any other value travels as the address of a copy the caller
// made. After four positions, arguments go on the stack above the 32
// bytes of shadow space the caller reserves. Results of 1, 2, 4 or 8 bytes
// come back in rax (a float or double in xmm0; a 16-byte integer in
// xmm0), larger ones in memory whose address the caller passes in rcx
// (taking the first position) and the callee returns in rax.

// Microsoft x64 registers, by argument position.
var (
	MSIntArgs    = []Reg{"rcx", "rdx", "r8", "r9"}
	MSSSEArgs    = []Reg{"xmm0", "xmm1", "xmm2", "xmm3"}
	MSIntResult  = Reg("rax")
	MSSSEResult  = Reg("xmm0")
	MSShadowSize = 32 // bytes the caller reserves above the return address
)

// MSName describes the Microsoft convention in generated files.
const MSName = "x86-64 Microsoft x64 (LLP64, PE/COFF)"

// LocateMS says where each argument travels and where the result comes
// back under the Microsoft x64 convention, given the laid-out types of
// the parameters and of the result (nil for void).
func LocateMS(params []*Type, result *Type) (args []Loc, ret Loc) {
	ret = locateResultMS(result)
	if ret.Where == Unlocated {
		for range params {
			args = append(args, Loc{Where: Unlocated})
		}
		return args, ret
	}
	pos := 0
	if ret.Where == InMemory {
		pos = 1 // rcx holds the address the callee writes the result to
	}
	for _, p := range params {
		switch {
		case p == nil || !known(p):
			args = append(args, Loc{Where: Unlocated})
		case pos >= len(MSIntArgs) && emptyMS(p) && msRegisterSized(p.Size) && p.Kind != Array:
			// gcc stores no empty record on the stack, nor counts its slot.
			args = append(args, Loc{Where: Nothing})
			continue
		default:
			args = append(args, locateArgMS(p, pos))
		}
		pos++
	}
	return args, ret
}

// emptyMS reports an empty record (gcc's is_empty_type): a struct or
// union whose members are all unnamed bitfields, flexible arrays or
// empty themselves; an array of no elements or of empty ones. gcc returns
// none (no hidden pointer, nothing in rax), and passes none that would go
// on the stack by value: it takes no slot there. In the first four
// positions it takes its register as anything else does; one that is not
// of 1, 2, 4 or 8 bytes (a struct of size 0) travels by reference, and its
// address is an argument like any other.
func emptyMS(t *Type) bool {
	switch t.Kind {
	case Struct, Union:
		for _, f := range t.Fields {
			switch {
			case f.Flexible:
			case f.Bitfield:
				if !f.Padding {
					return false
				}
			case f.Type == nil || !emptyMS(f.Type):
				return false
			}
		}
		return true
	case Array:
		return t.Size == 0 || t.Elem == nil || emptyMS(t.Elem)
	}
	return false
}

// locateArgMS places one argument at position pos.
func locateArgMS(t *Type, pos int) Loc {
	byRef := !msRegisterSized(t.Size) || t.Kind == Array
	if pos >= len(MSIntArgs) {
		if byRef {
			return Loc{Where: ByReferenceOnStack}
		}
		return Loc{Where: OnStack}
	}
	switch {
	case byRef:
		return Loc{Where: ByReference, Regs: []Reg{MSIntArgs[pos]}}
	case msFloat(t):
		return Loc{Where: InRegs, Regs: []Reg{MSSSEArgs[pos]}}
	}
	return Loc{Where: InRegs, Regs: []Reg{MSIntArgs[pos]}}
}

// locateResultMS says where a result comes back.
func locateResultMS(t *Type) Loc {
	switch {
	case t == nil:
		return Loc{Where: Nothing}
	case !known(t):
		return Loc{Where: Unlocated}
	case emptyMS(t):
		return Loc{Where: Nothing}
	case t.Kind == Int && t.Size == 16:
		return Loc{Where: InRegs, Regs: []Reg{MSSSEResult}}
	case !msRegisterSized(t.Size):
		return Loc{Where: InMemory}
	case msFloat(t):
		return Loc{Where: InRegs, Regs: []Reg{MSSSEResult}}
	}
	return Loc{Where: InRegs, Regs: []Reg{MSIntResult}}
}

// msFloat: a scalar float or double (long double is a double here) is
// the one kind of value that travels in an SSE register.
func msFloat(t *Type) bool {
	return (t.Kind == Float || t.Kind == LongDouble) && (t.Size == 4 || t.Size == 8)
}

func msRegisterSized(size int64) bool {
	return size == 1 || size == 2 || size == 4 || size == 8
}
