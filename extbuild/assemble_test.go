package extbuild

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/inccut"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/project"
)

// TestAssemblerChoosesTheInclude: nasm gets the include cut to what a
// source uses, and the whole include when the source builds names the cut
// cannot follow, when the cut run fails or speaks (so that the messages
// are the ones nasm gives by hand), for a debug build, and when NASMENV
// adds options; nasm's warnings are passed on. A nasm first on PATH logs
// each run's include directory.
func TestAssemblerChoosesTheInclude(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	real, _ := exec.LookPath("nasm")
	bin := t.TempDir()
	log := filepath.Join(bin, "log")
	wrapper := "#!/bin/sh\nfor a; do case $prev in -I) case $a in *include*) echo \"$a\" >> " + log + ";; esac;; esac; prev=$a; done\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "nasm"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	text, err := os.ReadFile(filepath.Join("..", "snapshots", "python3.12.inc"))
	if err != nil {
		t.Fatal(err)
	}
	cuts, ok := inccut.Parse(string(text))
	if !ok {
		t.Fatal("the 3.12 snapshot cannot be cut")
	}
	const head = "%include \"python.inc\"\nsection .data\n"
	for _, c := range []struct {
		name, src string
		debug     bool
		want      []string // the include directories nasm got, in order
		fails     string
		warnings  []string // what the build passes on of nasm's warnings
	}{
		{"uses names", head + "dq PyObject_size\n", false, []string{"include.1/"}, "", nil},
		{"builds names", head + "dq PyObject%+_size\n", false, []string{"include/"}, "", nil},
		{"warns with the cut", head + "dq PyObject_size\n%warning look\ndb 300\n", false, []string{"include.1/", "include/"}, "",
			[]string{"m.asm:4: look [-w+user]", "m.asm:5: byte data exceeds bounds [-w+number-overflow]"}},
		{"fails with the cut", head + "PY_BF_LOAD xmm0, rdi, PyASCIIObject.state.kind\n", false,
			[]string{"include.1/", "include/"}, "xmm0 is not a 32- or 64-bit general register", nil},
		// The checks' helpers are named after the check: the cut keeps them.
		{"type checks with the cut", "%include \"python.inc\"\nsection .text\nPY_JUMP_IF rdi, PyFloat_Check, .x\nPY_JUMP_UNLESS rdi, PyLong_CheckExact, .x\n.x: ret\n",
			false, []string{"include.1/"}, "", nil},
		{"a check the include has not", "%include \"python.inc\"\nsection .text\nPY_JUMP_IF rdi, PyNope_Check, .x\n.x: ret\n",
			false, []string{"include.1/", "include/"}, "PyNope_Check is not a type check of this include", nil},
		{"debug", head + "dq PyObject_size\n", true, []string{"include/"}, "", nil},
		{"NASMENV", head + "dq PyObject_size\n", false, []string{"include/"}, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "NASMENV" {
				t.Setenv("NASMENV", "-w+all") // options the cut cannot see
			}
			os.Remove(log)
			dir, tmp := t.TempDir(), t.TempDir()
			incDir := filepath.Join(tmp, "include")
			os.Mkdir(incDir, 0o755)
			os.WriteFile(filepath.Join(incDir, inccut.IncludeName), text, 0o644)
			os.WriteFile(filepath.Join(dir, "m.asm"), []byte(c.src), 0o644)
			a := assembler{dir: dir, incDir: incDir, tmp: tmp, debug: c.debug}
			if !c.debug {
				a.cuts = cuts
			}
			_, err := a.module(project.Module{Name: "m", Sources: []string{"m.asm"}})
			if c.fails == "" && err != nil || c.fails != "" && (err == nil || !strings.Contains(everything(err), c.fails)) {
				t.Errorf("error %v, want %q", err, c.fails)
			}
			logged, _ := os.ReadFile(log)
			var got []string
			for _, l := range strings.Fields(string(logged)) {
				got = append(got, strings.TrimPrefix(l, tmp+"/"))
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("nasm got the include from %q, want %q", got, c.want)
			}
			if strings.Join(a.warnings, "\n") != strings.Join(c.warnings, "\n") {
				t.Errorf("nasm's warnings passed on as %q, want %q", a.warnings, c.warnings)
			}
		})
	}
}

// TestAssemblerNamesTheInclude: nasm's messages about the include name it
// as the user knows it, not by the build's temporary directory.
func TestAssemblerNamesTheInclude(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	text, err := os.ReadFile(filepath.Join("..", "snapshots", "python3.12.inc"))
	if err != nil {
		t.Fatal(err)
	}
	dir, tmp := t.TempDir(), t.TempDir()
	incDir := filepath.Join(tmp, "include")
	os.Mkdir(incDir, 0o755)
	if err := os.WriteFile(filepath.Join(incDir, inccut.IncludeName), text, 0o644); err != nil {
		t.Fatal(err)
	}
	// The include's own Py_XINCREF then redefines the source's: a warning
	// at a line of the include.
	src := "%macro Py_XINCREF 1\n%endmacro\n%include \"python.inc\"\n"
	if err := os.WriteFile(filepath.Join(dir, "m.asm"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	a := assembler{dir: dir, incDir: incDir, tmp: tmp, incLabel: "python.inc (CPython 3.12.1)"}
	if _, err := a.module(project.Module{Name: "m", Sources: []string{"m.asm"}}); err != nil {
		t.Fatal(err)
	}
	if len(a.warnings) == 0 {
		t.Fatal("no warning for a macro the include redefines")
	}
	for _, w := range a.warnings {
		if !strings.HasPrefix(w, "python.inc (CPython 3.12.1):") || strings.Contains(w, tmp) {
			t.Errorf("warning %q: want it to name python.inc (CPython 3.12.1), not a temporary path", w)
		}
	}
}

// TestNotShadowed: a file of the include's name where nasm would look for
// it (the project directory, a source's directory, NASMENV's -I
// directories, with the name's own directories) stops the build unless it
// is the include being built with; a hand-written one is called so.
func TestNotShadowed(t *testing.T) {
	py := &cparse.Python{Version: "3.12.1"}
	include := []byte("; python.inc for CPython 3.12.1, generated by pyinc 0.1.0 from the Python headers. DO NOT EDIT.\n")
	other := []byte("; python.inc for CPython 3.11.2, generated by pyinc 0.1.0 from the Python headers. DO NOT EDIT.\n")
	hand := []byte("; my own python.inc\n")
	for _, c := range []struct {
		name, incName, file, nasmenv string
		data                         []byte
		want                         string
	}{
		{"none", "python.inc", "", "", nil, ""},
		{"the same", "python.inc", "python.inc", "", include, ""},
		{"another Python's", "python.inc", "python.inc", "", other, "python.inc in the project is not the include for CPython 3.12.1"},
		{"hand-written", "python.inc", "python.inc", "", hand, "python.inc in the project is a hand-written include"},
		{"in the source's directory", "python.inc", "src/python.inc", "", hand, "src/python.inc in the project is a hand-written include"},
		{"named, in place", "asm/python.inc", "asm/python.inc", "", hand, "asm/python.inc in the project is a hand-written include"},
		{"named, elsewhere", "asm/python.inc", "python.inc", "", hand, ""},
		{"named, beside the source", "asm/python.inc", "src/asm/python.inc", "", other, "src/asm/python.inc in the project is not the include"},
		{"NASMENV -I", "python.inc", "extra/python.inc", "-w+all -I extra/", hand, "extra/python.inc in the project is a hand-written include"},
		{"NASMENV -Idir", "python.inc", "extra/python.inc", "-Iextra/", hand, "extra/python.inc in the project is a hand-written include"},
		{"unreadable", "python.inc", "python.inc/", "", nil, "cannot be read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("NASMENV", c.nasmenv)
			dir := t.TempDir()
			p := &project.Project{Dir: dir, Modules: []project.Module{{Name: "m", Sources: []string{"src/m.asm"}}}}
			if c.file != "" {
				path := filepath.Join(dir, c.file)
				os.MkdirAll(filepath.Dir(path), 0o755)
				if c.data == nil {
					os.Mkdir(path, 0o755) // a directory: cannot be read as a file
				} else if err := os.WriteFile(path, c.data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := notShadowed(p, c.incName, include, py)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// everything is what a build error shows: nasm's other messages, then
// the error.
func everything(err error) string {
	var be *Error
	if errors.As(err, &be) {
		return strings.Join(append(be.Notes, be.Msg), "\n")
	}
	return err.Error()
}
