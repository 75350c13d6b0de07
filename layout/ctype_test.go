package layout

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pyinc/pyinc/cparse"
)

// buildHeader runs the parse and Build on a one-file Python.h.
func buildHeader(t *testing.T, src string) *Model {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: parsing uses the host's C preprocessor setup")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed: the C front end cannot be configured")
	}
	inc := filepath.Join(t.TempDir(), "python3.99")
	if err := os.Mkdir(inc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inc, "Python.h"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := cparse.Parse(&cparse.Python{Version: "3.99.0", IncludeDirs: []string{inc}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(u, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestConstSpelled: the comments spell the types as the header declares
// them, every const in its place.
func TestConstSpelled(t *testing.T) {
	m := buildHeader(t, `typedef struct _o { long r; } PyObject;
typedef struct {
	const char *name; char *const cp; const char *const *pp;
	int (*fn)(const char *, PyObject *const *); long (*const h)(const void *);
	const int ci; const PyObject *arr[2];
} M;
extern PyObject *f1(PyObject *const *args, const char *const *kw, const char *fmt, ...);
extern const char *f2(const PyObject *, char *const p, int (*cb)(PyObject *const *));
extern const char *const *f3(void);
`)
	want := map[string]string{
		"f1":   "PyObject *f1(PyObject *const *args, const char *const *kw, const char *fmt, ...)",
		"f2":   "const char *f2(const PyObject *, char *const p, int (*cb)(PyObject *const *))",
		"f3":   "const char *const *f3(void)",
		"name": "const char *", "cp": "char *const", "pp": "const char *const *",
		"fn": "int (*)(const char *, PyObject *const *)", "h": "long (*const)(const void *)",
		"ci": "const int", "arr": "const PyObject *[2]",
	}
	got := map[string]string{}
	for _, s := range m.Symbols {
		got[s.Name] = s.Proto
	}
	for _, s := range m.Structs {
		for _, l := range s.Lines {
			got[l.Path] = l.CType
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: pyinc %q, header %q", k, got[k], w)
		}
	}
}
