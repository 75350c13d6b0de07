package crosscheck

import (
	"fmt"
	"math/rand"
	"strings"
)

// ProtoGen writes random function prototypes for the differential fuzzer
// of argument and result locations: scalars of every kind the ABI treats
// apart (__int128, long double, _Complex of each float type), and structs
// and unions passed by value with packed and aligned attributes,
// bitfields (unnamed and zero-width too), arrays (of length 0 too), empty
// aggregates, records gcc counts empty (only unnamed bitfields, zero-length
// arrays and such records) and nesting; 0-10 parameters, some variadic. It
// also knows, for the probe, which bytes of each type hold data.
type ProtoGen struct {
	r      *rand.Rand
	prefix string
	aggs   []*cType // typedef'd aggregates later ones may use
	b      strings.Builder
	Funcs  []*Proto
	nm     int // members named so far: names are unique, anonymous members do not clash
	// longBits is the width of long (64 LP64, 32 LLP64); ld64 says long
	// double is a double (-mlong-double-64), whose bytes are all data.
	longBits int
	ld64     bool
}

// cType is a C type the generator wrote: its spelling and, for an
// aggregate, its members.
type cType struct {
	name    string // "int", "A1_S3"
	leaf    leafKind
	union   bool
	members []cMember
	def     string // the definition, for an aggregate
}

// leafKind says how the probe fills a scalar and which of its bytes are data.
type leafKind int

const (
	plainLeaf leafKind = iota // every byte is data, any pattern is a value
	boolLeaf                  // one byte, 0 or 1
	ldLeaf                    // long double: 10 bytes of data, a valid x87 number
	cldLeaf                   // _Complex long double: two of those, 16 bytes apart
	aggLeaf                   // a struct or union
	bitfieldOfBool
)

// cMember is a member of a generated aggregate.
type cMember struct {
	name  string // "" for an unnamed bitfield or an anonymous aggregate
	t     *cType // nil for a bitfield
	dims  []int
	bits  int // bitfield width, -1 if not a bitfield
	btype string
	attr  string // " __attribute__((aligned(N)))" or ""
}

// Proto is one generated function.
type Proto struct {
	Name     string
	Ret      *cType // nil for void
	Params   []*cType
	Variadic bool
}

var protoScalars = []*cType{
	{name: "char"}, {name: "signed char"}, {name: "unsigned char"}, {name: "short"},
	{name: "unsigned short"}, {name: "int"}, {name: "unsigned int"}, {name: "long"},
	{name: "unsigned long"}, {name: "long long"}, {name: "__int128"}, {name: "unsigned __int128"},
	{name: "_Bool", leaf: boolLeaf}, {name: "void *"}, {name: "float"}, {name: "double"},
	{name: "long double", leaf: ldLeaf}, {name: "_Complex float"}, {name: "_Complex double"},
	{name: "_Complex long double", leaf: cldLeaf},
}

// scalar returns the generator's scalar type called name.
func scalar(name string) *cType {
	for _, s := range protoScalars {
		if s.name == name {
			return s
		}
	}
	panic("no scalar " + name)
}

var protoBitTypes = []struct {
	name string
	bits int
}{
	{"int", 32}, {"unsigned int", 32}, {"char", 8}, {"unsigned char", 8}, {"short", 16},
	{"long", 64}, {"unsigned long", 64}, {"long long", 64}, {"_Bool", 1},
	{"__int128", 128}, {"unsigned __int128", 128},
}

// NewProtoGen makes a generator for seed.
func NewProtoGen(seed int64) *ProtoGen {
	return &ProtoGen{r: rand.New(rand.NewSource(seed)), prefix: fmt.Sprintf("A%d_", seed&0xffff), longBits: 64}
}

// NewProtoGenFor is NewProtoGen for a target whose long has longBits
// bits, and whose long double is a double when ld64.
func NewProtoGenFor(seed int64, longBits int, ld64 bool) *ProtoGen {
	g := NewProtoGen(seed)
	g.longBits, g.ld64 = longBits, ld64
	return g
}

// pickScalar draws a scalar type, as the target has it.
func (g *ProtoGen) pickScalar() *cType {
	t := protoScalars[g.pick(len(protoScalars))]
	if g.ld64 && (t.leaf == ldLeaf || t.leaf == cldLeaf) {
		return &cType{name: t.name} // a double: every byte is data
	}
	return t
}

func (g *ProtoGen) pick(n int) int      { return g.r.Intn(n) }
func (g *ProtoGen) chance(pct int) bool { return g.r.Intn(100) < pct }

// Header writes naggs aggregates and nfuncs prototypes.
func (g *ProtoGen) Header(naggs, nfuncs int) string {
	for i := 0; i < naggs; i++ {
		g.addAggregate(g.aggregate(fmt.Sprintf("%sS%d", g.prefix, i), 0))
	}
	for i := 0; i < nfuncs; i++ {
		f := &Proto{Name: fmt.Sprintf("%sf%d", g.prefix, i)}
		if !g.chance(20) {
			f.Ret = g.valueType()
		}
		for k := g.pick(11); k > 0; k-- {
			f.Params = append(f.Params, g.valueType())
		}
		f.Variadic = len(f.Params) > 0 && g.chance(20)
		g.addFunc(f)
	}
	return g.b.String()
}

func (g *ProtoGen) addAggregate(t *cType) {
	g.b.WriteString(t.def)
	g.aggs = append(g.aggs, t)
}

func (g *ProtoGen) addFunc(f *Proto) {
	g.b.WriteString(f.Decl() + ";\n")
	g.Funcs = append(g.Funcs, f)
}

// Decl is the function's declaration.
func (f *Proto) Decl() string {
	var ps []string
	for _, p := range f.Params {
		ps = append(ps, p.name)
	}
	if f.Variadic {
		ps = append(ps, "...")
	}
	if len(ps) == 0 {
		ps = []string{"void"}
	}
	ret := "void"
	if f.Ret != nil {
		ret = f.Ret.name
	}
	return fmt.Sprintf("extern %s %s(%s)", ret, f.Name, strings.Join(ps, ", "))
}

// valueType picks a parameter or result type.
func (g *ProtoGen) valueType() *cType {
	if len(g.aggs) > 0 && g.chance(55) {
		return g.aggs[g.pick(len(g.aggs))]
	}
	return g.pickScalar()
}

// aggregate writes a typedef'd struct or union; small ones mostly, since
// those are the ones that travel in registers. Some are empty in gcc's
// sense: no member holds data.
func (g *ProtoGen) aggregate(name string, depth int) *cType {
	member := g.member
	if g.chance(12) {
		member = g.emptyMember
	}
	return g.aggregateOf(name, depth, member)
}

// aggregateOf writes an aggregate whose members member makes.
func (g *ProtoGen) aggregateOf(name string, depth int, member func(string, int) cMember) *cType {
	t := &cType{name: name, leaf: aggLeaf, union: g.chance(20)}
	n := g.pick(4)
	if g.chance(70) {
		n = 1 + g.pick(2)
	}
	for range n {
		g.nm++
		t.members = append(t.members, member(fmt.Sprintf("m%d", g.nm), depth))
	}
	attr := aggregateAttr(g.pick, 10)
	t.def = fmt.Sprintf("typedef %s%s\n", t.body(attr, ""), name) + ";\n"
	return t
}

// body spells "struct attr {\n members }" at indentation ind.
func (t *cType) body(attr, ind string) string {
	var b strings.Builder
	kw := "struct"
	if t.union {
		kw = "union"
	}
	fmt.Fprintf(&b, "%s%s {\n", kw, attr)
	for _, m := range t.members {
		b.WriteString(ind + "\t" + m.decl(ind+"\t") + ";\n")
	}
	b.WriteString(ind + "} ")
	return b.String()
}

func (m cMember) decl(ind string) string {
	if m.bits >= 0 {
		if m.name == "" {
			return fmt.Sprintf("%s : %d", m.btype, m.bits)
		}
		return fmt.Sprintf("%s %s : %d", m.btype, m.name, m.bits)
	}
	spell := m.t.name
	if m.t.def == "" && m.t.leaf == aggLeaf { // an aggregate defined in place
		spell = m.t.body("", ind)
	}
	d := m.name
	for _, n := range m.dims {
		d += fmt.Sprintf("[%d]", n)
	}
	return strings.TrimSpace(spell + " " + d + m.attr)
}

// bitType picks a bitfield's declared type, with the target's width of
// long.
func (g *ProtoGen) bitType() struct {
	name string
	bits int
} {
	bt := protoBitTypes[g.pick(len(protoBitTypes))]
	if bt.name == "long" || bt.name == "unsigned long" {
		bt.bits = g.longBits
	}
	return bt
}

func (g *ProtoGen) member(name string, depth int) cMember {
	switch k := g.pick(100); {
	case k < 22:
		bt := g.bitType()
		m := cMember{name: name, bits: g.pick(bt.bits + 1), btype: bt.name}
		// Zero-width bitfields are unnamed, and some others; not one wider
		// than 64 bits, whose struct pyinc leaves out (an unknown location).
		if m.bits == 0 || m.bits <= 64 && g.chance(15) {
			m.name = ""
		}
		return m
	case k < 30 && depth < 2: // an aggregate defined in place, anonymous or named
		t := g.aggregate("", depth+1)
		t.def, t.name = "", ""
		if g.chance(40) {
			return cMember{t: t, bits: -1}
		}
		return cMember{name: name, t: t, bits: -1, dims: g.dims()}
	case k < 40 && len(g.aggs) > 0:
		return cMember{name: name, t: g.aggs[g.pick(len(g.aggs))], bits: -1, dims: g.dims()}
	}
	m := cMember{name: name, t: g.pickScalar(), bits: -1, dims: g.dims()}
	if g.chance(8) {
		m.attr = fmt.Sprintf(" __attribute__((aligned(%d)))", 1<<g.pick(5))
	}
	return m
}

// emptyMember makes a member that holds no data, the pieces of what gcc
// passes as nothing (is_empty_type): an unnamed bitfield, a zero-length
// array, or an aggregate (or an array of one) made only of such members.
func (g *ProtoGen) emptyMember(name string, depth int) cMember {
	switch k := g.pick(100); {
	case k < 35:
		bt := g.bitType()
		return cMember{btype: bt.name, bits: g.pick(min(bt.bits, 64) + 1)} // see member
	case k < 60:
		m := g.member(name, depth)
		if m.bits >= 0 || m.t.def == "" && m.t.leaf == aggLeaf && m.name == "" {
			m = cMember{name: name, t: protoScalars[g.pick(len(protoScalars))], bits: -1}
		}
		m.dims = []int{0}
		return m
	case k < 80 && depth < 2: // defined in place, anonymous or named
		t := g.aggregateOf("", depth+1, g.emptyMember)
		t.def, t.name = "", ""
		if g.chance(40) {
			return cMember{t: t, bits: -1}
		}
		return cMember{name: name, t: t, bits: -1, dims: g.dims()}
	}
	var empties []*cType
	for _, a := range g.aggs {
		if !a.holdsData() {
			empties = append(empties, a)
		}
	}
	if len(empties) == 0 {
		return cMember{btype: "int", bits: 1 + g.pick(32)}
	}
	return cMember{name: name, t: empties[g.pick(len(empties))], bits: -1, dims: g.dims()}
}

// holdsData says whether a value of type t has a byte of data: what gcc
// counts empty has none.
func (t *cType) holdsData() bool {
	var ls []leafRef
	t.leaves("v", &ls)
	return len(ls) > 0
}

// dims gives most members no array dimension, some one of length 0-3.
func (g *ProtoGen) dims() []int {
	if g.chance(15) {
		return []int{g.pick(4)}
	}
	return nil
}

// leaves lists the data of type t inside the lvalue expr: what the probe
// sets to make the mask of data bytes, and fixes after filling a value
// with random bytes.
func (t *cType) leaves(expr string, out *[]leafRef) {
	if t.leaf != aggLeaf {
		*out = append(*out, leafRef{expr, t.leaf})
		return
	}
	for _, m := range t.members {
		name := m.name
		sub := expr + "." + name
		if name == "" {
			if m.bits >= 0 {
				continue // an unnamed bitfield holds no data
			}
			sub = expr // the members of an anonymous aggregate
		}
		if m.bits >= 0 {
			k := plainLeaf
			if m.btype == "_Bool" {
				k = bitfieldOfBool
			}
			*out = append(*out, leafRef{sub, bitfieldLeaf(k)})
			continue
		}
		arrayLeaves(m.t, sub, m.dims, out)
	}
}

func arrayLeaves(t *cType, expr string, dims []int, out *[]leafRef) {
	if len(dims) == 0 {
		t.leaves(expr, out)
		return
	}
	for i := 0; i < dims[0]; i++ {
		arrayLeaves(t, fmt.Sprintf("%s[%d]", expr, i), dims[1:], out)
	}
}

// leafRef is one scalar or bitfield lvalue of a value.
type leafRef struct {
	expr string
	kind leafKind
}

// bitfieldLeaf marks a leaf kind as a bitfield's (no address, no memset).
func bitfieldLeaf(k leafKind) leafKind { return k + 100 }

// maskC is the C statement setting every data bit of leaf l.
func (l leafRef) maskC() string {
	switch l.kind {
	case bitfieldLeaf(plainLeaf):
		return l.expr + " = -1;"
	case bitfieldLeaf(bitfieldOfBool), boolLeaf:
		return l.expr + " = 1;"
	case ldLeaf:
		return fmt.Sprintf("memset(&%s, 0xff, 10);", l.expr)
	case cldLeaf:
		return fmt.Sprintf("memset(&%s, 0xff, 10); memset((char *)&%s + 16, 0xff, 10);", l.expr, l.expr)
	}
	return fmt.Sprintf("memset(&%s, 0xff, sizeof %s);", l.expr, l.expr)
}

// fixC is the C statement making random bytes a valid value, or "".
func (l leafRef) fixC() string {
	switch l.kind {
	case boolLeaf:
		return l.expr + " = 1;"
	case ldLeaf:
		return fmt.Sprintf("ldfix(&%s);", l.expr)
	case cldLeaf:
		return fmt.Sprintf("ldfix(&%s); ldfix((char *)&%s + 16);", l.expr, l.expr)
	}
	return ""
}

// Hand-made shapes, for the reproducers.

// Agg defines a typedef'd aggregate in the generator's header.
func (g *ProtoGen) Agg(name string, union bool, attr string, members ...cMember) *cType {
	t := &cType{name: g.prefix + name, leaf: aggLeaf, union: union, members: members}
	t.def = fmt.Sprintf("typedef %s%s;\n", t.body(attr, ""), t.name)
	g.addAggregate(t)
	return t
}

// Func declares a function; ret nil is void.
func (g *ProtoGen) Func(ret *cType, variadic bool, params ...*cType) {
	g.addFunc(&Proto{Name: fmt.Sprintf("%sf%d", g.prefix, len(g.Funcs)), Ret: ret, Params: params, Variadic: variadic})
}

// Text is the header written so far.
func (g *ProtoGen) Text() string { return g.b.String() }

func field(name string, t *cType, dims ...int) cMember {
	return cMember{name: name, t: t, bits: -1, dims: dims}
}

func bitfield(name, btype string, width int) cMember {
	return cMember{name: name, btype: btype, bits: width}
}
