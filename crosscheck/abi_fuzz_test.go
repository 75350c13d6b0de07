package crosscheck

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/target"
)

// Prototypes per generated header; go test -fuzz=FuzzABI runs as many
// headers as it is given time for.
const (
	protoAggs  = 6
	protoFuncs = 10
)

// reproducers are the shapes of issue 14, each once found misplaced or
// crashing, with the arguments after them that show a wrong register
// count. FuzzABI runs them as seeds -1, -2, ...
var reproducers = []func(g *ProtoGen){
	func(g *ProtoGen) { // __int128 takes rdi:rsi, and later arguments shift
		g.Func(nil, false, scalar("__int128"), scalar("long"), scalar("double"))
	},
	func(g *ProtoGen) { // struct {__int128} comes back in rax:rdx
		g.Func(g.Agg("S", false, "", field("a", scalar("__int128"))), false)
	},
	func(g *ProtoGen) { // the padding eightbyte of an aligned struct takes no register
		s := g.Agg("S", false, " __attribute__((aligned(16)))", field("a", scalar("int")))
		g.Func(nil, false, s, scalar("long"), scalar("double"))
		g.Func(s, false, scalar("double"))
	},
	func(g *ProtoGen) { // an empty struct takes nothing
		e := g.Agg("E", false, "")
		g.Func(nil, false, e, scalar("long"), e, scalar("float"))
		g.Func(e, false, scalar("long"))
	},
	func(g *ProtoGen) { // a zero-width bitfield is no data
		s := g.Agg("S", false, "", bitfield("", "unsigned char", 0), field("f", scalar("float")))
		g.Func(nil, false, s, scalar("double"), scalar("long"))
	},
	func(g *ProtoGen) { // misaligned members of packed structs go to memory
		a := g.Agg("P1", false, " __attribute__((packed))", bitfield("", "int", 1), field("b", scalar("int")))
		b := g.Agg("P2", false, " __attribute__((packed))", field("a", scalar("short")), field("b", scalar("double")))
		g.Func(nil, false, a, b, scalar("long"), scalar("double"))
	},
	func(g *ProtoGen) { // an unnamed bitfield is INTEGER, and ends where it ends
		s := g.Agg("S", false, "", bitfield("", "long", 51), field("c", scalar("char")))
		g.Func(nil, false, s, scalar("long"))
	},
	func(g *ProtoGen) { // X87 merged with INTEGER, then X87UP alone: memory
		u := g.Agg("U", true, "", field("d", scalar("long double")), field("l", scalar("long")))
		g.Func(nil, false, u, scalar("long"))
		g.Func(u, false)
	},
	func(g *ProtoGen) { // a _Complex float across two eightbytes takes two SSE registers
		s := g.Agg("S", false, "", field("f", scalar("float")), field("c", scalar("_Complex float")))
		g.Func(nil, false, s, scalar("double"))
		g.Func(s, false)
	},
	func(g *ProtoGen) { // _Complex long double comes back in st0:st1
		g.Func(scalar("_Complex long double"), false, scalar("_Complex long double"), scalar("long"))
	},
	func(g *ProtoGen) { // __int128 then more doubles than there are vector registers (once a panic)
		d := scalar("double")
		g.Func(nil, true, scalar("__int128"), d, d, d, d, d, d, d, d, d, d)
	},
	func(g *ProtoGen) { // an array of empty structs and a zero-width bitfield (once a panic)
		e := g.Agg("E", false, "")
		s := g.Agg("S", false, "", field("a", e, 2), bitfield("", "char", 0))
		g.Func(nil, false, s, scalar("long"))
		g.Func(s, false)
	},
	func(g *ProtoGen) { // gcc's rules for bitfields, nesting, unions and packing
		f, i, l, d, ld := scalar("float"), scalar("int"), scalar("long"), scalar("double"), scalar("long double")
		shapes := []*cType{
			g.Agg("Z32", false, "", field("a", f), bitfield("", "int", 0), field("b", f)),
			g.Agg("UZ", true, "", field("a", f), bitfield("", "int", 0)),
			g.Agg("U3", true, "", field("a", f), bitfield("", "int", 3)),
			g.Agg("S3", false, "", field("a", f), bitfield("", "int", 3)),
			g.Agg("FA", false, "", field("a", i), field("b", f, 3)),
			g.Agg("DI", false, "", field("a", d), field("b", i)),
			g.Agg("FFD", false, "", field("a", f), field("b", f), field("c", d)),
			g.Agg("ULLD", true, "", field("a", l), field("b", ld)),
			g.Agg("UDLD", true, "", field("a", d), field("b", ld)),
			g.Agg("L64", false, "", bitfield("", "long", 64), field("b", d)),
			g.Agg("NEST", false, "", field("a", i), field("b", g.Agg("FF", false, "", field("a", f), field("b", f)))),
			g.Agg("PQ", false, " __attribute__((packed))", field("a", scalar("char")), field("b", scalar("__int128"))),
			g.Agg("PS", false, " __attribute__((packed))", field("a", scalar("char")), field("b", g.Agg("I", false, "", field("a", i)))),
			g.Agg("LDA", false, "", field("a", scalar("char")), field("b", ld, 1)),
			g.Agg("LD1", false, "", field("a", ld)),
			// A zero-length array is no flexible array member: misaligned, it means memory.
			g.Agg("Z0", false, " __attribute__((packed))", field("a", scalar("char")), field("b", d, 0)),
			g.Agg("Z0B", false, " __attribute__((packed))", bitfield("a", "long long", 54), field("b", scalar("_Complex double"), 0)),
			g.Agg("Z0A", false, "", field("a", scalar("char")), field("b", d, 0)),
		}
		for _, s := range shapes {
			g.Func(s, false, s, l, d)
		}
	},
	func(g *ProtoGen) { // the textbook cases
		l := scalar("long")
		big := g.Agg("Big", false, "", field("a", l), field("b", l), field("c", l))
		dd := g.Agg("DD", false, "", field("a", scalar("double")), field("b", scalar("double")))
		g.Func(big, false, l, l, l, l, l, l, l, scalar("long double"), dd)
		g.Func(scalar("long double"), false, dd, scalar("long double"))
		g.Func(dd, false, dd, dd, dd, dd, dd)
	},
	func(g *ProtoGen) { // issue 24: records gcc counts empty are never returned and take no stack slot
		l, f := scalar("long"), scalar("float")
		e1 := g.Agg("E1", false, "", bitfield("", "unsigned short", 11))
		e2 := g.Agg("E2", false, " __attribute__((packed))", bitfield("", "_Bool", 1), field("m1", f, 0))
		anon := g.Agg("EA", false, "", cMember{t: &cType{leaf: aggLeaf, members: []cMember{bitfield("", "int", 3)}}, bits: -1})
		u := g.Agg("EU", true, "", bitfield("", "long", 5))
		nest := g.Agg("EN", false, "", field("a", e1, 2), field("u", u), field("z", scalar("char"), 0), field("e", e2, 3))
		al := g.Agg("EAL", false, " __attribute__((aligned(16)))", bitfield("", "int", 3))
		big := g.Agg("EBIG", false, "", field("a", e1, 40))
		two := g.Agg("E16", false, "", bitfield("", "long", 64), bitfield("", "long", 64))
		// Not empty: a named member, or a flexible array's unknown length.
		named := g.Agg("NB", false, "", bitfield("b", "int", 1))
		g.Func(e1, false)
		g.Func(e1, false, e1, l, e2, l)                    // e1 takes rdi, e2 nothing
		g.Func(nil, false, l, l, l, l, l, l, e2, l, e1, l) // after the registers, no slot
		g.Func(e2, false, l, e2, f)
		for _, e := range []*cType{anon, u, nest, al, big, named} {
			g.Func(e, false, l, l, l, l, l, e, l, e, l, f)
		}
		g.Func(two, false, l, l, l, l, l, two, l, l) // two eightbytes, one register left: no slot
	},
	func(g *ProtoGen) { // a bitfield as wide as an integer type, at a multiple of it, is an ordinary member to gcc
		l, c := scalar("long"), scalar("char")
		in32 := g.Agg("I32", false, "", bitfield("x", "int", 32))
		in31 := g.Agg("I31", false, "", bitfield("x", "int", 31))
		in32p := g.Agg("I32P", false, " __attribute__((packed))", bitfield("x", "int", 32))
		in16 := g.Agg("I16", false, "", bitfield("q", "short", 16))
		after := g.Agg("CI32", false, "", field("c", c), bitfield("x", "int", 32))  // moved to bit 32: ordinary
		at8 := g.Agg("CI16", false, "", field("c", c), bitfield("x", "int", 16))    // at bit 8: a bitfield
		at16 := g.Agg("CS16", false, "", field("c", c), bitfield("x", "short", 16)) // moved to bit 16: ordinary
		pad := g.Agg("E8", false, "", bitfield("", "unsigned char", 3))
		u32 := g.Agg("U32", false, "", bitfield("", "unsigned long", 32))
		for _, in := range []*cType{in32, in31, in32p, in16, after, at8, at16} {
			p := g.Agg("P"+strings.TrimPrefix(in.name, g.prefix), false, " __attribute__((packed))", field("a", c), field("s", in))
			g.Func(p, false, p, l)
		}
		e := g.Agg("EM", false, "", field("a", pad), field("b", u32)) // empty, and memory: nothing
		g.Func(e, false, e, l)
	},
}

// protoCase builds the header for seed: a reproducer for seeds -1, -2,
// ..., a random one for every other seed (the fuzzer's negative ones too,
// so that none of its inputs is wasted).
func protoCase(seed int64) *ProtoGen {
	g := NewProtoGen(seed)
	if seed < 0 && -seed <= int64(len(reproducers)) {
		reproducers[-seed-1](g)
		return g
	}
	g.Header(protoAggs, protoFuncs)
	return g
}

// checkPrototypes runs pyinc on the header of seed and checks every
// function's comment against gcc.
func checkPrototypes(t *testing.T, seed int64) ABICounts {
	t.Helper()
	return checkPrototypesFor(t, protoCase(seed), seed, target.Linux)
}

// FuzzABI is the differential fuzzer of argument and result locations:
// go test -fuzz=FuzzABI ./crosscheck. Its seeds, run by every go test,
// are the reproducers of issue 14 and a few random headers.
func FuzzABI(f *testing.F) {
	needGCC(f, "gcc")
	for i := range reproducers {
		f.Add(int64(-1 - i))
	}
	for seed := int64(1); seed <= 6; seed++ {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed int64) {
		checkPrototypes(t, seed)
	})
}

// TestABIMany runs PYINC_ABI_SEEDS random headers (seeds 1..N) and
// reports how much was checked: the figure README quotes. Skipped unless
// the variable is set.
func TestABIMany(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("PYINC_ABI_SEEDS"))
	if err != nil || n <= 0 {
		t.Skip("set PYINC_ABI_SEEDS=N to check N random headers of prototypes against gcc")
	}
	needGCC(t, "gcc")
	var total ABICounts
	failed := 0
	for seed := int64(1); seed <= int64(n); seed++ {
		ok := t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			c := checkPrototypes(t, seed)
			total.Functions += c.Functions
			total.Args += c.Args
			total.Results += c.Results
		})
		if !ok {
			failed++
		}
	}
	t.Logf("%d headers: %d prototypes, %d arguments and %d results checked against gcc; %d headers with mismatches",
		n, total.Functions, total.Args, total.Results, failed)
}

// needGCC skips under -short and when a tool is missing: the
// location probe needs gcc to compile and run.
func needGCC(t testing.TB, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the location probes compile with gcc")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the location probes are not run", tool)
		}
	}
}
