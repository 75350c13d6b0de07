package snapshots

import (
	"testing"

	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/layout"
)

// generate makes the include for the installed Python whose version starts
// with mm, skipping the test when there is none.
func generate(t *testing.T, mm string) (*Summary, *layout.Model) {
	t.Helper()
	for _, py := range testutil.AllPythons(t) {
		if py.MajorMinor() == mm && !py.IsDebug() {
			inc, m, err := pipeline.Generate(py, nil)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Read(string(inc))
			if err != nil {
				t.Fatal(err)
			}
			return s, m
		}
	}
	t.Skipf("Python %s is not installed", mm)
	return nil, nil
}

// TestKnownDifferences: the diff finds what is known to have changed
// between versions, read from the real headers.
func TestKnownDifferences(t *testing.T) {
	cases := []struct {
		from, to string
		want     []Change // Section, Name, Kind, Breaking must match
	}{
		{"3.11", "3.12", []Change{
			{Section: "struct", Name: "PyASCIIObject.wstr", Kind: "removed", Breaking: true},
			{Section: "struct", Name: "PyTypeObject.tp_watched", Kind: "added"},
			{Section: "struct", Name: "PyObject.ob_refcnt", Kind: "now-union", Breaking: true},
			{Section: "struct", Name: "PyObject.ob_refcnt_split", Kind: "added"},
		}},
		{"3.13", "3.14", []Change{
			{Section: "struct", Name: "PyObject.ob_refcnt", Kind: "resized", Breaking: true},
			{Section: "struct", Name: "PyObject.ob_refcnt_full", Kind: "added"},
			{Section: "struct", Name: "PyObject.ob_flags", Kind: "added"},
			{Section: "struct", Name: "PyTupleObject.ob_hash", Kind: "added"},
		}},
		{"3.6", "3.8", []Change{
			{Section: "struct", Name: "PyTypeObject.tp_print", Kind: "moved", Breaking: true},
			{Section: "struct", Name: "PyTypeObject.tp_vectorcall", Kind: "added"},
		}},
	}
	for _, c := range cases {
		t.Run(c.from+"-"+c.to, func(t *testing.T) {
			a, _ := generate(t, c.from)
			b, _ := generate(t, c.to)
			r := Compare(a, b)
			for _, w := range c.want {
				found := false
				for _, g := range r.Changes {
					if g.Section == w.Section && g.Name == w.Name && g.Kind == w.Kind && g.Breaking == w.Breaking {
						found = true
						t.Logf("found: %s %s: %s", g.Section, g.Name, g.Detail)
					}
				}
				if !found {
					t.Errorf("%s -> %s: no %s change %q of kind %s (breaking %v)", c.from, c.to, w.Section, w.Name, w.Kind, w.Breaking)
				}
			}
			// Breaking changes come first.
			seenOther := false
			for _, g := range r.Changes {
				if !g.Breaking {
					seenOther = true
				} else if seenOther {
					t.Fatalf("breaking change %s after a non-breaking one", g.Name)
				}
			}
			if len(Compare(a, a).Changes) != 0 {
				t.Errorf("an include differs from itself")
			}
		})
	}
}

// TestReadMatchesModel: reading an include back gives the model's numbers,
// so the diff compares what the include really says.
func TestReadMatchesModel(t *testing.T) {
	s, m := generate(t, "3.12")
	byName := map[string]*StructInfo{}
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
		mem := map[string]MemberInfo{}
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
			if x := mem[b.Path]; !x.Bitfield || x.Offset != b.Offset || x.Width != b.Width || x.Shift != b.Shift {
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
	t.Logf("read back %d structs, %d members, %d constants, %d symbols", len(m.Structs), n, consts, externs)
}

// TestUnified checks the unified format on a small case worked out by hand.
func TestUnified(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n"
	b := "1\n2\n3\n4\nfive\n6\n7\n8\n9\nten\n"
	want := `--- a
+++ b
@@ -2,8 +2,9 @@
 2
 3
 4
-5
+five
 6
 7
 8
 9
+ten
`
	if got := Unified(a, b, "a", "b", 3, -1); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := Unified(a, a, "a", "b", 3, -1); got != "--- a\n+++ b\n" {
		t.Errorf("equal inputs: %q", got)
	}
}
