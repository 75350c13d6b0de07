package crosscheck

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/layout"
)

// expected are the Pythons the machine is meant to have; a missing one
// skips with a message rather than passing silently.
var expected = []string{"2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"}

// generate runs pyinc's pipeline for py as pyinc gen does.
func generate(t testing.TB, py *cparse.Python, defines []cparse.Define) (*cparse.Unit, *layout.Model, []byte) {
	t.Helper()
	u, err := cparse.Parse(py, defines)
	if err != nil {
		t.Fatal(err)
	}
	opt := layout.Options{}
	if py.LibPython != "" {
		exp, err := cparse.Exports(py.LibPython)
		if err != nil {
			t.Fatal(err)
		}
		opt.Exports, opt.LibPython = exp, filepath.Base(py.LibPython)
	}
	m, err := layout.Build(u, opt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := emit.NASM(&buf, m, emit.Options{Generator: "pyinc test"}); err != nil {
		t.Fatal(err)
	}
	return u, m, buf.Bytes()
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
		py := py
		t.Run(testName(py), func(t *testing.T) {
			t.Parallel()
			u, m, inc := generate(t, py, nil)
			checkAgainstGCC(t, u, m, inc)
		})
	}
}

func checkAgainstGCC(t *testing.T, u *cparse.Unit, m *layout.Model, inc []byte) {
	p, err := Build(m, string(inc))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := p.Run(u, inc, t.TempDir())
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
	if p.Counts.Structs < 20 || p.Counts.Constants < 100 {
		t.Errorf("too little was checked: %v", p.Counts)
	}
	t.Logf("CPython %s %s: checked %v against gcc; %d mismatches", m.PyVersion, strings.Join(m.Config, " "), p.Counts, len(bad))
}
