package cparse

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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
	if got := string(unevaluated([]byte(in), map[string]bool{"Py_X": true})); got != want {
		t.Errorf("unevaluated:\n%s\nwant:\n%s", got, want)
	}
}

// TestSystemOverlayIsUsed: every Python installed (and in the Debian
// tree make pythons builds) is parsed with the
// system headers preprocessed by the host compiler. A fallback to the
// plain path would give the same include, only slower (issue 18): this is
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
		u, err := Parse(py, nil)
		if err != nil {
			t.Errorf("Python %s: %v", py.Version, err)
			continue
		}
		if len(u.systemRead) == 0 {
			t.Errorf("Python %s (%s): parsed without the system overlay", py.Version, filepath.Dir(py.IncludeDirs[0]))
		}
		if !slices.ContainsFunc(u.Files(), func(f string) bool { return strings.HasSuffix(f, "/stdio.h") }) {
			t.Errorf("Python %s: the unit's files leave out stdio.h, which the compiler read", py.Version)
		}
	}
}
