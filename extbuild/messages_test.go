package extbuild

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/project"
)

// TestNasmMessages: every message of a failing run is kept, in nasm's
// order and once; the last error is the failure; a line that uses a macro
// the include left out is named with the include's reason.
func TestNasmMessages(t *testing.T) {
	dir := t.TempDir()
	src := "section .text\nf:\n    PyUnicode_DATA rax, rdi\n.x: PyUnicode_KIND eax, rdi\n    mov eax, 1\n"
	if err := os.WriteFile(filepath.Join(dir, "m.asm"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	a := &assembler{dir: dir, scope: "with the limited API 3.8",
		leftOut: map[string]string{"PyUnicode_DATA": "hidden", "PyUnicode_KIND": "hidden"}}
	out := "m.asm:5: warning: something [-w+other]\n" +
		"m.asm:3: error: parser: instruction expected\n" +
		"m.asm:3: error: parser: instruction expected\n" +
		"m.asm:4: error: parser: instruction expected\n" +
		"m.asm:5: error: symbol `x' not defined\n"
	err := a.failure(a.messages(out), out, errors.New("exit status 1"))
	var be *Error
	if !errors.As(err, &be) {
		t.Fatalf("error %v, want an *Error", err)
	}
	wantNotes := []string{
		"warning: m.asm:5: something [-w+other]",
		"m.asm:3: PyUnicode_DATA is not available with the limited API 3.8: hidden",
		"m.asm:4: PyUnicode_KIND is not available with the limited API 3.8: hidden",
	}
	if be.Msg != "m.asm:5: error: symbol `x' not defined" || !reflect.DeepEqual(be.Notes, wantNotes) {
		t.Errorf("Msg %q, Notes %q; want the last error and %q", be.Msg, be.Notes, wantNotes)
	}
	// Output without nasm's messages: its first line.
	if err := a.failure(nil, "nasm: fatal-ish\n", errors.New("exit status 1")); err == nil || err.Error() != "nasm: fatal-ish" {
		t.Errorf("no messages: %v", err)
	}
}

// TestLeftOutAlone: a macro the include left out, alone on its line,
// assembles as a label (nasm only warns); the build stops there, naming it.
func TestLeftOutAlone(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	dir, tmp := t.TempDir(), t.TempDir()
	incDir := filepath.Join(tmp, "include")
	os.Mkdir(incDir, 0o755)
	os.WriteFile(filepath.Join(incDir, "python.inc"), []byte("; nothing\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "m.asm"), []byte("%include \"python.inc\"\nsection .text\nf:\n    Py_RETURN_NONE\n"), 0o644)
	a := assembler{dir: dir, incDir: incDir, tmp: tmp, scope: "for CPython 3.99.0",
		leftOut: map[string]string{"Py_RETURN_NONE": "PyObject's count has a layout pyinc does not know"}}
	_, err := a.module(project.Module{Name: "m", Sources: []string{"m.asm"}})
	want := "m.asm:4: Py_RETURN_NONE is not available for CPython 3.99.0: PyObject's count has a layout pyinc does not know"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
