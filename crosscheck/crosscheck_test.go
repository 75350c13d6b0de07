package crosscheck

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/layout"
)

// expected are the Pythons the machine is meant to have; a missing one
// skips with a message rather than passing silently.
var expected = []string{"2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"}

// generate runs pyinc's pipeline for py as pyinc gen does.
func generate(t testing.TB, py *cparse.Python, defines []cparse.Define) (*cparse.Unit, *layout.Model, []byte) {
	t.Helper()
	r, err := pipeline.Run(py, defines)
	if err != nil {
		t.Fatal(err)
	}
	return r.Unit, r.Model, r.Include
}

func needTools(t *testing.T, tools ...string) { testutil.NeedTools(t, tools...) }

// installed lists the Pythons found, each with a test name, and skips a
// subtest for each expected version that is missing.
func installed(t *testing.T) []*cparse.Python {
	all := cparse.Discover()
	for _, v := range expected {
		found := false
		for _, p := range all {
			found = found || p.MajorMinor() == v
		}
		if !found {
			t.Run("missing-"+v, func(t *testing.T) { t.Skipf("Python %s is not installed: not checked", v) })
		}
	}
	if len(all) == 0 {
		t.Skip("no Python with headers is installed: nothing to check")
	}
	return all
}

func testName(p *cparse.Python) string { return testutil.Name(p) }

// TestAgainstGCC checks every struct size, member offset and width,
// bitfield, constant and initializer of the include against gcc, for every
// installed Python.
func TestAgainstGCC(t *testing.T) {
	needTools(t, "gcc", "nasm")
	for _, py := range installed(t) {
		t.Run(testName(py), func(t *testing.T) {
			t.Parallel()
			u, m, inc := generate(t, py, nil)
			checkAgainstGCC(t, u, m, inc)
		})
	}
}

func checkAgainstGCC(t *testing.T, u *cparse.Unit, m *layout.Model, inc []byte) {
	p, bad, err := Check(u, m, inc, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bad {
		if i == 50 {
			t.Errorf("... and %d more", len(bad)-50)
			break
		}
		t.Error(b)
	}
	if p.Counts.Structs < 8 || p.Counts.Members < 40 || p.Counts.Constants < 100 {
		t.Errorf("too little was checked: %v", p.Counts)
	}
	t.Logf("CPython %s %s: checked %v against gcc; %d mismatches", m.PyVersion, strings.Join(m.Config, " "), p.Counts, len(bad))
}

// variants are the build configurations checked for every Python whose
// headers know them.
var variants = []struct {
	name    string
	since   [2]int // first Python version the variant applies to
	defines func(py *cparse.Python) []cparse.Define
}{
	{"debug", [2]int{2, 7}, func(*cparse.Python) []cparse.Define { return []cparse.Define{{Name: "Py_DEBUG", Value: "1"}} }},
	{"tracerefs", [2]int{2, 7}, func(*cparse.Python) []cparse.Define { return []cparse.Define{{Name: "Py_TRACE_REFS", Value: "1"}} }},
	{"freethreaded", [2]int{3, 13}, func(*cparse.Python) []cparse.Define { return []cparse.Define{{Name: "Py_GIL_DISABLED", Value: "1"}} }},
	{"limited-3.6", [2]int{3, 6}, func(*cparse.Python) []cparse.Define {
		return []cparse.Define{{Name: "Py_LIMITED_API", Value: "0x03060000"}}
	}},
	{"limited-own", [2]int{3, 6}, func(py *cparse.Python) []cparse.Define {
		major, minor := version(py)
		return []cparse.Define{{Name: "Py_LIMITED_API", Value: fmt.Sprintf("0x%02X%02X0000", major, minor)}}
	}},
}

func version(py *cparse.Python) (major, minor int) {
	fmt.Sscanf(py.Version, "%d.%d", &major, &minor)
	return
}

// TestVariantsAgainstGCC runs the gcc cross-check for every installed
// Python under each build configuration its headers accept.
func TestVariantsAgainstGCC(t *testing.T) {
	needTools(t, "gcc", "nasm")
	for _, py := range installed(t) {
		for _, v := range variants {
			py, v := py, v
			t.Run(testName(py)+"/"+v.name, func(t *testing.T) {
				major, minor := version(py)
				if major*100+minor < v.since[0]*100+v.since[1] {
					t.Skipf("Python %s predates %s (%d.%d)", py.Version, v.name, v.since[0], v.since[1])
				}
				t.Parallel()
				defines := v.defines(py)
				u, err := cparse.Parse(py, defines)
				if err != nil && strings.Contains(err.Error(), "refuse this configuration") {
					t.Skipf("the headers refuse it: %v", err)
				}
				if err != nil {
					t.Fatal(err)
				}
				_, m, inc := generate(t, py, defines)
				checkAgainstGCC(t, u, m, inc)
				checkVariantFacts(t, py, v.name, m, inc)
			})
		}
	}
}

// checkVariantFacts checks what a variant must change beyond the numbers
// gcc confirms: the refcount scheme and the names the headers rename.
func checkVariantFacts(t *testing.T, py *cparse.Python, variant string, m *layout.Model, inc []byte) {
	if m.RefCount == nil {
		t.Errorf("no reference counting macros: %v", m.Omitted)
		return
	}
	major, _ := version(py)
	switch variant {
	case "debug", "limited-3.6", "limited-own":
		if major == 3 && m.RefCount.Kind != layout.RefCall {
			t.Errorf("%s: refcount macros should call the exported functions, got scheme %q", variant, m.RefCount.Why)
		}
	case "freethreaded":
		// Release builds count references inline, biased by thread
		// (TestRefcountMacros runs them against gcc's).
		if want := map[bool]layout.RefKind{true: layout.RefCall, false: layout.RefBiased}[py.IsDebug()]; m.RefCount.Kind != want {
			t.Errorf("%s: refcount scheme %q, want kind %d", variant, m.RefCount.Why, want)
		}
	case "tracerefs":
		// Through 3.12 the headers rename it (3.13 dropped the rename);
		// the rename itself is checked against gcc with the other aliases.
		renamed := false
		for _, s := range m.Symbols {
			renamed = renamed || s.Name == "PyModule_Create2TraceRefs"
		}
		if renamed && !bytes.Contains(inc, []byte("%define PyModule_Create2 PyModule_Create2TraceRefs")) {
			t.Errorf("trace-refs: the headers declare PyModule_Create2TraceRefs, the include does not rename PyModule_Create2 to it")
		}
	}
}

// TestTreeAgainstGCC runs the gcc cross-check for the newest Pythons, from
// the Debian unstable tree (make pythons): 3.14 and 3.15, release and
// debug, each also free-threaded.
func TestTreeAgainstGCC(t *testing.T) {
	needTools(t, "gcc", "nasm")
	all := testutil.TreePythons(t)
	for _, want := range []string{"3.14", "3.15"} {
		found := 0
		for _, p := range all {
			if p.MajorMinor() == want {
				found++
			}
		}
		if found < 2 {
			t.Errorf("the tree lacks the release or debug build of %s", want)
		}
	}
	for _, py := range all {
		for _, v := range []struct {
			name    string
			defines []cparse.Define
		}{{"base", nil}, {"freethreaded", []cparse.Define{{Name: "Py_GIL_DISABLED", Value: "1"}}},
			{"abi3t", []cparse.Define{{Name: "Py_TARGET_ABI3T", Value: "0x030F0000"}, {Name: "Py_LIMITED_API", Value: "0x030F0000"}}}} {
			py, v := py, v
			t.Run(testName(py)+"/"+v.name, func(t *testing.T) {
				if v.name == "abi3t" && py.MajorMinor() == "3.14" {
					t.Skip("abi3t starts at 3.15 (PEP 803)")
				}
				t.Parallel()
				u, m, inc := generate(t, py, v.defines)
				checkAgainstGCC(t, u, m, inc)
				if m.RefCount == nil {
					t.Fatalf("no reference counting macros: %v", m.Omitted)
				}
				want := layout.RefU32
				switch {
				case py.IsDebug() || v.name == "abi3t":
					want = layout.RefCall
				case v.name == "freethreaded":
					want = layout.RefBiased
				}
				if v.name == "abi3t" && bytes.Contains(inc, []byte("STRUC PyObject\n")) {
					t.Errorf("abi3t: PyObject is laid out; the headers make it opaque")
				}
				if m.RefCount.Kind != want {
					t.Errorf("refcount scheme %q, want kind %d", m.RefCount.Why, want)
				}
			})
		}
	}
}
