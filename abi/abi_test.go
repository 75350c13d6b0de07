package abi

import (
	"reflect"
	"strings"
	"testing"
)

// The expected answers below are gcc's (12.2, x86-64): each shape was
// compiled into a call and a return by the location probe of crosscheck
// (FuzzABI, whose seeds hold the same shapes), which records the
// registers gcc's code uses. They need no compiler to run.

// Types, laid out as gcc lays them out.
var (
	tChar    = &Type{Kind: Int, Size: 1}
	tShort   = &Type{Kind: Int, Size: 2}
	tInt     = &Type{Kind: Int, Size: 4}
	tLong    = &Type{Kind: Int, Size: 8}
	tInt128  = &Type{Kind: Int, Size: 16}
	tFloat   = &Type{Kind: Float, Size: 4}
	tDouble  = &Type{Kind: Float, Size: 8}
	tLD      = &Type{Kind: LongDouble, Size: 16}
	tCFloat  = &Type{Kind: Complex, Size: 8}
	tCDouble = &Type{Kind: Complex, Size: 16}
	tCLD     = &Type{Kind: ComplexLongDouble, Size: 32}
	tF128    = &Type{Kind: Float128, Size: 16}
	tEmpty   = &Type{Kind: Struct, Size: 0}
)

// member is a non-bitfield member at byte offset off.
func member(off int64, t *Type) Field { return Field{BitOffset: off * 8, Type: t} }

// bits is an unnamed bitfield (padding), as every one in these tests;
// named is a named one.
func bits(bitOff, width int64) Field {
	return Field{BitOffset: bitOff, Bitfield: true, Width: width, Padding: true}
}

func named(bitOff, width int64) Field { return Field{BitOffset: bitOff, Bitfield: true, Width: width} }

func st(size int64, fs ...Field) *Type { return &Type{Kind: Struct, Size: size, Fields: fs} }

func un(size int64, fs ...Field) *Type { return &Type{Kind: Union, Size: size, Fields: fs} }

func arr(elem *Type, n int64) *Type { return &Type{Kind: Array, Size: elem.Size * n, Elem: elem} }

// words spells where a function's arguments and result go, as the
// include's comments do, to compare with gcc's answer.
func words(args []Loc, ret Loc) string {
	var s []string
	for _, a := range args {
		s = append(s, locWords(a))
	}
	return strings.Join(s, ", ") + " -> " + locWords(ret)
}

func locWords(l Loc) string {
	switch l.Where {
	case InRegs:
		var r []string
		for _, x := range l.Regs {
			r = append(r, string(x))
		}
		return strings.Join(r, ":")
	case OnStack:
		return "stack"
	case InMemory:
		return "memory"
	case Nothing:
		return "nothing"
	}
	return "unknown"
}

func locate(ret *Type, params ...*Type) string {
	var ps [][]Class
	for _, p := range params {
		ps = append(ps, Classify(p))
	}
	var rc []Class
	if ret != nil {
		rc = Classify(ret)
	}
	return words(Locate(ps, rc))
}

func TestLocateAgainstGCC(t *testing.T) {
	aligned16 := st(16, member(0, tInt))                     // struct {int} __attribute__((aligned(16)))
	union := un(16, member(0, tLD), member(0, tLong))        // union {long double; long}
	floatCF := st(12, member(0, tFloat), member(4, tCFloat)) // struct {float; _Complex float}
	big := st(24, member(0, tLong), member(8, tLong), member(16, tLong))
	dd := st(16, member(0, tDouble), member(8, tDouble))
	e11 := st(2, bits(0, 11))                               // struct {unsigned short :11}
	ePacked := st(1, bits(0, 1), member(1, arr(tFloat, 0))) // packed {_Bool :1; float m1[0]}
	e16 := st(16, bits(0, 64), bits(64, 64))                // struct {long :64; long :64}
	eBig := st(80, member(0, arr(e11, 40)))                 // struct {struct {unsigned short :11} a[40]}
	flexAfterEmpty := st(4, member(0, e11), Field{BitOffset: 32, Type: arr(tInt, 0), Flexible: true})
	ten := []*Type{tInt128}
	for range 10 {
		ten = append(ten, tDouble)
	}
	cases := []struct {
		name string
		got  string
		gcc  string
	}{
		{"void f(__int128, long, double)", locate(nil, tInt128, tLong, tDouble), "rdi:rsi, rdx, xmm0 -> nothing"},
		{"struct {__int128} f(void)", locate(st(16, member(0, tInt128))), " -> rax:rdx"},
		{"aligned(16) struct {int} f(it, long, double)", locate(aligned16, aligned16, tLong, tDouble), "rdi, rsi, xmm0 -> rax"},
		{"struct {} f(struct {}, long, struct {}, float)", locate(tEmpty, tEmpty, tLong, tEmpty, tFloat), "nothing, rdi, nothing, xmm0 -> nothing"},
		{"void f(struct {unsigned char :0; float}, double, long)",
			locate(nil, st(4, bits(0, 0), member(0, tFloat)), tDouble, tLong), "xmm0, xmm1, rdi -> nothing"},
		{"void f(packed {int :1; int}, packed {short; double}, long, double)",
			locate(nil, st(5, bits(0, 1), member(1, tInt)), st(10, member(0, tShort), member(2, tDouble)), tLong, tDouble),
			"stack, stack, rdi, xmm0 -> nothing"},
		{"void f(struct {long :51; char}, long)", locate(nil, st(8, bits(0, 51), member(7, tChar)), tLong), "rdi, rsi -> nothing"},
		{"union {long double; long} f(it, long)", locate(union, union, tLong), "stack, rsi -> memory"},
		{"struct {float; _Complex float} f(it, double)", locate(floatCF, floatCF, tDouble), "xmm0:xmm1, xmm2 -> xmm0:xmm1"},
		{"_Complex long double f(it, long)", locate(tCLD, tCLD, tLong), "stack, rdi -> st0:st1"},
		{"void f(__int128, double x 10, ...)", locate(nil, ten...),
			"rdi:rsi, xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, stack, stack -> nothing"},
		{"struct {struct {} a[2]; char :0} f(it, struct {long :51; char}, long)",
			locate(st(0, member(0, arr(tEmpty, 2)), bits(0, 0)), st(0, member(0, arr(tEmpty, 2)), bits(0, 0)), st(8, bits(0, 51), member(7, tChar)), tLong),
			"nothing, rdi, rsi -> nothing"},
		// Result in memory, the seventh integer argument, long double, struct {double, double}.
		{"struct {long a, b, c} f(long x 7, long double, struct {double, double})",
			locate(big, tLong, tLong, tLong, tLong, tLong, tLong, tLong, tLD, dd),
			"rsi, rdx, rcx, r8, r9, stack, stack, stack, xmm0:xmm1 -> memory"},
		{"long double f(struct {double, double}, long double)", locate(tLD, dd, tLD), "xmm0:xmm1, stack -> st0"},
		{"struct {double, double} f(it x 5)", locate(dd, dd, dd, dd, dd, dd), "xmm0:xmm1, xmm2:xmm3, xmm4:xmm5, xmm6:xmm7, stack -> xmm0:xmm1"},
		// Records gcc counts empty (issue 24): classified as usual, so
		// an unnamed bitfield takes an integer register while one is
		// free, but never a stack slot, and never returned.
		{"struct {unsigned short :11} f(it, long)", locate(e11, e11, tLong), "rdi, rsi -> nothing"},
		{"packed {_Bool :1; float m1[0]} f(it, long)", locate(ePacked, ePacked, tLong), "nothing, rdi -> nothing"},
		{"void f(long x 6, packed {_Bool :1; float m1[0]}, long, struct {unsigned short :11}, long)",
			locate(nil, tLong, tLong, tLong, tLong, tLong, tLong, ePacked, tLong, e11, tLong),
			"rdi, rsi, rdx, rcx, r8, r9, nothing, stack, nothing, stack -> nothing"},
		{"void f(long x 5, struct {long :64; long :64}, long)", locate(nil, tLong, tLong, tLong, tLong, tLong, e16, tLong),
			"rdi, rsi, rdx, rcx, r8, nothing, r9 -> nothing"},
		{"an empty 80-byte struct f(it, long)", locate(eBig, eBig, tLong), "nothing, rdi -> nothing"},
		// A bitfield as wide as an integer type, at a multiple of that
		// width, is an ordinary member of that type to gcc: misaligned in
		// a packed outer struct, it means memory; in a packed struct it
		// stays a bitfield.
		{"void f(packed {char; struct {int x :32}}, long)", locate(nil, st(5, member(0, tChar), member(1, st(4, ord(0, 32)))), tLong), "stack, rdi -> nothing"},
		{"void f(packed {char; packed {int x :32}}, long)", locate(nil, st(5, member(0, tChar), member(1, st(4, named(0, 32)))), tLong), "rdi, rsi -> nothing"},
		{"void f(struct {struct {char :3} a; struct {long :32} b}, long)", locate(nil, st(5, member(0, st(1, bits(0, 3))), member(1, st(4, ordPad(0, 32)))), tLong), "nothing, rdi -> nothing"},
		// Not empty: a named bitfield; a flexible array member (gcc sees
		// its length as unknown) after an empty member.
		{"struct {int b :1} f(long x 6, it)", locate(st(4, named(0, 1)), tLong, tLong, tLong, tLong, tLong, tLong, st(4, named(0, 1))),
			"rdi, rsi, rdx, rcx, r8, r9, stack -> rax"},
		{"struct {struct {unsigned short :11} e; int a[]} f(long x 6, it)", locate(flexAfterEmpty, tLong, tLong, tLong, tLong, tLong, tLong, flexAfterEmpty),
			"rdi, rsi, rdx, rcx, r8, r9, stack -> rax"},
	}
	for _, c := range cases {
		if c.got != c.gcc {
			t.Errorf("%s: pyinc %q, gcc %q", c.name, c.got, c.gcc)
		}
	}
}

func TestClassify(t *testing.T) {
	I, S, U, X, XU, CX, M := Integer, SSE, SSEUp, X87, X87Up, ComplexX87, Memory
	cases := []struct {
		name string
		t    *Type
		want []Class
	}{
		{"long", tLong, []Class{I}},
		{"double", tDouble, []Class{S}},
		{"long double", tLD, []Class{X, XU}},
		{"_Float128", tF128, []Class{S, U}},
		{"_Complex double", tCDouble, []Class{S, S}},
		{"_Complex float", tCFloat, []Class{S}},
		{"_Complex long double", tCLD, []Class{CX}},
		{"__int128", tInt128, []Class{I, I}},
		{"struct {}", tEmpty, nil},
		{"struct {int; float}", st(8, member(0, tInt), member(4, tFloat)), []Class{I}},
		{"struct {float; float; double}", st(16, member(0, tFloat), member(4, tFloat), member(8, tDouble)), []Class{S, S}},
		{"struct {double; int}", st(16, member(0, tDouble), member(8, tInt)), []Class{S, I}},
		{"struct {long; long; long}", st(24, member(0, tLong), member(8, tLong), member(16, tLong)), []Class{M}},
		{"struct {long double}", st(16, member(0, tLD)), []Class{X, XU}},
		{"union {long double; long}", un(16, member(0, tLD), member(0, tLong)), []Class{M}},
		{"union {long; long double}", un(16, member(0, tLong), member(0, tLD)), []Class{M}},
		{"union {double; long double}", un(16, member(0, tDouble), member(0, tLD)), []Class{M}},
		{"union {float; int :3}", un(4, member(0, tFloat), bits(0, 3)), []Class{I}},
		{"union {_Float128; long}", un(16, member(0, tF128), member(0, tLong)), []Class{I, S}},
		{"float[3]", arr(tFloat, 3), []Class{S, S}},
		{"struct {int; float[3]}", st(16, member(0, tInt), member(4, arr(tFloat, 3))), []Class{I, S}},
		{"struct {char; long double[1]}", st(32, member(0, tChar), member(16, arr(tLD, 1))), []Class{M}},
		{"struct {float; int :0 at 32; float}", st(8, member(0, tFloat), bits(32, 0), member(4, tFloat)), []Class{S}},
		{"union {float; int :0}", un(4, member(0, tFloat), bits(0, 0)), []Class{I}},
		{"struct {float; int :3}", st(8, member(0, tFloat), bits(32, 3)), []Class{I}},
		{"struct {int; flexible int[]}", st(4, member(0, tInt), Field{BitOffset: 32, Type: arr(tInt, 0), Flexible: true}), []Class{I}},
		{"struct {long :64; double}", st(16, bits(0, 64), member(8, tDouble)), []Class{I, S}},
		{"struct {int; struct {float; float}}", st(12, member(0, tInt), member(4, st(8, member(0, tFloat), member(4, tFloat)))), []Class{I, S}},
		{"packed struct {char; __int128}", st(17, member(0, tChar), member(1, tInt128)), []Class{M}},
		{"packed struct {char; struct {int}}", st(5, member(0, tChar), member(1, st(4, member(0, tInt)))), []Class{M}},
		{"a 65-byte struct", st(65, member(0, arr(tChar, 65))), []Class{M}},
		{"struct {unsigned short :11}: empty", st(2, bits(0, 11)), []Class{I, Empty}},
		{"packed {_Bool :1; float m1[0]}: empty", st(1, bits(0, 1), member(1, arr(tFloat, 0))), []Class{M, Empty}},
		{"union {struct {int :3} a[2]; char z[0]}: empty", un(8, member(0, arr(st(4, bits(0, 3)), 2)), member(0, arr(tChar, 0))), []Class{I, Empty}},
		{"struct {int b :3}: a named bitfield is data", st(4, named(0, 3)), []Class{I}},
		{"unknown type", st(8, member(0, &Type{Kind: Invalid})), []Class{Unclassified}},
		{"nil", nil, nil},
	}
	for _, c := range cases {
		if got := Classify(c.t); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

// TestNoPanic feeds the shapes that once crashed the classifier, and
// values it cannot classify: each gets a location, none a panic.
func TestNoPanic(t *testing.T) {
	var many [][]Class
	many = append(many, Classify(tInt128))
	for range 20 {
		many = append(many, Classify(tDouble), Classify(tCDouble), Classify(tInt128))
	}
	args, _ := Locate(many, Classify(tCLD))
	if len(args) != len(many) {
		t.Fatalf("%d locations for %d arguments", len(args), len(many))
	}
	emptyArray := st(0, member(0, arr(tEmpty, 2)), bits(0, 0))
	if got := Classify(emptyArray); got != nil {
		t.Errorf("struct {struct {} a[2]; char :0}: got %v, want no class", got)
	}
	unknown := Classify(&Type{Kind: Invalid})
	args, ret := Locate([][]Class{Classify(tLong), unknown, Classify(tLong)}, Classify(tLong))
	if got := words(args, ret); got != "rdi, unknown, unknown -> rax" {
		t.Errorf("after an unknown argument: got %q", got)
	}
	args, ret = Locate([][]Class{Classify(tLong)}, unknown)
	if got := words(args, ret); got != "unknown -> unknown" {
		t.Errorf("an unknown result: got %q", got)
	}
	// A type made only of padding takes no register.
	args, ret = Locate([][]Class{{NoClass, NoClass}, Classify(tLong)}, []Class{NoClass, NoClass})
	if got := words(args, ret); got != "nothing, rdi -> nothing" {
		t.Errorf("padding only: got %q", got)
	}
}

func TestMergeAndNames(t *testing.T) {
	cases := []struct{ a, b, want Class }{
		{NoClass, SSE, SSE}, {Integer, NoClass, Integer}, {SSE, SSE, SSE}, {Memory, SSE, Memory},
		{Integer, SSE, Integer}, {X87, Integer, Integer}, {X87, SSE, Memory}, {SSEUp, SSE, SSE},
		{ComplexX87, SSE, Memory}, {X87Up, X87, Memory},
	}
	for _, c := range cases {
		if got := Merge(c.a, c.b); got != c.want {
			t.Errorf("Merge(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	if X87Up.String() != "X87UP" || Class(99).String() != "Class(99)" {
		t.Errorf("class names: %v, %v", X87Up, Class(99))
	}
}

// ord is a named bitfield gcc made an ordinary member (Field.Ordinary);
// ordPad an unnamed one.
func ord(bitOff, width int64) Field {
	f := named(bitOff, width)
	f.Ordinary = true
	return f
}

func ordPad(bitOff, width int64) Field {
	f := bits(bitOff, width)
	f.Ordinary = true
	return f
}
