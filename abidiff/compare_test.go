package abidiff

import (
	"testing"

	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/internal/testutil"
)

// summary reads back the include of the installed Python mm, skipping the
// test when there is none.
func summary(t *testing.T, mm string) *emit.Include {
	t.Helper()
	s, err := emit.Read(string(testutil.Generate(t, mm).Include))
	if err != nil {
		t.Fatal(err)
	}
	return s
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
			{Section: "struct", Name: "PyASCIIObject.state.ready", Kind: "bit-reused", Breaking: true},
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
			a := summary(t, c.from)
			b := summary(t, c.to)
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
