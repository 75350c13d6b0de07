package abi

import (
	"reflect"
	"testing"
)

// The cases follow Microsoft's "x64 calling convention" (parameter
// passing, return values) and its examples, as mingw gcc implements it.
func TestLocateMS(t *testing.T) {
	i32 := &Type{Kind: Int, Size: 4}
	i64 := &Type{Kind: Int, Size: 8}
	i128 := &Type{Kind: Int, Size: 16}
	f32 := &Type{Kind: Float, Size: 4}
	f64 := &Type{Kind: Float, Size: 8}
	ld := &Type{Kind: LongDouble, Size: 8} // -mlong-double-64, as MSVC
	s3 := &Type{Kind: Struct, Size: 3, Fields: []Field{{Type: &Type{Kind: Array, Size: 3, Elem: &Type{Kind: Int, Size: 1}}}}}
	s8f := &Type{Kind: Struct, Size: 8, Fields: []Field{{Type: f32}, {BitOffset: 32, Type: f32}}}
	s16 := &Type{Kind: Struct, Size: 16, Fields: []Field{{Type: i64}, {BitOffset: 64, Type: i64}}}
	sf := &Type{Kind: Struct, Size: 4, Fields: []Field{{Type: f32}}}
	c8 := &Type{Kind: Complex, Size: 8}
	reg := func(r Reg) Loc { return Loc{Where: InRegs, Regs: []Reg{r}} }
	ref := func(r Reg) Loc { return Loc{Where: ByReference, Regs: []Reg{r}} }
	cases := []struct {
		name   string
		params []*Type
		result *Type
		args   []Loc
		ret    Loc
	}{
		// func1(int a, int b, int c, int d, int e): a in rcx, b in rdx,
		// c in r8, d in r9, e on the stack.
		{"ints", []*Type{i32, i32, i32, i32, i32}, nil,
			[]Loc{reg("rcx"), reg("rdx"), reg("r8"), reg("r9"), {Where: OnStack}}, Loc{Where: Nothing}},
		// func2(int a, double b, int c, float d, int e, float f): a in
		// rcx, b in xmm1, c in r8, d in xmm3, e and f on the stack.
		{"mixed", []*Type{i32, f64, i32, f32, i32, f32}, f64,
			[]Loc{reg("rcx"), reg("xmm1"), reg("r8"), reg("xmm3"), {Where: OnStack}, {Where: OnStack}}, reg("xmm0")},
		// Aggregates of 1, 2, 4 or 8 bytes travel as integers, floats in
		// them too; others and 16-byte integers by reference.
		{"aggregates", []*Type{s8f, s3, i128, sf, s16}, i32,
			[]Loc{reg("rcx"), ref("rdx"), ref("r8"), reg("r9"), {Where: ByReferenceOnStack}}, reg("rax")},
		// A result that is not 1, 2, 4 or 8 bytes: the caller passes its
		// address in rcx, the first argument moves to rdx.
		{"hidden result", []*Type{i64, f64, i64}, s16,
			[]Loc{reg("rdx"), reg("xmm2"), reg("r9")}, Loc{Where: InMemory}},
		{"long double is double", []*Type{ld}, ld, []Loc{reg("xmm0")}, reg("xmm0")},
		{"small aggregate result", nil, s8f, nil, reg("rax")},
		{"int128 result", nil, i128, nil, reg("xmm0")},
		{"complex float", []*Type{c8}, c8, []Loc{reg("rcx")}, reg("rax")},
		{"unknown", []*Type{i32, {Kind: Invalid}}, i32, []Loc{reg("rcx"), {Where: Unlocated}}, reg("rax")},
	}
	for _, c := range cases {
		args, ret := LocateMS(c.params, c.result)
		if !reflect.DeepEqual(args, c.args) || !reflect.DeepEqual(ret, c.ret) {
			t.Errorf("%s: got %v -> %v, want %v -> %v", c.name, args, ret, c.args, c.ret)
		}
	}
}
