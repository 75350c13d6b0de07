package crosscheck

import (
	"fmt"
	"math/rand"
	"strings"
)

// DeclGen writes random C declarations for the differential fuzzer:
// structs and unions with nested and anonymous members, bitfields of every
// width (zero-width too), arrays, every basic type, packed and aligned
// attributes, _Alignas, enums with negative and large values, and integer
// and string macros with casts, shifts and sizeof. Everything it writes is
// valid C that gcc accepts without UB in constant expressions.
type DeclGen struct {
	r      *rand.Rand
	b      strings.Builder
	prefix string
	types  []genType // complete types later declarations may use
	consts []string  // integer macros and enumerators defined so far
	nstr   int
	used   map[string]bool
	// longBits is the width of long on the target (64 LP64, 32 LLP64):
	// the widest bitfield of type long.
	longBits int
}

type genType struct {
	name     string
	size     int // rough, to keep structs small
	flexible bool
}

var scalars = []genType{
	{"char", 1, false}, {"signed char", 1, false}, {"unsigned char", 1, false},
	{"short", 2, false}, {"unsigned short", 2, false}, {"int", 4, false}, {"unsigned int", 4, false},
	{"long", 8, false}, {"unsigned long", 8, false}, {"long long", 8, false},
	{"unsigned long long", 8, false}, {"void *", 8, false}, {"char *", 8, false},
	{"float", 4, false}, {"double", 8, false}, {"long double", 16, false}, {"_Bool", 1, false},
}

var bitTypes = []struct {
	name string
	bits int
}{
	{"int", 32}, {"unsigned int", 32}, {"signed char", 8}, {"unsigned char", 8},
	{"short", 16}, {"unsigned short", 16}, {"long long", 64}, {"unsigned long long", 64},
	{"_Bool", 1}, {"unsigned long", 64}, {"__int128", 128}, {"unsigned __int128", 128},
}

// Names NASM reads as keywords or registers, used now and then as C
// names to exercise the $ prefix.
var (
	reservedTypeNames   = []string{"abs", "rel", "byte", "seg", "at", "push", "jz"}
	reservedMemberNames = []string{"wrt", "rax", "dword", "strict", "times", "mov", "call"}
	reservedMacroNames  = []string{"qword", "rsi", "equ", "ptr", "lea", "cmovne"}
)

// NewDeclGen makes a generator for seed; names carry prefix.
func NewDeclGen(seed int64) *DeclGen {
	return &DeclGen{r: rand.New(rand.NewSource(seed)), prefix: fmt.Sprintf("F%d_", seed&0xffff), used: map[string]bool{}, longBits: 64}
}

// NewDeclGenFor is NewDeclGen for a target whose long has longBits bits.
func NewDeclGenFor(seed int64, longBits int) *DeclGen {
	g := NewDeclGen(seed)
	g.longBits = longBits
	return g
}

func (g *DeclGen) p(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }

func (g *DeclGen) pick(n int) int { return g.r.Intn(n) }

// aggregateAttr draws the attribute of a generated struct or union: packed,
// aligned, both, or (in oneIn-3 of oneIn draws) none. pick is the
// generator's source, so a seed keeps making the same header.
func aggregateAttr(pick func(int) int, oneIn int) string {
	switch pick(oneIn) {
	case 0:
		return " __attribute__((packed))"
	case 1:
		return fmt.Sprintf(" __attribute__((aligned(%d)))", 1<<pick(6))
	case 2:
		return fmt.Sprintf(" __attribute__((packed, aligned(%d)))", 1<<pick(4))
	}
	return ""
}

func (g *DeclGen) chance(pct int) bool { return g.r.Intn(100) < pct }

// reserved returns an unused name from pool, or "".
func (g *DeclGen) reserved(pool []string) string {
	name := pool[g.pick(len(pool))]
	if g.used[name] {
		return ""
	}
	g.used[name] = true
	return name
}

// Header writes a header of n aggregates with enums and macros between.
func (g *DeclGen) Header(n int) string {
	for i := 0; i < n; i++ {
		if g.chance(40) {
			g.enum(i)
		}
		g.aggregate(i)
		for k := g.pick(4); k >= 0; k-- {
			g.macro()
		}
	}
	return g.b.String()
}

func (g *DeclGen) enum(i int) {
	name := fmt.Sprintf("%sE%d", g.prefix, i)
	// Values at the edges of int go last: gcc rejects an implicit
	// successor that overflows.
	small := []string{"0", "1", "-1", "-2147483647 - 1", "-5", "0x7ff", "-(1LL << 35)"}
	large := []string{"2147483647", "4294967295u", "(1LL << 40)"}
	g.p("typedef enum {")
	n := g.pick(5)
	for k := 0; k <= n; k++ {
		ename := fmt.Sprintf("%s_%d", name, k)
		if k == n && g.chance(40) {
			g.p(" %s = %s,", ename, large[g.pick(len(large))])
		} else if g.chance(50) {
			g.p(" %s = %s,", ename, small[g.pick(len(small))])
		} else {
			g.p(" %s,", ename)
		}
		g.consts = append(g.consts, ename)
	}
	g.p(" } %s;\n", name)
	// An enum with values past int is 8 bytes in gcc; keep it as a type.
	g.types = append(g.types, genType{name, 8, false})
}

func (g *DeclGen) aggregate(i int) {
	name := fmt.Sprintf("%sS%d", g.prefix, i)
	if g.chance(10) {
		if r := g.reserved(reservedTypeNames); r != "" {
			name = r
		}
	}
	kw := "struct"
	if g.chance(20) {
		kw = "union"
	}
	attr := aggregateAttr(g.pick, 8)
	g.p("typedef %s%s %s {\n", kw, attr, "T"+name)
	nm := 1 + g.pick(6)
	flexible := kw == "struct" && g.chance(10)
	for k := 0; k < nm; k++ {
		g.member(fmt.Sprintf("m%d", k), 1)
	}
	if flexible {
		g.p("\tint nflex;\n\tint flex[];\n") // a flexible array needs a named member before it
	}
	g.p("} %s;\n", name)
	g.types = append(g.types, genType{name, 64, flexible})
}

// member writes one member declaration at nesting depth.
func (g *DeclGen) member(name string, depth int) {
	ind := strings.Repeat("\t", depth)
	if g.chance(8) {
		if r := g.reserved(reservedMemberNames); r != "" {
			name = r
		}
	}
	switch k := g.pick(100); {
	case k < 25: // bitfield, zero-width ones unnamed
		bt := bitTypes[g.pick(len(bitTypes))]
		if bt.name == "unsigned long" {
			bt.bits = g.longBits
		}
		w := g.pick(bt.bits + 1)
		if g.chance(15) {
			w = 0
		}
		if w == 0 {
			g.p("%s%s : 0;\n", ind, bt.name)
			if g.chance(50) {
				g.p("%s%s %s_after : %d;\n", ind, bt.name, name, 1+g.pick(bt.bits))
			}
			return
		}
		if g.chance(10) {
			g.p("%s%s : %d;\n", ind, bt.name, w) // unnamed padding bits
			return
		}
		g.p("%s%s %s : %d;\n", ind, bt.name, name, w)
	case k < 35 && depth < 3: // anonymous struct or union member
		kw := []string{"struct", "union"}[g.pick(2)]
		g.p("%s%s {\n", ind, kw)
		for j := 0; j <= g.pick(3); j++ {
			g.member(fmt.Sprintf("%s_%d", name, j), depth+1)
		}
		g.p("%s};\n", ind)
	case k < 42 && depth < 3: // named member of an anonymous aggregate type
		kw := []string{"struct", "union"}[g.pick(2)]
		g.p("%s%s {\n", ind, kw)
		for j := 0; j <= g.pick(3); j++ {
			g.member(fmt.Sprintf("n%d", j), depth+1)
		}
		g.p("%s} %s;\n", ind, name)
	default:
		t := g.memberType()
		decl := name
		if g.chance(20) {
			decl = fmt.Sprintf("%s[%d]", name, 1+g.pick(4))
			if g.chance(20) {
				decl += fmt.Sprintf("[%d]", 1+g.pick(3))
			}
		}
		switch g.pick(10) {
		case 0:
			if t.size > 16 { // _Alignas may not lower an aggregate's alignment
				g.p("%s%s %s;\n", ind, t.name, decl)
				break
			}
			g.p("%s_Alignas(%d) %s %s;\n", ind, 16<<g.pick(3), t.name, decl)
		case 1:
			g.p("%s%s %s __attribute__((aligned(%d)));\n", ind, t.name, decl, 1<<g.pick(6))
		default:
			g.p("%s%s %s;\n", ind, t.name, decl)
		}
	}
}

// memberType picks a scalar, an enum or an earlier aggregate.
func (g *DeclGen) memberType() genType {
	if len(g.types) > 0 && g.chance(25) {
		t := g.types[g.pick(len(g.types))]
		if !t.flexible {
			return t
		}
	}
	return scalars[g.pick(len(scalars))]
}

// macro writes an integer or string macro.
func (g *DeclGen) macro() {
	name := fmt.Sprintf("%sC%d", g.prefix, len(g.consts)+g.nstr)
	if g.chance(5) {
		if r := g.reserved(reservedMacroNames); r != "" {
			name = r
		}
	}
	if g.chance(10) {
		strs := []string{`"plain"`, `"with \"quotes\" and \\ backslash"`, `"tab\tnew\nline"`, `"high \xff\x80 bytes"`, `"back` + "`" + `quote"`, `""`}
		g.p("#define %s %s\n", name, strs[g.pick(len(strs))])
		g.nstr++
		return
	}
	lit := func() string {
		lits := []string{"0", "1", "7", "255", "256", "-1", "-128", "0x7fffffff", "0xffffffffu", "1000000007LL", "0x8000000000000000ULL", "'A'", "'\\377'", "65535u"}
		return lits[g.pick(len(lits))]
	}
	var e string
	switch g.pick(12) {
	case 0:
		e = lit()
	case 1:
		if len(g.types) > 0 {
			e = fmt.Sprintf("((int)sizeof(%s))", g.types[g.pick(len(g.types))].name)
		} else {
			e = "sizeof(long double)"
		}
	case 2:
		e = fmt.Sprintf("((unsigned char)(%s))", lit())
	case 3:
		e = fmt.Sprintf("((short)(%s))", lit())
	case 4:
		e = fmt.Sprintf("(1ULL << %d)", g.pick(64))
	case 5:
		e = fmt.Sprintf("((long long)%d << %d)", g.pick(1<<20), g.pick(40))
	case 6:
		e = fmt.Sprintf("(~(%s))", lit())
	case 7:
		e = fmt.Sprintf("((%s) >> %d)", lit(), g.pick(8))
	case 8:
		e = fmt.Sprintf("(-(%s) %% 7)", lit())
	case 9:
		if len(g.consts) > 0 {
			e = fmt.Sprintf("((%s) / 3 + 1)", g.consts[g.pick(len(g.consts))])
		} else {
			e = lit()
		}
	case 10:
		if len(g.types) > 0 {
			e = fmt.Sprintf("(sizeof(%s) * 2 + sizeof(void *))", g.types[g.pick(len(g.types))].name)
		} else {
			e = "(sizeof(int) * 2)"
		}
	case 11:
		e = fmt.Sprintf("((unsigned)(%s) / 3u)", lit())
	}
	g.p("#define %s %s\n", name, e)
	g.consts = append(g.consts, name)
}
