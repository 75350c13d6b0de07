package abidiff

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/emit"
)

// layoutOf is a summary holding struct S with members name@offset, each
// 8 bytes.
func layoutOf(members ...any) *emit.Include {
	s := &emit.StructInfo{Name: "S", CName: "S"}
	for i := 0; i < len(members); i += 2 {
		off := int64(members[i+1].(int))
		s.Members = append(s.Members, emit.MemberInfo{Path: members[i].(string), CType: "long", Offset: off, Size: 8})
		s.Size = max(s.Size, off+8)
	}
	return &emit.Include{Python: "CPython X", Structs: []*emit.StructInfo{s}}
}

// TestMoveRuns: members that moved together are one line; the full list
// stays in the changes, in JSON and under verbose.
func TestMoveRuns(t *testing.T) {
	a := layoutOf("a", 0, "b", 8, "c", 16, "d", 24, "e", 32, "f", 40, "g", 48, "h", 56)
	// a stays; b, c, d move +8 (something grew before them); e is
	// removed; f, g, h move +8 too, and the run goes on past e.
	b := layoutOf("a", 0, "new", 8, "b", 16, "c", 24, "d", 32, "f", 48, "g", 56, "h", 64)
	r := Compare(a, b)
	if len(r.Moves) != 1 {
		t.Fatalf("runs %+v, want one", r.Moves)
	}
	m := r.Moves[0]
	if strings.Join(m.Members, ",") != "b,c,d,f,g,h" || m.Delta != 8 || !m.ToEnd {
		t.Errorf("run %+v", m)
	}
	var short, long bytes.Buffer
	r.WriteText(&short, false)
	r.WriteText(&long, true)
	if !strings.Contains(short.String(), "  struct   S: 6 members from `b` on moved +8\n") || strings.Contains(short.String(), "S.c: moved") {
		t.Errorf("short report:\n%s", short.String())
	}
	if strings.Contains(long.String(), "members from") || !strings.Contains(long.String(), "S.c: moved @16 -> @24") {
		t.Errorf("verbose report:\n%s", long.String())
	}

	// A member that stays ends a run; different amounts are different runs.
	b = layoutOf("a", 4, "b", 12, "c", 20, "d", 24, "e", 32, "f", 36, "g", 44, "h", 52)
	r = Compare(a, b)
	var got []string
	for _, m := range r.Moves {
		got = append(got, m.String())
	}
	want := "S: 3 members from `a` to `c` moved +4, S: 3 members from `f` on moved -4"
	if strings.Join(got, ", ") != want {
		t.Errorf("runs %q, want %q", strings.Join(got, ", "), want)
	}
}

// TestJSONNotEscaped: "->" stays "->" in JSON, and every move is listed.
func TestJSONNotEscaped(t *testing.T) {
	a := layoutOf("a", 0, "b", 8, "c", 16, "d", 24)
	b := layoutOf("x", 0, "a", 8, "b", 16, "c", 24, "d", 32)
	var out bytes.Buffer
	if err := Compare(a, b).WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"detail": "moved @0 -> @8"`) || strings.Contains(out.String(), `\u003e`) {
		t.Errorf("JSON:\n%s", out.String())
	}
	if n := strings.Count(out.String(), `"kind": "moved"`); n != 4 {
		t.Errorf("%d moves in JSON, want 4", n)
	}
}
