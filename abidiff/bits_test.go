package abidiff

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/crosscheck"
	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
)

// bitQuestion prints the first bit, counted from the first byte of T.H,
// that setting T.H.F to 1 sets.
const bitQuestion = `#define BIT(T, H, F) { T s; memset(&s, 0, sizeof s); s.H.F = 1; \
	const unsigned char *p = (const unsigned char *)&s + offsetof(T, H); \
	for (size_t i = 0; i < (sizeof s - offsetof(T, H)) * 8; i++) \
		if (p[i / 8] >> (i % 8) & 1) { printf("%zu\n", i); break; } }
`

// gccBits asks gcc where each bitfield T.H.F ({T, H, F}) sits in the
// headers r was made from.
func gccBits(t *testing.T, r *pipeline.Result, fields ...[3]string) []int64 {
	t.Helper()
	var b strings.Builder
	b.WriteString(bitQuestion + "int main(void) {\n")
	for _, f := range fields {
		fmt.Fprintf(&b, "\tBIT(%s, %s, %s);\n", f[0], f[1], f[2])
	}
	b.WriteString("\treturn 0;\n}\n")
	out, err := crosscheck.RunC(r.Unit, b.String(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != len(fields) {
		t.Fatalf("the gcc probe printed %q for %d fields", out, len(fields))
	}
	var bits []int64
	for _, l := range lines {
		n, err := strconv.ParseInt(l, 10, 64)
		if err != nil {
			t.Fatalf("the gcc probe printed %q", out)
		}
		bits = append(bits, n)
	}
	return bits
}

// TestBitReusedGCC: between 3.11 and 3.12 a bit of PyASCIIObject.state
// went from ready to statically_allocated. The bit the report must name
// is gcc's, asked at test time.
func TestBitReusedGCC(t *testing.T) {
	testutil.NeedTools(t, "gcc")
	r11, r12 := testutil.Generate(t, "3.11"), testutil.Generate(t, "3.12")
	was := gccBits(t, r11, [3]string{"PyASCIIObject", "state", "ready"})[0]
	now := gccBits(t, r12, [3]string{"PyASCIIObject", "state", "statically_allocated"})[0]
	if was != now {
		t.Fatalf("gcc: ready is bit %d in 3.11, statically_allocated bit %d in 3.12: the headers are not what this test knows", was, now)
	}
	rep := Compare(read(t, r11.Include), read(t, r12.Include))
	want := fmt.Sprintf("bit %d of PyASCIIObject.state: was ready, now statically_allocated", was)
	found := false
	for _, c := range rep.Changes {
		if c.Kind == "bit-reused" && c.Name == "PyASCIIObject.state.ready" {
			found = true
			if !c.Breaking || c.Detail != want {
				t.Errorf("got %+v, want a breaking change %q", c, want)
			}
			if len(c.Names) != 2 || c.Names[1] != "PyASCIIObject.state.statically_allocated" {
				t.Errorf("names %v: want ready and statically_allocated", c.Names)
			}
		}
	}
	if !found {
		t.Errorf("no bit-reused change for PyASCIIObject.state.ready; want %q", want)
	}
	// gcc's place of every bitfield of 3.12 is the one the report names.
	var fields [][3]string
	var ours []int64
	for _, st := range read(t, r12.Include).Structs {
		for _, m := range st.Members {
			if h, _ := holder(st, m); m.Bitfield && h != "" {
				fields = append(fields, [3]string{st.CName, h, leaf(m.Path)})
				ours = append(ours, firstBit(st, m))
			}
		}
	}
	for i, g := range gccBits(t, r12, fields...) {
		if ours[i] != g {
			t.Errorf("%s.%s.%s: bit %d, gcc %d", fields[i][0], fields[i][1], fields[i][2], ours[i], g)
		}
	}
	t.Logf("%d bitfields of 3.12 at gcc's bits", len(fields))
}

func read(t *testing.T, inc []byte) *emit.Include {
	t.Helper()
	s, err := emit.Read(string(inc))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bitStruct is a struct "S" with a holder "flags" at 8 and bitfields
// given as path:unitOffset:unit:shift:width.
func bitStruct(fields ...string) *emit.StructInfo {
	s := &emit.StructInfo{Name: "S", CName: "S", Size: 16, Members: []emit.MemberInfo{
		{Path: "flags", CType: "struct {...}", Offset: 8, Size: 4},
	}}
	for _, f := range fields {
		var path string
		var off, unit, shift, width int
		p := strings.Split(f, ":")
		path = p[0]
		off, _ = strconv.Atoi(p[1])
		unit, _ = strconv.Atoi(p[2])
		shift, _ = strconv.Atoi(p[3])
		width, _ = strconv.Atoi(p[4])
		s.Members = append(s.Members, emit.MemberInfo{Path: path, CType: "unsigned int", Offset: int64(off),
			Size: -1, Bitfield: true, Unit: unit, Shift: shift, Width: width})
	}
	return s
}

// TestBitChanges covers each kind of bitfield change on hand-made structs.
func TestBitChanges(t *testing.T) {
	cases := []struct {
		name string
		a, b *emit.StructInfo
		want []string // "kind breaking detail"
	}{
		{"same", bitStruct("flags.x:8:4:3:2"), bitStruct("flags.x:8:4:3:2"), nil},
		{"moved within the holder", bitStruct("flags.x:8:4:3:2"), bitStruct("flags.x:8:4:4:2"),
			[]string{"moved true bits 3-4 of S.flags -> bits 4-5 of S.flags (unsigned int :2 -> unsigned int :2)"}},
		{"wider", bitStruct("flags.x:8:4:3:2"), bitStruct("flags.x:8:4:3:3"),
			[]string{"resized true bits 3-4 of S.flags -> bits 3-5 of S.flags (unsigned int :2 -> unsigned int :3)"}},
		{"other unit, same bits", bitStruct("flags.x:8:4:9:1"), bitStruct("flags.x:9:1:1:1"),
			[]string{"unit false the same bits, read as 1 bytes @9 (was 4 bytes @8)"}},
		{"bit given to another field", bitStruct("flags.x:8:4:0:1", "flags.y:8:4:1:2"), bitStruct("flags.x:8:4:0:1", "flags.z:8:4:2:1"),
			[]string{
				"removed true removed (was unsigned int :2, bits 1-2 of S.flags)",
				"added false added, a bitfield: bit 2 of S.flags (unsigned int :1)",
				"bit-reused true bit 2 of S.flags: was y, now z",
			}},
		{"top level", bitStruct("top:12:1:5:1"), bitStruct("top:12:1:6:1"),
			[]string{"moved true bit 101 of S -> bit 102 of S (unsigned int :1 -> unsigned int :1)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			compareStruct(c.a, c.b, func(ch Change) {
				got = append(got, fmt.Sprintf("%s %v %s", ch.Kind, ch.Breaking, ch.Detail))
			})
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}
