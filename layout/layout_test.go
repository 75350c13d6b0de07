package layout

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
)

// The fast tier: layout's model of testdata/python3.98/Python.h. The
// expected numbers are gcc's for the same header (see its comment); the
// gcc-checked suite in crosscheck stays the ground truth for real Pythons.

func testModel(t *testing.T, exports map[string]bool, defines ...cparse.Define) *Model {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler: the C front end cannot be configured")
	}
	py, err := cparse.FromIncludeDir(filepath.Join("testdata", "python3.98"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := cparse.Parse(py, defines)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(u, Options{Exports: exports, LibPython: "libpython3.98.so.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func findStruct(t *testing.T, m *Model, name string) *Struct {
	t.Helper()
	for _, s := range m.Structs {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no struct %s in the model", name)
	return nil
}

// offsetOf finds a named member among the lines and alternatives.
func offsetOf(s *Struct, path string) (int64, bool) {
	for _, l := range append(append([]Member{}, s.Lines...), s.Alts...) {
		if l.Path == path {
			return l.Offset, true
		}
	}
	return 0, false
}

func TestStructLayouts(t *testing.T) {
	m := testModel(t, nil)
	if m.PyVersion != "3.98.4" {
		t.Errorf("PyVersion %q", m.PyVersion)
	}
	for _, c := range []struct {
		name        string
		size, align int64
		offsets     map[string]int64
	}{
		{"PyObject", 16, 8, map[string]int64{"ob_refcnt": 0, "ob_type": 8}},
		{"PyVarObject", 24, 8, map[string]int64{"ob_base": 0, "ob_size": 16}},
		{"PyTypeObject", 40, 8, map[string]int64{"tp_name": 24, "tp_flags": 32}},
		{"Pad", 24, 8, map[string]int64{"c": 0, "d": 8, "s": 16}},
		{"Bits", 12, 4, map[string]int64{"after": 8}},
		{"U", 16, 8, map[string]int64{"i": 0, "d": 0, "bytes": 0}},
		{"Anon", 24, 8, map[string]int64{"x": 0, "l": 8, "f": 8, "pair": 16, "pair.a": 16, "pair.b": 18}},
		{"Packed", 5, 1, map[string]int64{"c": 0, "i": 1}},
		{"Aligned", 32, 16, map[string]int64{"c": 0, "i": 16}},
		{"Flex", 8, 8, map[string]int64{"n": 0, "items": 8}},
	} {
		s := findStruct(t, m, c.name)
		if s.Size != c.size || s.Align != c.align {
			t.Errorf("%s: size %d align %d, gcc says %d and %d", c.name, s.Size, s.Align, c.size, c.align)
		}
		for path, want := range c.offsets {
			if got, ok := offsetOf(s, path); !ok || got != want {
				t.Errorf("%s.%s: offset %d (found %v), gcc says %d", c.name, path, got, ok, want)
			}
		}
		// Lines cover the struct without gaps or overlaps.
		var end int64
		for _, l := range s.Lines {
			if l.Offset != end && !(s.Union && l.Offset == 0) {
				t.Errorf("%s: line %q at %d, previous ended at %d", c.name, l.Path, l.Offset, end)
			}
			end = max(end, l.Offset+l.Size)
		}
		if end != s.Size && !hasFlexible(s) {
			t.Errorf("%s: lines end at %d, size %d", c.name, end, s.Size)
		}
	}
}

func hasFlexible(s *Struct) bool {
	for _, l := range s.Lines {
		if l.Flexible {
			return true
		}
	}
	return false
}

// TestBitfields: gcc sets kind to all ones as byte 0 = 0x07, compact as
// byte 0 = 0x08, and tail (after a zero-width field) as byte 4 = 0x7f.
func TestBitfields(t *testing.T) {
	s := findStruct(t, testModel(t, nil), "Bits")
	got := map[string]Bitfield{}
	for _, b := range s.Bitfields {
		got[b.Path] = b
	}
	for path, want := range map[string]struct {
		offset      int64
		shift, bits int
	}{"kind": {0, 0, 3}, "compact": {0, 3, 1}, "tail": {4, 0, 7}} {
		b, ok := got[path]
		if !ok {
			t.Errorf("no bitfield %s", path)
			continue
		}
		firstByte := b.Offset + int64(b.Shift/8)
		if firstByte != want.offset || b.Shift%8 != want.shift || b.Width != want.bits {
			t.Errorf("%s: unit at %d, shift %d, width %d; gcc puts it at byte %d bit %d, %d bits", path, b.Offset, b.Shift, b.Width, want.offset, want.shift, want.bits)
		}
		if b.Mask != ((1<<b.Width)-1)<<b.Shift {
			t.Errorf("%s: mask %#x is not width %d at shift %d", path, b.Mask, b.Width, b.Shift)
		}
		if b.Offset+b.Unit > s.Size {
			t.Errorf("%s: a %d-byte load at %d reads past the struct", path, b.Unit, b.Offset)
		}
	}
}

func TestConstants(t *testing.T) {
	m := testModel(t, nil)
	got := map[string]Constant{}
	for _, c := range m.Constants {
		got[c.Name] = c
	}
	ints := map[string]int64{"ANSWER": 42, "HEXFLAG": 2147483648, "NEGATIVE": -7, "RED": 0, "GREEN": 5, "BLUE": 6, "NEG": -3}
	for name, want := range ints {
		c, ok := got[name]
		if !ok || c.Kind != IntConst || int64(c.Bits) != want {
			t.Errorf("%s: %+v (found %v), want %d", name, c, ok, want)
		}
	}
	if c := got["NAME"]; c.Kind != StringConst || c.Str != "pyinc" {
		t.Errorf("NAME: %+v", c)
	}
	if _, ok := got["PyObject_HEAD_INIT"]; ok {
		t.Errorf("a function-like macro became a constant")
	}
}

func TestSymbolsAgainstExports(t *testing.T) {
	exports := map[string]bool{"PyLong_FromLong": true, "PyFloat_AsDouble": true, "PyArg_ParseTuple": true, "_Py_NoneStruct": true}
	m := testModel(t, exports)
	got := map[string]Symbol{}
	for _, s := range m.Symbols {
		got[s.Name] = s
	}
	for name := range exports {
		s, ok := got[name]
		if !ok || s.NotInLib {
			t.Errorf("%s: %+v (found %v)", name, s, ok)
		}
	}
	if s, ok := got["Py_Unexported"]; ok && !s.NotInLib {
		t.Errorf("Py_Unexported is not exported, yet stands as a symbol: %+v", s)
	}
	if s := got["_Py_NoneStruct"]; s.Func {
		t.Errorf("_Py_NoneStruct is data")
	}
	if s := got["PyArg_ParseTuple"]; !s.Func || !s.Variadic {
		t.Errorf("PyArg_ParseTuple: %+v", s)
	}
	if !m.ExportsChecked || m.LibPython != "libpython3.98.so.1.0" {
		t.Errorf("ExportsChecked %v, LibPython %q", m.ExportsChecked, m.LibPython)
	}
}

// TestHeadInit: the bytes of PyObject_HEAD_INIT(type) as C initializes
// them: a count of 1, then the type's address, which the model marks as
// the parameter.
func TestHeadInit(t *testing.T) {
	m := testModel(t, nil)
	for _, in := range m.Inits {
		if in.Name != "PyObject_HEAD_INIT" {
			continue
		}
		if len(in.Bytes) != 16 || in.Bytes[0] != 1 || strings.Trim(string(in.Bytes[1:8]), "\x00") != "" {
			t.Errorf("bytes % x", in.Bytes)
		}
		if !reflect.DeepEqual(in.Params, []Param{{Name: "type", Offset: 8, Size: 8}}) {
			t.Errorf("params %+v", in.Params)
		}
		return
	}
	t.Errorf("no PyObject_HEAD_INIT in the model: %+v", m.Inits)
}

func TestConfigReported(t *testing.T) {
	m := testModel(t, nil, cparse.Define{Name: "Py_DEBUG", Value: "1"}, cparse.Define{Name: "Py_LIMITED_API", Value: "0x03080000"})
	if !reflect.DeepEqual(m.Config, []string{"Py_DEBUG", "Py_LIMITED_API=0x03080000"}) {
		t.Errorf("Config %v", m.Config)
	}
}
