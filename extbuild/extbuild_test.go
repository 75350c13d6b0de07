package extbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
)

func TestTags(t *testing.T) {
	cases := []struct {
		py                         cparse.Python
		limited                    string
		wantPy, wantABI, wantSuffx string
	}{
		{cparse.Python{Version: "3.7.16", ExtSuffix: ".cpython-37m-x86_64-linux-gnu.so", ABIFlags: "m"}, "", "cp37", "cp37m", ".cpython-37m-x86_64-linux-gnu.so"},
		{cparse.Python{Version: "3.12.1", ExtSuffix: ".cpython-312-x86_64-linux-gnu.so"}, "", "cp312", "cp312", ".cpython-312-x86_64-linux-gnu.so"},
		{cparse.Python{Version: "3.11.2", ExtSuffix: ".cpython-311d-x86_64-linux-gnu.so", Defines: []string{"Py_DEBUG"}}, "", "cp311", "cp311d", ".cpython-311d-x86_64-linux-gnu.so"},
		{cparse.Python{Version: "3.13.0", ExtSuffix: ".cpython-313t-x86_64-linux-gnu.so", Defines: []string{"Py_GIL_DISABLED"}}, "", "cp313", "cp313t", ".cpython-313t-x86_64-linux-gnu.so"},
		// Without an EXT_SUFFIX that spells them, the interpreter's ABI flags.
		{cparse.Python{Version: "3.6.15", ExtSuffix: ".so", ABIFlags: "m"}, "", "cp36", "cp36m", ".so"},
		{cparse.Python{Version: "3.12.1", ExtSuffix: ".cpython-312-x86_64-linux-gnu.so"}, "3.8", "cp38", "abi3", ".abi3.so"},
		{cparse.Python{Version: "3.10.13", ExtSuffix: ".cpython-310-x86_64-linux-gnu.so"}, "3.10", "cp310", "abi3", ".abi3.so"},
	}
	for _, c := range cases {
		py, abi, suffix, err := Tags(&c.py, c.limited)
		if err != nil || py != c.wantPy || abi != c.wantABI || suffix != c.wantSuffx {
			t.Errorf("Tags(%s %s, %q) = %s %s %s %v; want %s %s %s", c.py.Version, c.py.ExtSuffix, c.limited, py, abi, suffix, err, c.wantPy, c.wantABI, c.wantSuffx)
		}
	}
}

func TestTagsRefused(t *testing.T) {
	cases := []struct {
		py      cparse.Python
		limited string
		want    string
	}{
		{cparse.Python{Version: "2.7.18", ExtSuffix: ".so"}, "", "Python 3"},
		{cparse.Python{Version: "3.8.18", ExtSuffix: ".cpython-38-x86_64-linux-gnu.so"}, "3.10", "3.10 or newer"},
		{cparse.Python{Version: "3.13.0", ExtSuffix: ".cpython-313t-x86_64-linux-gnu.so"}, "3.8", "free-threaded"},
		{cparse.Python{Version: "3.11.2", ExtSuffix: ".cpython-311d-x86_64-linux-gnu.so", Defines: []string{"Py_DEBUG"}}, "3.8", "debug build"},
		{cparse.Python{Version: "3.12.1", ExtSuffix: ".cpython-312-x86_64-linux-gnu.so"}, "4.1", "Python 3 version"},
		{cparse.Python{Version: "3.12.1", ExtSuffix: ".cpython-312-x86_64-linux-gnu.so"}, "3.1", "from 3.2"},
		{cparse.Python{Version: "3.12.1"}, "", "EXT_SUFFIX"},
		{cparse.Python{Version: "3.12.1", ExtSuffix: ".cpython-312-x86_64-linux-gnu.so"}, "3.08", "without a leading zero: 3.8"},
		{cparse.Python{Version: "3.12.1", ExtSuffix: ".so/../../../tmp/planted"}, "", "EXT_SUFFIX"},
	}
	for _, c := range cases {
		_, _, _, err := Tags(&c.py, c.limited)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Tags(%s, %q): error %v, want one saying %q", c.py.Version, c.limited, err, c.want)
		}
	}
}

// TestPlatformPolicy checks the decision on linkages stated directly.
func TestPlatformPolicy(t *testing.T) {
	cases := []struct {
		name string
		l    Linkage
		want string
	}{
		{"nothing", Linkage{}, "manylinux_2_5_x86_64.manylinux1_x86_64"},
		{"glibc 2.2.5", Linkage{Needed: []string{"libc.so.6"}, Versions: map[string][]string{"libc.so.6": {"GLIBC_2.2.5"}}}, "manylinux_2_5_x86_64.manylinux1_x86_64"},
		{"glibc 2.14", Linkage{Needed: []string{"libc.so.6"}, Versions: map[string][]string{"libc.so.6": {"GLIBC_2.2.5", "GLIBC_2.14"}}}, "manylinux_2_17_x86_64.manylinux2014_x86_64"},
		{"glibc 2.12", Linkage{Versions: map[string][]string{"libc.so.6": {"GLIBC_2.12"}}}, "manylinux_2_12_x86_64.manylinux2010_x86_64"},
		{"glibc 2.25", Linkage{Versions: map[string][]string{"libc.so.6": {"GLIBC_2.25"}}}, "manylinux_2_26_x86_64"},
		{"glibc 2.34", Linkage{Versions: map[string][]string{"libc.so.6": {"GLIBC_2.34"}}}, "manylinux_2_34_x86_64"},
		{"glibc private", Linkage{Versions: map[string][]string{"libc.so.6": {"GLIBC_PRIVATE"}}}, "linux_x86_64"},
		{"glibc too new", Linkage{Versions: map[string][]string{"libc.so.6": {"GLIBC_2.99"}}}, "linux_x86_64"},
		{"loader ignored", Linkage{Needed: []string{"ld-linux-x86-64.so.2"}, Versions: map[string][]string{"ld-linux-x86-64.so.2": {"GLIBC_2.99"}}}, "manylinux_2_5_x86_64.manylinux1_x86_64"},
		{"libstdc++ 3.4.20", Linkage{Needed: []string{"libstdc++.so.6"}, Versions: map[string][]string{"libstdc++.so.6": {"GLIBCXX_3.4.20"}}}, "manylinux_2_24_x86_64"},
		{"own library version", Linkage{Versions: map[string][]string{"libmine.so": {"MINE_1.0"}}}, "manylinux_2_5_x86_64.manylinux1_x86_64"},
		{"outside library", Linkage{Needed: []string{"libc.so.6", "libssl.so.3"}}, "linux_x86_64"},
		{"libatomic", Linkage{Versions: map[string][]string{"libatomic.so.1": {"LIBATOMIC_1.0"}}}, "manylinux_2_24_x86_64"},
	}
	for _, c := range cases {
		if got, why := Platform(&c.l); got != c.want {
			t.Errorf("%s: Platform = %s (%s), want %s", c.name, got, why, c.want)
		}
	}
	// The strictest of several modules decides.
	a := &Linkage{Versions: map[string][]string{"libc.so.6": {"GLIBC_2.2.5"}}}
	b := &Linkage{Versions: map[string][]string{"libc.so.6": {"GLIBC_2.17"}}}
	if got, _ := Platform(a, b); got != "manylinux_2_17_x86_64.manylinux2014_x86_64" {
		t.Errorf("two modules: Platform = %s, want manylinux_2_17", got)
	}
}

func needCC(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("cc is not installed: the ELF fixtures are built with it")
	}
}

// cc runs cc in dir, failing the test with its output.
func cc(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("cc", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPlatformFromELF links small modules that need chosen glibc symbol
// versions (pinned with .symver, so the host's glibc does not matter) or an
// outside library, and checks the tag read from the linked ELF. The
// versions are glibc's: memcpy@GLIBC_2.14, getrandom@GLIBC_2.25.
func TestPlatformFromELF(t *testing.T) {
	needCC(t)
	dir := t.TempDir()
	write(t, dir, "libmine.c", "int mine(void) { return 1; }\n")
	cc(t, dir, "-shared", "-fPIC", "-o", "libmine.so", "libmine.c")
	const init = "void *PyInit_m(void) { return 0; }\n"
	cases := []struct {
		name, src string
		ldflags   []string
		want      string
	}{
		{"plain", init, nil, "manylinux_2_5_x86_64.manylinux1_x86_64"},
		{"memcpy 2.14", "#include <string.h>\n__asm__(\".symver memcpy,memcpy@GLIBC_2.14\");\n" +
			"void *PyInit_m(void) { static char a[8], b[8]; memcpy(a, b, (unsigned long)(long)&a & 7); return 0; }\n",
			nil, "manylinux_2_17_x86_64.manylinux2014_x86_64"},
		{"getrandom 2.25", "#include <sys/types.h>\nssize_t getrandom(void *, size_t, unsigned);\n" +
			"__asm__(\".symver getrandom,getrandom@GLIBC_2.25\");\n" +
			"void *PyInit_m(void) { char b[4]; getrandom(b, 4, 0); return 0; }\n",
			nil, "manylinux_2_26_x86_64"},
		{"outside library", "int mine(void);\nvoid *PyInit_m(void) { mine(); return 0; }\n",
			[]string{"-L.", "-lmine"}, "linux_x86_64"},
	}
	for _, c := range cases {
		write(t, dir, "m.c", c.src)
		args := append([]string{"-shared", "-fPIC", "-o", "m.so", "m.c"}, c.ldflags...)
		cc(t, dir, args...)
		rep, err := CheckModule(filepath.Join(dir, "m.so"), "m", nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got, why := Platform(rep.Linkage); got != c.want {
			t.Errorf("%s: platform %s (%s), want %s; linkage %+v", c.name, got, why, c.want, rep.Linkage)
		}
	}
}

// TestCheckModule: the ELF checks on modules built to fail each.
func TestCheckModule(t *testing.T) {
	needCC(t)
	dir := t.TempDir()
	check := func(name, src string, asm bool) (*Report, error) {
		t.Helper()
		file := name + ".c"
		if asm {
			file = name + ".s"
		}
		write(t, dir, file, src)
		cc(t, dir, "-c", "-fPIC", "-o", name+".o", file)
		cc(t, dir, "-shared", "-o", name+".so", name+".o")
		return CheckModule(filepath.Join(dir, name+".so"), "m", []Object{{filepath.Join(dir, name+".o"), file}})
	}
	if _, err := check("noinit", "int other(void) { return 0; }\n", false); err == nil || !strings.Contains(err.Error(), "no PyInit_m") {
		t.Errorf("no PyInit_m: error %v", err)
	}
	if _, err := check("local", "static void *PyInit_m(void) { return 0; }\nvoid *keep(void) { return (void *)PyInit_m; }\n", false); err == nil || !strings.Contains(err.Error(), "not global") {
		t.Errorf("local PyInit_m: error %v", err)
	}
	// An assembly object with no .note.GNU-stack: the linker makes the
	// stack executable.
	_, err := check("execstack", ".text\n.globl PyInit_m\n.type PyInit_m,@function\nPyInit_m:\n xor %eax, %eax\n ret\n", true)
	if err == nil || !strings.Contains(err.Error(), "executable stack") || !strings.Contains(err.Error(), "execstack.s has no .note.GNU-stack") {
		t.Errorf("executable stack: error %v, want one naming execstack.s", err)
	}
	// One whose note asks for an executable stack is named as such.
	_, err = check("execnote", ".text\n.globl PyInit_m\n.type PyInit_m,@function\nPyInit_m:\n xor %eax, %eax\n ret\n.section .note.GNU-stack,\"x\",@progbits\n", true)
	if err == nil || !strings.Contains(err.Error(), "execnote.s marks its .note.GNU-stack executable") {
		t.Errorf("executable stack note: error %v, want one naming execnote.s's executable note", err)
	}
	// An absolute address in .text: a text relocation, which is a warning.
	rep, err := check("textrel", ".data\nvalue: .quad 7\n.text\n.globl PyInit_m\n.type PyInit_m,@function\nPyInit_m:\n movabs $value, %rax\n ret\n"+
		".section .note.GNU-stack,\"\",@progbits\n", true)
	if err != nil {
		t.Fatalf("text relocation: %v", err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "PY_CALL") || !strings.Contains(rep.Warnings[0], "PY_ADDR") {
		t.Errorf("text relocation: warnings %q, want one naming PY_CALL and PY_ADDR", rep.Warnings)
	}
	rep, err = check("good", "void *PyInit_m(void) { return 0; }\n", false)
	if err != nil || len(rep.Warnings) != 0 {
		t.Errorf("good module: %v, warnings %q", err, rep.Warnings)
	}
}

// TestLinkErrorNamesTheCause: a failed link is reported by the linker's
// own message, not by cc's "ld returned 1 exit status".
func TestLinkErrorNamesTheCause(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("cc is not installed")
	}
	dir := t.TempDir()
	tmp := filepath.Join(dir, "pyinc-build123")
	os.Mkdir(tmp, 0o755)
	var objs []Object
	for _, name := range []string{"a", "b"} {
		src, obj := filepath.Join(dir, name+".c"), filepath.Join(tmp, "m."+name+".o")
		os.WriteFile(src, []byte("int twice(void) { return 2; }\n"), 0o644)
		if out, err := exec.Command("cc", "-c", "-fPIC", "-o", obj, src).CombinedOutput(); err != nil {
			t.Fatalf("cc -c: %v\n%s", err, out)
		}
		objs = append(objs, Object{obj, name + ".asm"})
	}
	err := link(dir, filepath.Join(tmp, "m.so"), objs, tmp)
	if err == nil || !strings.Contains(err.Error(), "multiple definition of") || strings.Contains(err.Error(), "collect2") {
		t.Errorf("link error %v, want the linker's reason", err)
	}
	// The objects are named by their sources, never by a temporary path.
	if err == nil || strings.Contains(err.Error(), tmp) || !strings.Contains(err.Error(), ".asm (object)") {
		t.Errorf("link error %v names a temporary path, or no source", err)
	}
}
