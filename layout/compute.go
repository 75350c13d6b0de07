package layout

import (
	"fmt"
	"reflect"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/cparse"
)

// pyinc lays structs out itself, with gcc's rules for x86-64 System V
// (PCC_BITFIELD_TYPE_MATTERS, not the MS rules), and takes from cc/v4 only
// the types, names and bitfield widths: cc/v4 ignores packed and gets some
// bitfield placements wrong. The differential fuzzer in crosscheck holds
// this code to gcc.

// placed is a member of an aggregate at its position.
type placed struct {
	f      *cc.Field
	bitOff int64 // from the start of the aggregate
	size   int64 // bytes; 0 for bitfields
	bits   int64 // a bitfield's width (bitWidth)
	// ordinary: a bitfield gcc turns into an ordinary member of the
	// integer type of its width (asOrdinary).
	ordinary bool
}

// aggLayout is an aggregate's size, alignment and members.
type aggLayout struct {
	size, align int64
	fields      []placed
	// every member in declaration order, zero-width bitfields too: the
	// ABI classifier sees them, and the order it merges in matters.
	all []placed
}

// sizeAlign returns a type's size and alignment as gcc computes them.
func (b *builder) sizeAlign(t cc.Type) (size, align int64, err error) {
	switch x := t.(type) {
	case *cc.StructType, *cc.UnionType:
		l, err := b.aggregateLayout(t)
		if err != nil {
			return 0, 0, err
		}
		return l.size, l.align, nil
	case *cc.ArrayType:
		if x.IsVLA() {
			return 0, 0, fmt.Errorf("a variable length array has no fixed size")
		}
		es, ea, err := b.sizeAlign(x.Elem())
		if err != nil {
			return 0, 0, err
		}
		n := x.Len()
		if n < 0 {
			n = 0 // flexible
		}
		return es * n, ea, nil
	}
	if t.IsIncomplete() || t.Size() < 0 {
		return 0, 0, fmt.Errorf("%s has no known size", typeString(t))
	}
	return t.Size(), int64(t.Align()), nil
}

// aggregateLayout lays out a struct or union, once per definition.
func (b *builder) aggregateLayout(t cc.Type) (*aggLayout, error) {
	key := structKey(t)
	if l, ok := b.layouts[key]; ok && key != "" {
		return l, nil
	}
	if err := b.tooWide(t); err != nil {
		return nil, err
	}
	var l *aggLayout
	var err error
	if b.u.Target.MSBitfields {
		l, err = b.msLayout(t)
	} else {
		l, err = b.sysvLayout(t)
	}
	if err != nil {
		return nil, err
	}
	if b.layouts == nil {
		b.layouts = map[string]*aggLayout{}
	}
	if key != "" {
		b.layouts[key] = l
	}
	return l, nil
}

// sysvLayout lays out a struct or union by gcc's System V rules.
func (b *builder) sysvLayout(t cc.Type) (*aggLayout, error) {
	fields, union, _ := aggregate(t)
	packed := isPacked(t)
	l := &aggLayout{align: 1}
	pos := int64(0) // next free bit
	end := int64(0) // bits used, for unions
	for _, f := range fields {
		ts, ta, err := b.sizeAlign(f.Type())
		if err != nil {
			return nil, fmt.Errorf("member %s: %v", f.Name(), err)
		}
		user := requestedAlign(f)
		if union {
			pos = 0
		}
		if f.IsBitfield() {
			w := b.bitWidth(t, f)
			if w == 0 {
				// A zero-width bitfield starts the next unit of its type;
				// it does not change the aggregate's alignment.
				if !union {
					pos = roundUp(pos, ta*8)
					end = max(end, pos) // and pads a struct it ends
				}
				l.all = append(l.all, placed{f: f, bitOff: pos})
				continue
			}
			if !packed {
				// A bitfield may not straddle a unit of its type.
				if pos/(ts*8) != (pos+w-1)/(ts*8) {
					pos = roundUp(pos, ta*8)
				}
				if f.Name() != "" {
					l.align = max(l.align, ta)
				}
			}
			if user > 0 {
				pos = roundUp(pos, user*8)
				l.align = max(l.align, user)
			}
			l.fields = append(l.fields, placed{f: f, bitOff: pos, bits: w, ordinary: asOrdinary(w, pos, packed)})
			l.all = append(l.all, l.fields[len(l.fields)-1])
			pos += w
			end = max(end, pos)
			continue
		}
		fa := ta
		if packed {
			fa = 1
		}
		if user > 0 {
			fa = max(fa, user)
			if packed {
				fa = user
			}
		}
		pos = roundUp(pos, fa*8)
		l.align = max(l.align, fa)
		if f.IsFlexibleArrayMember() {
			ts = 0
		}
		l.fields = append(l.fields, placed{f: f, bitOff: pos, size: ts})
		l.all = append(l.all, l.fields[len(l.fields)-1])
		pos += ts * 8
		end = max(end, pos)
	}
	// An aligned attribute on the definition only ever raises the
	// alignment, packed or not.
	l.align = max(l.align, definitionAlign(t))
	l.size = roundUp((end+7)/8, l.align)
	return l, nil
}

func roundUp(n, to int64) int64 {
	if to <= 1 {
		return n
	}
	return (n + to - 1) / to * to
}

// isPacked reports whether the aggregate has __attribute__((packed)).
func isPacked(t cc.Type) bool {
	a := t.Attributes()
	return a != nil && (a.IsAttrSet("packed") || a.IsAttrSet("__packed__"))
}

// pyinc reads two alignments cc/v4 (v4.31.0) computes but keeps
// unexported: Field.align (_Alignas or aligned(N) on a member) and
// structType.defAlign (aligned(N) on a struct or union definition). A
// cc/v4 that moves them must stop pyinc, not make every aligned member
// silently unaligned: ccInternals says what is missing, and Build fails.
var ccInternals = checkCCInternals()

// checkCCInternals finds the unexported fields pyinc reads, nil if all are
// where pyinc expects them.
func checkCCInternals() error {
	fail := func(what string) error {
		return fmt.Errorf("modernc.org/cc/v4 no longer has %s, which pyinc reads for aligned members and structs: update requestedAlign and definitionAlign in layout/compute.go for this cc/v4", what)
	}
	isInt := func(f reflect.StructField) bool {
		switch f.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return true
		}
		return false
	}
	if f, ok := reflect.TypeFor[cc.Field]().FieldByName("align"); !ok || !isInt(f) {
		return fail("an integer Field.align")
	}
	for _, t := range []reflect.Type{reflect.TypeFor[cc.StructType](), reflect.TypeFor[cc.UnionType]()} {
		st, ok := t.FieldByName("structType")
		if !ok || st.Type.Kind() != reflect.Struct {
			return fail(t.Name() + ".structType")
		}
		if f, ok := st.Type.FieldByName("defAlign"); !ok || !isInt(f) {
			return fail("an integer " + t.Name() + ".structType.defAlign")
		}
	}
	return nil
}

// requestedAlign is the alignment _Alignas or __attribute__((aligned(N)))
// asks for on a member, 0 if none: cc/v4's unexported Field.align.
func requestedAlign(f *cc.Field) int64 {
	if ccInternals != nil {
		return 0 // Build has failed already
	}
	return reflect.ValueOf(f).Elem().FieldByName("align").Int()
}

// definitionAlign is the alignment an aligned attribute on the struct or
// union definition asks for, 0 if none: cc/v4's unexported defAlign, read
// from the definition's own type (the one its members point back to).
func definitionAlign(t cc.Type) int64 {
	fields, _, _ := aggregate(t)
	if len(fields) > 0 {
		t = fields[0].ParentType()
	}
	v := reflect.ValueOf(t)
	if ccInternals != nil || v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0
	}
	if v = v.Elem().FieldByName("structType"); !v.IsValid() {
		return 0 // not a struct or union
	}
	return v.FieldByName("defAlign").Int()
}

// suspects finds the aggregates whose layout cc/v4 computes differently
// from gcc (and so from pyinc): the C front end's own constant evaluation
// of sizeof, _Alignof and offsetof on them cannot be trusted. It maps
// their typedef names and tags to a description.
func (b *builder) suspects() map[string]string {
	out := map[string]string{}
	check := func(name string, t cc.Type) {
		if _, _, ok := aggregate(t); !ok || t.IsIncomplete() {
			return
		}
		size, align, err := b.sizeAlign(t)
		if err != nil || size != t.Size() || align != int64(t.Align()) || b.holdsWide(t) {
			out[name] = fmt.Sprintf("%s (the C front end's layout of it is not gcc's)", name)
		}
	}
	for _, td := range b.typedefs {
		check(td.Name(), td.Type())
	}
	for _, s := range b.tags {
		check(s.Token.SrcStr(), s.Type())
	}
	return out
}

// layoutOperators are the tokens whose value depends on a type's layout.
var layoutOperators = map[string]bool{
	"sizeof": true, "_Alignof": true, "__alignof__": true, "__alignof": true, "alignof": true,
	"offsetof": true, "__builtin_offsetof": true,
}

// dependsOnSuspect reports the suspect type a token sequence takes the
// layout of, following the macros it names.
func (b *builder) dependsOnSuspect(toks []cc.Token, suspect map[string]string) string {
	if len(suspect) == 0 {
		return ""
	}
	seen := map[string]bool{}
	layoutOp, hit := false, ""
	var visit func([]cc.Token)
	visit = func(toks []cc.Token) {
		for _, t := range toks {
			if t.Ch != rune(cc.IDENTIFIER) && t.Ch != rune(cc.SIZEOF) && t.Ch != rune(cc.ALIGNOF) {
				continue
			}
			id := t.SrcStr()
			layoutOp = layoutOp || layoutOperators[id]
			if d, ok := suspect[id]; ok && hit == "" {
				hit = d
			}
			if m := b.u.AST.Macros[id]; m != nil && !seen[id] {
				seen[id] = true
				visit(m.ReplacementList())
			}
		}
	}
	visit(toks)
	if layoutOp {
		return hit
	}
	return ""
}

// The front end read each bitfield wider than 64 bits as 64 bits wide
// (cparse.WideBitfield). A named one pyinc lays out with its own width, as
// gcc does; an unnamed one it cannot tell from the struct's other unnamed
// bitfields, so that struct is left out.

// wideIn returns the wide bitfields t declares.
func (b *builder) wideIn(t cc.Type) []cparse.WideBitfield {
	var out []cparse.WideBitfield
	for _, w := range b.u.WideBitfields {
		if sameDefinition(w.Struct.Type(), t) {
			out = append(out, w)
		}
	}
	return out
}

// sameDefinition says whether a and b are one struct or union definition,
// however often cc/v4 cloned its type: by structKey, or for one without a
// named member (whose key is empty) by the same members, which can only
// make pyinc leave out one more struct, never lay one out wrong.
func sameDefinition(a, b cc.Type) bool {
	if a == b {
		return true
	}
	ka, kb := structKey(a), structKey(b)
	if ka != "" || kb != "" {
		return ka == kb
	}
	fa, ua, oka := aggregate(a)
	fb, ub, okb := aggregate(b)
	if !oka || !okb || ua != ub || len(fa) != len(fb) {
		return false
	}
	for i := range fa {
		if fa[i].IsBitfield() != fb[i].IsBitfield() || fa[i].ValueBits() != fb[i].ValueBits() ||
			fa[i].Type().Kind() != fb[i].Type().Kind() || !sameDefinitionOrScalar(fa[i].Type(), fb[i].Type()) {
			return false
		}
	}
	return true
}

func sameDefinitionOrScalar(a, b cc.Type) bool {
	if _, _, ok := aggregate(a); ok {
		return sameDefinition(a, b)
	}
	return a.Size() == b.Size()
}

// bitWidth is the width of the bitfield f of t as the header writes it.
func (b *builder) bitWidth(t cc.Type, f *cc.Field) int64 {
	for _, w := range b.wideIn(t) {
		if w.Name != "" && w.Name == f.Name() {
			return w.Width
		}
	}
	return f.ValueBits()
}

// tooWide says why t cannot be laid out: an unnamed bitfield wider than
// the front end reads.
func (b *builder) tooWide(t cc.Type) error {
	for _, w := range b.wideIn(t) {
		if w.Name == "" {
			return fmt.Errorf("left out: its unnamed bitfield (%s) is %d bits wide, wider than the C front end reads (64 bits), so pyinc cannot tell it from the others to lay it out as gcc does",
				w.Where, w.Width)
		}
	}
	return nil
}

// holdsWide says whether t holds, at any depth, a bitfield the front end
// read narrower than it is: then the front end's sizeof and offsetof of t
// are not gcc's, though pyinc's layout is.
func (b *builder) holdsWide(t cc.Type) bool {
	if len(b.u.WideBitfields) == 0 {
		return false
	}
	if a, ok := t.(*cc.ArrayType); ok {
		return b.holdsWide(a.Elem())
	}
	fields, _, ok := aggregate(t)
	if !ok {
		return false
	}
	if len(b.wideIn(t)) > 0 {
		return true
	}
	for _, f := range fields {
		if b.holdsWide(f.Type()) {
			return true
		}
	}
	return false
}

// asOrdinary says whether gcc makes a bitfield of width w placed at bit
// pos an ordinary member of the integer type of that width (stor-layout.cc,
// layout_decl): when w is the width of such a type and pos a multiple of
// it, unless the member is packed and wider than a byte (crosscheck's
// FuzzABI reproducers hold this to gcc's code). The layout is the same; the ABI
// classifier is not: an ordinary member misaligned inside an outer value
// sends that value to memory, where a bitfield is INTEGER wherever it is.
func asOrdinary(w, pos int64, packed bool) bool {
	switch w {
	case 8, 16, 32, 64, 128:
	default:
		return false
	}
	return (pos == 0 || pos%w == 0) && (!packed || w == 8)
}
