// Package abi holds the x86-64 System V ABI facts pyinc's output needs:
// how values are classified, and which registers carry a function's
// arguments and result (System V ABI, AMD64 supplement, section 3.2.3).
//
// Where gcc departs from the text of the psABI, this package follows gcc,
// the compiler extension modules are linked with: unnamed bit-fields
// count as INTEGER (zero-width ones only in unions, since gcc 12.1), a
// type made only of padding takes no register, a type gcc counts empty
// (is_empty_type: nothing but unnamed bit-fields, zero-length arrays and
// empty aggregates) takes no stack slot and is never returned, classes
// of nested aggregates merge level by level in member order (the merge is
// not associative), and a _Complex float that starts inside an eightbyte
// takes two SSE eightbytes. The differential fuzzer in crosscheck holds
// this code to gcc.
package abi

import "fmt"

// Name describes the target in generated files.
const Name = "x86-64 System V (LP64, ELF)"

// Class is the ABI class of one eightbyte of a value.
type Class int

const (
	NoClass Class = iota
	Integer
	SSE
	SSEUp      // the upper half of a value whose lower half is SSE: same register
	X87        // long double: passed in memory, returned in st0
	X87Up      // the upper eightbyte of a long double
	ComplexX87 // _Complex long double: passed in memory, returned in st0:st1
	Memory     // passed on the stack, returned through a hidden pointer
	// Empty is no eightbyte's class: Classify ends the classes of a type gcc
	// counts empty with it. Such an argument takes the registers its
	// classes ask for when they are free, else nothing (no stack slot);
	// such a result comes back as nothing.
	Empty
	// Unclassified marks a value pyinc cannot classify (a type it does not
	// know); nothing after it can be located either.
	Unclassified
)

var classNames = [...]string{"NO_CLASS", "INTEGER", "SSE", "SSEUP", "X87", "X87UP", "COMPLEX_X87", "MEMORY", "EMPTY", "UNCLASSIFIED"}

func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Kind is what the classifier needs to know of a type.
type Kind int

const (
	Invalid           Kind = iota // a type pyinc cannot classify
	Int                           // integers, enums, _Bool, pointers; __int128 at 16 bytes
	Float                         // float (4 bytes), double (8)
	LongDouble                    // the 80-bit x87 type, 16 bytes
	Float128                      // _Float128, __float128
	Complex                       // _Complex float (8 bytes), _Complex double (16)
	ComplexLongDouble             // 32 bytes
	Struct
	Union
	Array
)

// Type is a C type as the classifier sees it: laid out by the caller.
type Type struct {
	Kind   Kind
	Size   int64   // bytes
	Fields []Field // Struct and Union, in declaration order
	Elem   *Type   // Array
}

// Field is a member of a struct or union at its place.
type Field struct {
	BitOffset int64 // from the start of the aggregate
	Bitfield  bool
	Width     int64 // for a bitfield, in bits; 0 for zero-width ones
	Padding   bool  // an unnamed bitfield: no data (gcc's DECL_PADDING_P)
	// Ordinary: a bitfield gcc made an ordinary member of the integer type
	// of its width (stor-layout.cc, layout_decl), which it classifies as
	// one: misaligned inside an outer value, it means memory.
	Ordinary bool
	Type     *Type // nil for a bitfield
	Flexible bool  // flexible array member: no storage, ignored
}

// Classify returns the classes of the eightbytes of a value of type t, as
// gcc computes them: []Class{Memory} for a value passed in memory, nil for
// a type of size 0, []Class{Unclassified} when t holds a type pyinc does
// not know. The classes of a type gcc counts empty end in Empty.
func Classify(t *Type) []Class {
	if t == nil {
		return nil
	}
	if !known(t) {
		return []Class{Unclassified}
	}
	if t.Size == 0 {
		return nil
	}
	cls := classify(t, 0)
	if cls == nil {
		cls = []Class{Memory}
	}
	if empty(t) {
		cls = append(cls, Empty)
	}
	return cls
}

// empty is gcc's is_empty_type (gcc/tree.cc), which decides what it
// passes as nothing (TYPE_EMPTY_P): an aggregate none of whose members
// holds data, at any depth. Unnamed bit-fields are padding; an array is
// empty when it has no elements (a zero-length array, not a flexible
// array member, which gcc sees as of unknown length) or its element type
// is empty.
func empty(t *Type) bool {
	switch t.Kind {
	case Struct, Union:
		for _, f := range t.Fields {
			switch {
			case f.Padding:
			case f.Bitfield || f.Type == nil:
				return false
			case f.Flexible:
				if f.Type.Elem == nil || !empty(f.Type.Elem) {
					return false
				}
			case !empty(f.Type):
				return false
			}
		}
		return true
	case Array:
		return t.Size == 0 || t.Elem != nil && empty(t.Elem)
	}
	return false
}

// known reports whether every type inside t is one Classify understands.
func known(t *Type) bool {
	switch t.Kind {
	case Invalid:
		return false
	case Struct, Union:
		for _, f := range t.Fields {
			if !f.Bitfield && (f.Type == nil || !known(f.Type)) {
				return false
			}
		}
	case Array:
		return t.Elem != nil && known(t.Elem)
	}
	return t.Size >= 0
}

// classify is gcc's classify_argument (gcc/config/i386/i386.cc): the
// classes of t at bitOffset within an outer value, nil for memory. The
// slice has at least one class.
func classify(t *Type, bitOffset int64) []Class {
	words := (t.Size + bitOffset%64/8 + 7) / 8
	if t.Size > 64 {
		return nil
	}
	if words == 0 {
		return []Class{NoClass} // zero-sized: no class, but not memory
	}
	switch t.Kind {
	case Struct, Union, Array:
		return classifyAggregate(t, bitOffset, words)
	}
	return classifyScalar(t, bitOffset)
}

func classifyAggregate(t *Type, bitOffset, words int64) []Class {
	cls := make([]Class, words)
	switch t.Kind {
	case Struct:
		for _, f := range t.Fields {
			if f.Flexible {
				continue
			}
			at := f.BitOffset + bitOffset%64
			ft := f.Type
			if f.Bitfield && f.Ordinary {
				ft = &Type{Kind: Int, Size: f.Width / 8}
			} else if f.Bitfield { // always INTEGER, over every eightbyte it touches
				if f.Width == 0 {
					continue // since gcc 12.1, a zero-width one is not seen in a struct
				}
				for i := at / 64; i < (at+f.Width+63)/64 && i < words; i++ {
					cls[i] = Merge(Integer, cls[i])
				}
				continue
			}
			sub := classify(ft, (f.BitOffset+bitOffset)%512)
			if sub == nil {
				return nil
			}
			pos := at / 64
			for i := int64(0); i < int64(len(sub)) && i+pos < words; i++ {
				cls[i+pos] = Merge(sub[i], cls[i+pos])
			}
		}
	case Union:
		for _, f := range t.Fields {
			ft := f.Type
			if f.Bitfield {
				ft = bitfieldType(f.Width)
			}
			sub := classify(ft, bitOffset)
			if sub == nil {
				return nil
			}
			for i := int64(0); i < int64(len(sub)) && i < words; i++ {
				cls[i] = Merge(sub[i], cls[i])
			}
		}
	case Array:
		sub := classify(t.Elem, bitOffset)
		if sub == nil {
			return nil
		}
		for i := range cls {
			cls[i] = sub[i%len(sub)]
		}
	}
	return cleanup(cls)
}

// bitfieldType is the integer type gcc gives a bit-field member of a
// union: the smallest integer mode holding its width.
func bitfieldType(width int64) *Type {
	size := int64(1)
	for size*8 < width {
		size *= 2
	}
	return &Type{Kind: Int, Size: size}
}

// cleanup is gcc's final merger of an aggregate's classes.
func cleanup(cls []Class) []Class {
	if len(cls) > 2 {
		// More than two eightbytes travel in registers only as one vector.
		if cls[0] != SSE {
			return nil
		}
		for _, c := range cls[1:] {
			if c != SSEUp {
				return nil
			}
		}
	}
	for i, c := range cls {
		switch {
		case c == Memory:
			return nil
		case c == SSEUp && (i == 0 || cls[i-1] != SSE && cls[i-1] != SSEUp):
			cls[i] = SSE
		case c == X87Up && (i == 0 || cls[i-1] != X87):
			return nil
		}
	}
	return cls
}

// classifyScalar classifies a scalar at bitOffset; a scalar not aligned to
// its own size (in a packed aggregate) goes to memory.
func classifyScalar(t *Type, bitOffset int64) []Class {
	bits := t.Size * 8
	align := bits
	switch t.Kind {
	case LongDouble:
		align = 128
	case Complex, ComplexLongDouble:
		align = bits / 2
	}
	if bitOffset%align != 0 {
		return nil
	}
	switch t.Kind {
	case Int:
		if t.Size == 16 {
			return []Class{Integer, Integer}
		}
		// gcc looks at where the value ends within the last 128 bits.
		end := (bitOffset + bits - 1) & 0x7f
		if end < 64 {
			return []Class{Integer}
		}
		return []Class{Integer, Integer}
	case Float:
		return []Class{SSE}
	case LongDouble:
		return []Class{X87, X87Up}
	case Float128:
		return []Class{SSE, SSEUp}
	case Complex:
		if t.Size == 16 {
			return []Class{SSE, SSE}
		}
		if bitOffset%64 == 0 {
			return []Class{SSE}
		}
		return []Class{SSE, SSE} // straddles two eightbytes (gcc 4.4 and later)
	case ComplexLongDouble:
		return []Class{ComplexX87}
	}
	return nil
}

// Merge combines the classes of two things in one eightbyte, in gcc's
// order of rules (the result depends on the order of merging).
func Merge(a, b Class) Class {
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
	case a == X87 || a == X87Up || a == ComplexX87 || b == X87 || b == X87Up || b == ComplexX87:
		return Memory
	}
	return SSE
}
