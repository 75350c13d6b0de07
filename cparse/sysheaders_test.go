package cparse

import (
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/target"
)

func TestPruneDeclarations(t *testing.T) {
	in := `typedef unsigned long size_t;
extern int printf (const char *__restrict __format, ...);
extern struct _IO_FILE *stdin;
extern int daylight __attribute__ ((__deprecated__));
struct timespec
  {
    long tv_sec;
#define TV_SEC_IS_LONG 1
    long tv_nsec;
  };
enum
  {
    _PC_LINK_MAX,
#define _PC_LINK_MAX _PC_LINK_MAX
  };
extern int fromfp (double __x) __attribute__ ((__nothrow__ , __leaf__))
#define KEPT_FROM_A_DROPPED_PROTOTYPE 1
     ;
static __inline unsigned short
__bswap_16 (unsigned short __bsx) __attribute__ ((__const__))
{
  return __builtin_bswap16 (__bsx);
}
#define __bswap_constant_32(x) ((x) >> 24)
struct __attribute__ ((__packed__)) { int a; } packed_var;
struct forward;
__extension__ typedef long long int quad;
extern int stat (const char *__file) __asm__ ("" "stat64;{");
_Static_assert (1, "one");
extern char *tail (void)`
	want := `typedef unsigned long size_t;
extern struct _IO_FILE *stdin;
struct timespec
  {
    long tv_sec;
#define TV_SEC_IS_LONG 1
    long tv_nsec;
  };
enum
  {
    _PC_LINK_MAX,
#define _PC_LINK_MAX _PC_LINK_MAX
  };
#define KEPT_FROM_A_DROPPED_PROTOTYPE 1
#define __bswap_constant_32(x) ((x) >> 24)
struct __attribute__ ((__packed__)) { int a; } packed_var;
struct forward;
__extension__ typedef long long int quad;
_Static_assert (1, "one");
extern char *tail (void)`
	got := string(pruneDeclarations([]byte(in)))
	if g, w := norm(got), norm(want); !slices.Equal(g, w) {
		t.Errorf("pruneDeclarations:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// norm is text's non-blank lines, trimmed.
func norm(s string) []string {
	var r []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			r = append(r, l)
		}
	}
	return r
}

func TestOpensFunctionBody(t *testing.T) {
	for head, want := range map[string]bool{
		"int f (void) ": true,
		"int f (void) __attribute__ ((__const__)) ": true,
		"struct tm *gmt (int x) __asm__ (\"x\") ":   true,
		"struct tm ":                           false,
		"enum ":                                false,
		"struct __attribute__ ((__packed__)) ": false,
		"typedef struct __attribute__ ((aligned (8))) ": false,
	} {
		if got := opensFunctionBody([]byte(head)); got != want {
			t.Errorf("opensFunctionBody(%q) = %v, want %v", head, got, want)
		}
	}
}

// cppOutput is compiler output in cc -E's shape, as splitSystem reads it.
const cppOutput = `# 0 "<stdin>"
# 0 "<built-in>"
#define __STDC__ 1
# 0 "<command-line>"
# 1 "/usr/include/stdc-predef.h" 1 3 4
#define __STDC_IEC_559__ 1
# 0 "<command-line>" 2
# 1 "<stdin>"
# 1 "/py/Python.h" 1
#define Py_PYTHON_H 
# 1 "/usr/include/stdio.h" 1 3 4
#define _STDIO_H 1
# 1 "/usr/include/bits/types.h" 1 3 4
typedef long __off_t;
# 5 "/usr/include/stdio.h" 2 3 4
extern int printf (const char *, ...);
# 3 "/py/Python.h" 2
# 1 "/py/pyport.h" 1
# 1 "/usr/include/limits.h" 1 3 4
#define INT_MAX 2147483647
# 8 "/py/pyport.h" 2
# 4 "/py/Python.h" 2
# 2 "<stdin>" 2
`

func TestSplitSystem(t *testing.T) {
	isPython := func(p string) bool { return strings.HasPrefix(p, "/py/") }
	c, err := splitSystem([]byte(cppOutput), isPython)
	if err != nil {
		t.Fatal(err)
	}
	chunks, read := c.chunks, c.read
	for _, name := range []string{"__STDC__", "Py_PYTHON_H"} {
		if !c.outside[name] {
			t.Errorf("%s, defined by the compiler or a Python header, is not in outside", name)
		}
	}
	if c.outside["_STDIO_H"] || c.outside["INT_MAX"] {
		t.Errorf("outside %v holds system macros", c.outside)
	}
	want := map[site]string{
		{"/py/Python.h", 2}: "#define _STDIO_H 1\ntypedef long __off_t;\n",
		{"/py/pyport.h", 7}: "#define INT_MAX 2147483647\n",
	}
	if len(chunks) != len(want) {
		t.Errorf("chunks at %v, want 2", chunks)
	}
	for s, w := range want {
		if g := string(chunks[s]); !slices.Equal(norm(g), norm(w)) {
			t.Errorf("chunk %v = %q, want %q", s, g, w)
		}
	}
	wantRead := []string{"/usr/include/stdc-predef.h", "/usr/include/stdio.h", "/usr/include/bits/types.h", "/usr/include/limits.h"}
	if !slices.Equal(read, wantRead) {
		t.Errorf("read %q, want %q", read, wantRead)
	}

	for name, bad := range map[string]string{
		"python from system": strings.Replace(cppOutput, `# 1 "/usr/include/limits.h" 1 3 4`, "# 1 \"/usr/include/limits.h\" 1 3 4\n# 1 \"/py/inner.h\" 1\n# 2 \"/usr/include/limits.h\" 2 3 4", 1),
		"unbalanced":         strings.Replace(cppOutput, `# 4 "/py/Python.h" 2`, "", 1),
		"renamed":            strings.Replace(cppOutput, "typedef long __off_t;", "# 3 \"/usr/include/other.h\" 3 4", 1),
		"python read twice":  strings.Replace(cppOutput, `# 4 "/py/Python.h" 2`, "# 4 \"/py/Python.h\" 2\n# 1 \"/py/pyport.h\" 1\n# 5 \"/py/Python.h\" 2", 1),
		"entered twice":      strings.Replace(cppOutput, `# 1 "/py/pyport.h" 1`, "# 1 \"/usr/include/stdio.h\" 1 3 4\n# 3 \"/py/Python.h\" 2\n# 1 \"/py/pyport.h\" 1", 1),
	} {
		if _, err := splitSystem([]byte(bad), isPython); err == nil {
			t.Errorf("%s: splitSystem accepted it", name)
		}
	}
}

// TestSplitterPassed: how far the output has come in a Python header,
// as a line at a time shows it.
func TestSplitterPassed(t *testing.T) {
	sp := newSplitter(func(p string) bool { return strings.HasPrefix(p, "/py/") }, nil)
	rest := cppOutput
	feed := func(upTo string) {
		for {
			i := strings.IndexByte(rest, '\n')
			line := rest[:i]
			rest = rest[i+1:]
			if err := sp.line([]byte(line)); err != nil {
				t.Fatal(err)
			}
			if line == upTo {
				return
			}
		}
	}
	feed(`# 3 "/py/Python.h" 2`)
	for s, want := range map[site]bool{{"/py/Python.h", 1}: true, {"/py/Python.h", 2}: false, {"/py/Python.h", 3}: false, {"/py/pyport.h", 1}: false} {
		if got := sp.passed(s); got != want {
			t.Errorf("after Python.h's line 2: passed(%v) = %v, want %v", s, got, want)
		}
	}
	feed(`# 4 "/py/Python.h" 2`)
	for s, want := range map[site]bool{{"/py/Python.h", 3}: true, {"/py/pyport.h", 7}: false, {"/py/pyport.h", 9}: true} {
		if got := sp.passed(s); got != want {
			t.Errorf("after pyport.h: passed(%v) = %v, want %v", s, got, want)
		}
	}
}

// TestSplitterProcessed: cc -dI's #include lines, in step with the
// header's lines, say which #includes of the Python headers the compiler
// carried out, and are no text of a system header's.
func TestSplitterProcessed(t *testing.T) {
	const out = `# 1 "<stdin>"
# 1 "/py/Python.h" 1
#include <stdio.h>
# 1 "/py/Python.h"
# 1 "/usr/include/stdio.h" 1 3 4
#include <bits/types.h>
# 1 "/usr/include/bits/types.h" 1 3 4
typedef long __off_t;
# 2 "/usr/include/stdio.h" 2 3 4
# 2 "/py/Python.h" 2
#define AFTER 1
#include <stdio.h>
int x;

#include "pyport.h"
# 6 "/py/Python.h"
# 1 "/py/pyport.h" 1
# 7 "/py/Python.h" 2
# 2 "<stdin>" 2
`
	sp := newSplitter(func(p string) bool { return strings.HasPrefix(p, "/py/") }, nil)
	at := func(line int) site { return site{"/py/Python.h", line} }
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if err := sp.line([]byte(l)); err != nil {
			t.Fatal(err)
		}
		switch l {
		case "#include <stdio.h>":
			// The compiler may enter a file next: line 3 is not past.
			if sp.next == 4 && sp.passed(at(3)) {
				t.Errorf("line 3 is passed as soon as its #include is written")
			}
		case "int x;":
			if !sp.passed(at(3)) {
				t.Errorf("line 3 is not passed when line 4 is written")
			}
		}
	}
	c, err := sp.finish()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.chunks[at(1)]); !slices.Equal(norm(got), norm("typedef long __off_t;\n")) {
		t.Errorf("the site's text is %q, want the typedef alone", got)
	}
	want := map[site]string{at(1): "#include <stdio.h>", at(3): "#include <stdio.h>", at(6): `#include "pyport.h"`}
	if !maps.Equal(sp.processed, want) {
		t.Errorf("processed %v, want %v", sp.processed, want)
	}
	if !sp.passed(at(3)) || sp.passed(at(1)) {
		t.Errorf("passed: line 3 %v, line 1 %v; want true, false", sp.passed(at(3)), sp.passed(at(1)))
	}
}

func TestIsGCC(t *testing.T) {
	gcc := "#define __GNUC__ 12\n#define __x86_64__ 1\n"
	clang := "#define __GNUC__ 4\n#define __clang__ 1\n"
	if !isGCC(gcc) || isGCC(clang) || isGCC("") {
		t.Errorf("isGCC: gcc %v, clang %v, nothing %v; want true, false, false", isGCC(gcc), isGCC(clang), isGCC(""))
	}
}

func TestUnevaluated(t *testing.T) {
	in := "#define A 1\n#define Py_X 2\ntypedef int T;\n#undef A\n#define F(x) (x)\n"
	want := "#undef A\n#define A 1\n#define Py_X 2\ntypedef int T;\n#undef A\n#undef F\n#define F(x) (x)\n"
	got, undefs := unevaluated([]byte(in), map[string]bool{"Py_X": true})
	if string(got) != want {
		t.Errorf("unevaluated:\n%s\nwant:\n%s", got, want)
	}
	if !slices.Equal(undefs, []string{"A", "F"}) {
		t.Errorf("unevaluated #undef %q, want A and F", undefs)
	}
}

// TestSystemOverlayIsUsed: every Python installed (and in the Debian
// tree make pythons builds), and CPython's source trees seen for Windows,
// is parsed with the system headers preprocessed by the host compiler,
// taken while it writes them (the guess of syspass.go holds). A fallback
// would give the same include, only slower (issues 18 and 27): this is
// where it would show.
func TestSystemOverlayIsUsed(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	var roots []string
	if tree, _ := filepath.Abs(filepath.Join("..", ".cache", "sid")); isFile(filepath.Join(tree, "usr", "bin", "python3")) {
		roots = append(roots, tree) // make pythons' Debian tree: 3.14 and 3.15
	}
	pys := DiscoverWith(roots)
	if len(pys) == 0 {
		t.Skip("no Python with headers is installed")
	}
	for _, py := range pys {
		checkStreamed(t, py, target.Default(), "/stdio.h")
	}
	win, _ := target.Parse("windows-x86_64")
	if _, err := exec.LookPath(win.CrossCC); err != nil {
		t.Logf("%s is not installed: the Windows parse is not checked", win.CrossCC)
		return
	}
	for _, tree := range []struct{ dir, header string }{{"Python-3.11.2", "PC/pyconfig.h"}, {"Python-3.13.15", "PC/pyconfig.h.in"}} {
		root := filepath.Join("..", ".cache", "src", tree.dir)
		if !isFile(filepath.Join(root, tree.header)) {
			t.Logf("%s is not at hand (make pythons): its Windows parse is not checked", filepath.Join(root, tree.header))
			continue
		}
		py, err := FromIncludeDir(filepath.Join(root, "Include"))
		if err == nil {
			py, err = WithConfigHeader(py, filepath.Join(root, tree.header))
		}
		if err != nil {
			t.Fatal(err)
		}
		checkStreamed(t, py, win, "/stdio.h")
	}
}

// checkStreamed parses py for tg and checks that the guess held and that
// the compiler's system headers (one ending in header among them) are
// among the unit's files.
func checkStreamed(t *testing.T, py *Python, tg target.Target, header string) {
	t.Helper()
	u, err := ParseFor(py, nil, tg)
	if err != nil {
		t.Errorf("Python %s for %s: %v", py.Version, tg.Name, err)
		return
	}
	if len(u.systemRead) == 0 || !u.systemStreamed {
		t.Errorf("Python %s (%s) for %s: system headers from the compiler %v, taken as it wrote them %v; want both", py.Version, filepath.Dir(py.IncludeDirs[0]), tg.Name, len(u.systemRead) > 0, u.systemStreamed)
	}
	if u.systemServed.direct != 0 {
		// The front end then reads a system header itself.
		t.Errorf("Python %s for %s: %d sites served as written, want none", py.Version, tg.Name, u.systemServed.direct)
	}
	if !slices.ContainsFunc(u.Files(), func(f string) bool { return strings.HasSuffix(f, header) }) {
		t.Errorf("Python %s for %s: the unit's files leave out %s, which the compiler read", py.Version, tg.Name, header)
	}
}

func TestIncludeTarget(t *testing.T) {
	for _, c := range []struct {
		line, name string
		quoted, ok bool
	}{
		{`#include <stdio.h>`, "stdio.h", false, true},
		{`#  include "pyport.h"   // the port`, "pyport.h", true, true},
		{"\t#include <sys/types.h> /* ssize_t */", "sys/types.h", false, true},
		{`#include <a.h> /* opens a comment`, "", false, false},
		{`#include <a.h> /* one */ /* two */`, "", false, false},
		{`#include <a.h> // continued \`, "", false, false},
		{`#include HEADER`, "", false, false},
		{`#include_next <limits.h>`, "", false, false},
		{`#include <>`, "", false, false},
		{`#define include <x.h>`, "", false, false},
		{`int x; // #include <x.h>`, "", false, false},
	} {
		name, quoted, ok := includeTarget([]byte(c.line))
		if name != c.name || quoted != c.quoted || ok != c.ok {
			t.Errorf("includeTarget(%q) = %q, %v, %v; want %q, %v, %v", c.line, name, quoted, ok, c.name, c.quoted, c.ok)
		}
	}
}

// TestSystemPassGuess: where the guess of which lines include system
// headers and the compiler's output disagree, the parse takes the sites
// the whole output shows (or the plain path), and the macros come out as
// the compiler sees them either way.
func TestSystemPassGuess(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	const tail = "typedef struct S { size_t a; } S;\n#define M INT_MAX\n"
	for _, c := range []struct {
		name, header string
		after        map[string]string // files of an -idirafter directory
		streamed     bool              // the guess held
		system       bool              // the system headers came from the compiler
		want         int64             // M's value
	}{
		{"guessed", "#include <stddef.h>\n#include \"pyconfig.h\"\n#include <limits.h>\n" + tail, nil, true, true, 2147483647},
		{"guard skipped", "#include <limits.h>\n#include <stddef.h>\n#include <limits.h>\n" + tail, nil, true, true, 2147483647},
		{"inactive", "#include <limits.h>\n#include <stddef.h>\n#if 0\n#include <nowhere.h>\n#endif\n" + tail, nil, true, true, 2147483647},
		// #include MACRO is never guessed: the compiler's site there
		// sends the parse to the exact sites.
		{"computed", "#include <stddef.h>\n#define LIMITS <limits.h>\n#include LIMITS\n" + tail, nil, false, true, 2147483647},
		// INT_MAX was taken for the system's alone when limits.h's text
		// was served, with an #undef that would make the Python header's
		// definition count as redefined.
		{"defined later", "#include <stddef.h>\n#include <limits.h>\n#undef INT_MAX\n#define INT_MAX 5\n" + tail, nil, false, true, 5},
		// <python3.98/extra.h> is found in the -idirafter directory, after
		// the system's, and is a Python header (Debian's pyconfig.h is
		// <x86_64-linux-gnu/python3.11/pyconfig.h>, in /usr/include).
		{"python after", "#include <stddef.h>\n#include <limits.h>\n#include <python3.98/extra.h>\n" + tail + "#define N EXTRA\n",
			map[string]string{"python3.98/extra.h": "#define EXTRA 7\n"}, true, true, 2147483647},
		// A system header the compiler does not read twice: once.h by
		// its #pragma once, which cc/v4 does not keep, guarded.h by its
		// guard. cc -dI shows the #include carried out, and the site is
		// empty.
		{"read once", "#include <stddef.h>\n#include <limits.h>\n#include <once.h>\n#include <guarded.h>\n#include <once.h>\n#include <guarded.h>\n" + tail + "#define N GVAL\n",
			map[string]string{"once.h": "#pragma once\ntypedef struct { int a; } once_t;\n", "guarded.h": "#ifndef G_H\n#define G_H\n#define GVAL 5\n#endif\n"}, true, true, 2147483647},
		// The two front ends take different branches: the line the
		// compiler skipped is served as written, and the front end reads
		// stdint.h itself, as without the guess.
		{"branches differ", "#include <stddef.h>\n#include <limits.h>\n#if __has_attribute(unused)\n#include <errno.h>\n#else\n#include <stdint.h>\n#endif\n" + tail + "#define N INT8_MAX\n",
			nil, true, true, 2147483647},
		// A directive continued over two lines is not guessed, and the
		// exact sites refuse a site line that is no #include: the plain
		// path.
		{"continued", "#include <stddef.h>\n#include \\\n<limits.h>\n" + tail, nil, false, false, 2147483647},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := includeDir(t, t.TempDir(), "3.98", c.header)
			py, err := FromIncludeDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if c.after != nil {
				after := t.TempDir()
				writeFiles(t, after, c.after)
				py.AfterDirs = []string{after}
			}
			u, err := Parse(py, nil)
			if err != nil {
				t.Fatal(err)
			}
			if u.systemStreamed != c.streamed || (len(u.systemRead) > 0) != c.system {
				t.Errorf("streamed %v, system headers from the compiler %v; want %v, %v", u.systemStreamed, len(u.systemRead) > 0, c.streamed, c.system)
			}
			m := u.AST.Macros["M"]
			if m == nil {
				t.Fatal("no macro M")
			}
			if v, ok := m.Value().(cc.Int64Value); !ok || int64(v) != c.want {
				t.Errorf("M = %v, want %d", m.Value(), c.want)
			}
			if want, ok := map[string]siteCounts{"read once": {text: 4, empty: 2}, "branches differ": {text: 2, direct: 1}}[c.name]; ok && u.systemServed != want {
				t.Errorf("sites served %+v, want %+v", u.systemServed, want)
			}
			if n, ok := map[string]int64{"python after": 7, "branches differ": 127, "read once": 5}[c.name]; ok {
				if v, ok := u.AST.Macros["N"].Value().(cc.Int64Value); !ok || int64(v) != n {
					t.Errorf("N = %v, want %d", u.AST.Macros["N"].Value(), n)
				}
			}
		})
	}
}

// TestConsistent: what the guess served is refused where the whole
// output shows otherwise.
func TestConsistent(t *testing.T) {
	at := func(line int) site { return site{"/py/Python.h", line} }
	served := func() *siteFS {
		f := &siteFS{headers: map[string]*header{"/py/Python.h": {lines: map[int]bool{2: true, 5: true}}},
			undefs: map[string]bool{"_STDIO_H": true}, passed: map[site]bool{at(5): true}}
		return f
	}
	whole := func() *compiled {
		return &compiled{chunks: map[site][]byte{at(2): nil, {"/py/unopened.h", 1}: nil},
			outside: map[string]bool{"Py_X": true}}
	}
	if err := served().consistent(whole()); err != nil {
		t.Fatalf("consistent: %v", err)
	}
	for name, mend := range map[string]func(*compiled){
		"a site not guessed":                  func(c *compiled) { c.chunks[at(3)] = nil },
		"a site served without text had text": func(c *compiled) { c.chunks[at(5)] = nil },
		"an #undef of a macro of Python's":    func(c *compiled) { c.outside["_STDIO_H"] = true },
	} {
		c := whole()
		mend(c)
		if err := served().consistent(c); err == nil {
			t.Errorf("%s: consistent accepted it", name)
		}
	}
}

// TestPragmaOnceCycle: headers that include each other under #pragma once
// are read once, as gcc reads them, with their own line numbers, down the
// concurrent and the plain path alike.
func TestPragmaOnceCycle(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc is not installed")
	}
	dir := includeDir(t, t.TempDir(), "3.98", "#include \"a.h\"\n#define TOP (A_VAL + B_VAL)\n")
	writeFiles(t, dir, map[string]string{
		"a.h": "#pragma once\n#include \"b.h\"\n#define A_VAL 1\n",
		"b.h": "// b\n#pragma once\n#include \"a.h\"\n#define B_VAL 2\n",
	})
	py, err := FromIncludeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer SetSystemOverlay(true)
	for _, overlay := range []bool{true, false} {
		SetSystemOverlay(overlay)
		u, err := Parse(py, nil)
		if err != nil {
			t.Fatalf("overlay %v: %v", overlay, err)
		}
		if v, ok := u.AST.Macros["TOP"].Value().(cc.Int64Value); !ok || v != 3 {
			t.Errorf("overlay %v: TOP = %v, want 3", overlay, u.AST.Macros["TOP"].Value())
		}
		for name, want := range map[string]string{"A_VAL": "a.h:3", "B_VAL": "b.h:4"} {
			pos := u.AST.Macros[name].Position()
			if got := fmt.Sprintf("%s:%d", filepath.Base(pos.Filename), pos.Line); got != want {
				t.Errorf("overlay %v: %s at %s, want %s", overlay, name, got, want)
			}
		}
	}
}
