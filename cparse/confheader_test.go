package cparse

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWithConfigHeader: the view shows the Python's headers with the given
// configuration header as pyconfig.h (the Python's own hidden), is the same
// directory run after run, and is not one a directory of that name made
// by someone else (writable by others) would replace.
func TestWithConfigHeader(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	inc := filepath.Join(t.TempDir(), "Include")
	os.MkdirAll(filepath.Join(inc, "cpython"), 0o755)
	os.WriteFile(filepath.Join(inc, "Python.h"), []byte("#include \"pyconfig.h\"\n"), 0o644)
	os.WriteFile(filepath.Join(inc, "cpython", "object.h"), []byte("/* object */\n"), 0o644)
	os.WriteFile(filepath.Join(inc, "pyconfig.h"), []byte("#define LINUX 1\n"), 0o644)
	win := filepath.Join(t.TempDir(), "pyconfig.h.in")
	os.WriteFile(win, []byte("#define MS_WINDOWS\n"), 0o644)
	py := &Python{Version: "3.13.0", IncludeDirs: []string{inc, "/elsewhere"}}
	v1, err := WithConfigHeader(py, win)
	if err != nil {
		t.Fatal(err)
	}
	view := v1.IncludeDirs[0]
	if len(v1.IncludeDirs) != 1 || v1.ConfigHeader != win || py.IncludeDirs[0] != inc {
		t.Fatalf("view %v, header %q; the original changed: %v", v1.IncludeDirs, v1.ConfigHeader, py.IncludeDirs)
	}
	for file, want := range map[string]string{"pyconfig.h": "#define MS_WINDOWS\n", "Python.h": "#include \"pyconfig.h\"\n", "cpython/object.h": "/* object */\n"} {
		if b, err := os.ReadFile(filepath.Join(view, file)); err != nil || string(b) != want {
			t.Errorf("%s in the view: %q, %v; want %q", file, b, err, want)
		}
	}
	v2, err := WithConfigHeader(py, win)
	if err != nil || v2.IncludeDirs[0] != view {
		t.Errorf("a second view: %v, %v; want the same %s", v2.IncludeDirs, err, view)
	}
	// Someone else's directory of that name is not used.
	os.RemoveAll(view)
	os.MkdirAll(view, 0o777)
	os.Chmod(view, 0o777)
	os.WriteFile(filepath.Join(view, "pyconfig.h"), []byte("#define MS_WINDOWS\n"), 0o644)
	v3, err := WithConfigHeader(py, win)
	if err != nil || v3.IncludeDirs[0] == view {
		t.Errorf("a world-writable directory of the view's name was used: %v, %v", v3.IncludeDirs, err)
	}
	if _, err := WithConfigHeader(py, filepath.Join(t.TempDir(), "missing.h")); err == nil {
		t.Error("a missing configuration header was accepted")
	}
}

// TestSourceConfigHeader: a source tree's PC/pyconfig.h, else
// PC/pyconfig.h.in; none for a directory not named Include.
func TestSourceConfigHeader(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "Include"), 0o755)
	os.MkdirAll(filepath.Join(root, "PC"), 0o755)
	if h := SourceConfigHeader(filepath.Join(root, "Include")); h != "" {
		t.Errorf("no header yet, got %s", h)
	}
	os.WriteFile(filepath.Join(root, "PC", "pyconfig.h.in"), nil, 0o644)
	if h := SourceConfigHeader(filepath.Join(root, "Include")); h != filepath.Join(root, "PC", "pyconfig.h.in") {
		t.Errorf("got %q", h)
	}
	os.WriteFile(filepath.Join(root, "PC", "pyconfig.h"), nil, 0o644)
	if h := SourceConfigHeader(filepath.Join(root, "Include") + "/"); h != filepath.Join(root, "PC", "pyconfig.h") {
		t.Errorf("got %q", h)
	}
	if h := SourceConfigHeader(filepath.Join(root, "PC")); h != "" {
		t.Errorf("not an Include/: got %q", h)
	}
}
