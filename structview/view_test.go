package structview

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/crosscheck"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/layout"
)

// cHelpers print what gcc knows of a member: offset and size, or for a
// bitfield the first bit set when it is all ones, and the bits set.
const cHelpers = `
static void BITS(const void *p, size_t n) {
	const unsigned char *b = p;
	long first = -1, width = 0;
	for (size_t i = 0; i < n * 8; i++)
		if (b[i / 8] >> (i % 8) & 1) {
			if (first < 0)
				first = i;
			width++;
		}
	printf("%ld %ld\n", first, width);
}
#define MEMBER(T, M) printf("%zu %zu\n", offsetof(T, M), sizeof(((T *)0)->M))
#define BITFIELD(T, M) { T s; memset(&s, 0, sizeof s); s.M = ~0ULL; BITS(&s, sizeof s); }
#define SIZE(T) printf("%zu\n", sizeof(T))
`

// TestRowsGCC: every row of every struct of an installed Python says what
// gcc says: offsets and sizes of members and alternatives, the bits of
// bitfields, the struct's size; and the rows that own bytes cover the
// struct, padding where gcc leaves bytes unnamed.
func TestRowsGCC(t *testing.T) {
	testutil.NeedTools(t, "gcc")
	r := testutil.Generate(t, "3.12")
	var prog strings.Builder
	var want []string
	prog.WriteString(cHelpers + "int main(void) {\n")
	for _, s := range r.Model.Structs {
		fmt.Fprintf(&prog, "\tSIZE(%s);\n", s.CName)
		want = append(want, fmt.Sprint(s.Size))
		end := int64(0)
		for _, row := range Rows(s) {
			switch row.Kind {
			case Member, Alt:
				if row.Size == 0 {
					continue // a flexible array: no size to ask for
				}
				fmt.Fprintf(&prog, "\tMEMBER(%s, %s);\n", s.CName, row.Path)
				want = append(want, fmt.Sprintf("%d %d", row.Offset, row.Size))
			case Bitfield:
				fmt.Fprintf(&prog, "\tBITFIELD(%s, %s);\n", s.CName, row.Path)
				want = append(want, fmt.Sprintf("%d %d", row.Offset*8+int64(row.Shift), row.Width))
			}
			if row.Depth == 0 {
				if row.Offset != end || (row.Kind == Tail && row.Offset+row.Size != s.Size) {
					t.Errorf("%s: row %+v does not follow on at %d", s.Name, row, end)
				}
				end = row.Offset + row.Size
			}
		}
		if end != s.Size {
			t.Errorf("%s: rows end at %d, size %d", s.Name, end, s.Size)
		}
	}
	prog.WriteString("\treturn 0;\n}\n")
	out, err := crosscheck.RunC(r.Unit, prog.String(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(want) {
		t.Fatalf("gcc printed %d lines for %d questions", len(got), len(want))
	}
	bad := 0
	for i := range want {
		if got[i] != want[i] && bad < 20 {
			t.Errorf("question %d: gcc %q, view %q", i, got[i], want[i])
			bad++
		}
	}
	t.Logf("%d structs, %d numbers agree with gcc", len(r.Model.Structs), len(want))
}

// TestWrite: the drawing marks padding and draws bitfields to the bit.
func TestWrite(t *testing.T) {
	s := &layout.Struct{Name: "S", CName: "S", Size: 16, Align: 8,
		Lines: []layout.Member{
			{Path: "a", CType: "char", Offset: 0, Size: 1},
			{Offset: 1, Size: 3, Padding: true},
			{Offset: 4, Size: 4, Storage: true, Bits: []string{"f"}},
			{Path: "u", CType: "union {...}", Offset: 8, Size: 4},
			{Offset: 12, Size: 4, Padding: true},
		},
		Alts:      []layout.Member{{Path: "u.x", CType: "int", Offset: 8, Size: 4}},
		Bitfields: []layout.Bitfield{{Path: "f", CType: "unsigned int", Offset: 4, Unit: 4, Shift: 3, Width: 2}},
	}
	var b bytes.Buffer
	Write(&b, s, "test")
	for _, want := range []string{
		"     1     3  -       hole (padding)\n",
		"     4    :2    f     ........ ........ ........ ...##...  bits 3-4  unsigned int\n",
		"     8     4  | u.x   int\n",
		"    12     4  -       tail padding\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

// TestAcross: a row per member, blank where a Python lacks it, a member
// that went away next to where it was; no column for a Python without
// the struct.
func TestAcross(t *testing.T) {
	mk := func(names ...string) *layout.Struct {
		s := &layout.Struct{Name: "S", CName: "S"}
		for i, n := range names {
			s.Lines = append(s.Lines, layout.Member{Path: n, CType: "long", Offset: int64(8 * i), Size: 8})
		}
		s.Size = int64(8 * len(names))
		return s
	}
	tab := Across([]Column{{"old", mk("a", "gone", "b")}, {"none", nil}, {"new", mk("a", "added", "b")}})
	var b bytes.Buffer
	tab.Write(&b)
	want := `member  old  new
size     24   24
a         0    0
added          8
gone      8
b        16   16
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
