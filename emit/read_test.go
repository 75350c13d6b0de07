package emit_test

import (
	"testing"

	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/internal/testutil"
)

// TestReadMatchesModel: reading an include back gives the model's numbers,
// so the diff compares what the include really says.
func TestReadMatchesModel(t *testing.T) {
	r := testutil.Generate(t, "3.12")
	m := r.Model
	s, err := emit.Read(string(r.Include))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*emit.StructInfo{}
	for _, st := range s.Structs {
		byName[st.Name] = st
	}
	n := 0
	for _, st := range m.Structs {
		got := byName[st.Name]
		if got == nil || got.Size != st.Size {
			t.Errorf("struct %s: read %+v, model size %d", st.Name, got, st.Size)
			continue
		}
		mem := map[string]emit.MemberInfo{}
		for _, x := range got.Members {
			mem[x.Path] = x
		}
		check := func(path string, off, size int64, alt bool) {
			x, ok := mem[path]
			if !ok || x.Offset != off || x.Size != size || x.Alt != alt {
				t.Errorf("%s.%s: read %+v, model @%d size %d", st.Name, path, x, off, size)
			}
			n++
		}
		for _, l := range st.Lines {
			if l.Path != "" {
				check(l.Path, l.Offset, l.Size, false)
			}
		}
		for _, a := range st.Alts {
			check(a.Path, a.Offset, a.Size, true)
		}
		for _, b := range st.Bitfields {
			if x := mem[b.Path]; !x.Bitfield || x.Offset != b.Offset || x.Width != b.Width || x.Shift != b.Shift || int64(x.Unit) != b.Unit {
				t.Errorf("%s.%s: read %+v, model %+v", st.Name, b.Path, x, b)
			}
			n++
		}
	}
	consts := 0
	for _, c := range m.Constants {
		if _, ok := s.Constants[c.Name]; !ok {
			t.Errorf("constant %s not read", c.Name)
		}
		consts++
	}
	externs := 0
	for _, sym := range m.Symbols {
		if _, ok := s.Externs[sym.Name]; ok == sym.NotInLib {
			t.Errorf("EXTERN %s: read %v, not in lib %v", sym.Name, ok, sym.NotInLib)
		}
		externs++
	}
	names := 0
	for _, st := range m.Structs {
		want := []string{st.Name, st.Name + "_size"}
		for _, l := range st.Lines {
			if l.Path != "" {
				want = append(want, st.Name+"."+l.Path)
			}
		}
		for _, b := range st.Bitfields {
			want = append(want, st.Name+"."+b.Path, st.Name+"."+b.Path+"_MASK", st.Name+"."+b.Path+"_UNIT")
		}
		for _, n := range want {
			if !s.Names[n] {
				t.Errorf("name %s not read", n)
			}
			names++
		}
	}
	for _, n := range []string{"Py_INCREF", "METH_O", "PyModule_Create2", "PyModuleDef_HEAD_INIT"} {
		if !s.Names[n] {
			t.Errorf("name %s not read", n)
		}
	}
	if s.Names["ENDSTRUC"] || s.Names["resq"] {
		t.Errorf("keywords read as names")
	}
	t.Logf("read back %d names", names)
	t.Logf("read back %d structs, %d members, %d constants, %d symbols", len(m.Structs), n, consts, externs)
}
