package cparse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixture is a Python made of the headers in files (name -> text).
func fixture(t *testing.T, files map[string]string) *Python {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "python3.98")
	os.Mkdir(dir, 0o755)
	files["patchlevel.h"] = "#define PY_VERSION \"3.98.0\"\n"
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	py, err := FromIncludeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return py
}

const objectHeader = `typedef long Py_ssize_t;
typedef struct _typeobject PyTypeObject;
typedef struct _object { Py_ssize_t ob_refcnt; PyTypeObject *ob_type; } PyObject;
typedef struct { PyObject ob_base; Py_ssize_t ob_size; } PyVarObject;
#define PyObject_HEAD_INIT(type) { 1, type },
#define PyVarObject_HEAD_INIT(type, size) { PyObject_HEAD_INIT(type) size },
extern PyObject _Py_NoneStruct;
#define Py_None (&_Py_NoneStruct)
`

// TestProbes: what the headers define is probed and handed back by
// macro; what they do not define is absent.
func TestProbes(t *testing.T) {
	u, err := Parse(fixture(t, map[string]string{"Python.h": objectHeader}), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := u.Probes()
	var macros []string
	for _, in := range p.Inits {
		macros = append(macros, in.Macro)
		if in.Decl == nil {
			t.Errorf("%s: no declaration", in.Macro)
		}
	}
	if got := strings.Join(macros, " "); got != "PyObject_HEAD_INIT PyVarObject_HEAD_INIT" {
		t.Errorf("probed initializers %q, want PyObject_HEAD_INIT PyVarObject_HEAD_INIT", got)
	}
	if n := len(p.Inits); n == 2 && len(p.Inits[1].Params) != 2 {
		t.Errorf("PyVarObject_HEAD_INIT has %d parameters, want 2", len(p.Inits[1].Params))
	}
	var none []string
	for _, tok := range p.Expansions["Py_None"] {
		none = append(none, tok.SrcStr())
	}
	if !strings.Contains(strings.Join(none, " "), "_Py_NoneStruct") {
		t.Errorf("Py_None expands to %q, want the address of _Py_NoneStruct", none)
	}
	if _, ok := p.Expansions["Py_True"]; ok {
		t.Error("Py_True is not defined, yet it has an expansion")
	}
}

// TestUnfinishedDeclaration: headers that end inside a declaration are
// reported at the user's header and line, not at a source pyinc wrote.
func TestUnfinishedDeclaration(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"missing semicolon", map[string]string{"Python.h": "typedef long Py_ssize_t;\nint broken\n"}, "Python.h:2:"},
		{"unclosed struct", map[string]string{"Python.h": "typedef long Py_ssize_t;\nstruct a {\n  int x;\n\n"}, "Python.h:3:"},
		{"in an included header", map[string]string{"Python.h": "#include \"sub.h\"\n", "sub.h": "int a;\nint b\n"}, "sub.h:2:"},
		{"before the probes", map[string]string{"Python.h": objectHeader + "int broken\n"}, "Python.h:9:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(fixture(t, c.files), nil)
			if err == nil {
				t.Fatal("unfinished headers parsed")
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "<pyinc") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s", msg, c.want)
			}
		})
	}
}

func TestLastTokenLine(t *testing.T) {
	text := "# 1 \"<stdin>\"\n# 1 \"/inc/Python.h\" 1\ntypedef long x;\n\nint\n# 3 \"<stdin>\" 2\n\n"
	file, line, ok := lastTokenLine([]byte(text))
	if !ok || file != "/inc/Python.h" || line != 3 {
		t.Errorf("lastTokenLine = %s:%d %v, want /inc/Python.h:3", file, line, ok)
	}
}
