package crosscheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/layout"
)

// bfHeader has bitfields in storage units of every width, signed and
// unsigned, at the top bit of a 4-byte unit (as Py_TPFLAGS_TYPE_SUBCLASS
// is of tp_flags), in either half of an 8-byte unit and across its middle.
const bfHeader = `
struct bf {
    char before;
    unsigned char a:3, b:5;
    unsigned short c:7, d:9;
    signed char s1:4;
    unsigned int e:1, f:30, g:1;
    int h:5, h2:27;
    unsigned long long i:20, j:40, k:4;
    long long l:33, l2:31;
    unsigned long long m:32, n:32;
    short s2:11;
};
`

// TestBitfieldMacros checks PY_BF_LOAD (into 64- and 32-bit registers) and
// PY_BF_TEST against gcc: a C program sets each bitfield to values among
// neighbours that are all ones or all zeros, and the NASM functions must
// read back what C stored.
func TestBitfieldMacros(t *testing.T) {
	needTools(t, "gcc", "nasm")
	dir := t.TempDir()
	inc := filepath.Join(dir, "python3.99")
	os.Mkdir(inc, 0o755)
	os.WriteFile(filepath.Join(inc, "Python.h"), []byte(bfHeader), 0o644)
	r, err := pipeline.Run(&cparse.Python{Version: "3.99.0", IncludeDirs: []string{inc}, Source: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var bfs []layout.Bitfield
	units := map[int64]bool{}
	for _, s := range r.Model.Structs {
		if s.Name == "bf" {
			bfs = s.Bitfields
		}
	}
	for _, b := range bfs {
		units[b.Unit] = true
	}
	if len(bfs) != 18 || !units[1] || !units[2] || !units[4] || !units[8] {
		t.Fatalf("the model of struct bf has %d bitfields, units %v: want 18 in units of 1, 2, 4 and 8 bytes", len(bfs), units)
	}
	os.WriteFile(filepath.Join(dir, "python.inc"), r.Include, 0o644)
	var asm, c strings.Builder
	asm.WriteString("%include \"python.inc\"\nsection .text\n")
	c.WriteString("#include <stdio.h>\n#include <string.h>\n#include <stdint.h>\n#include \"python3.99/Python.h\"\nint bad;\n")
	for _, b := range bfs {
		f := b.Path
		fmt.Fprintf(&asm, "global load64_%[1]s, test_%[1]s\nload64_%[1]s:\n    PY_BF_LOAD rax, rdi, bf.%[1]s\n    ret\n", f)
		fmt.Fprintf(&asm, "test_%[1]s:\n    xor eax, eax\n    PY_BF_TEST rdi, bf.%[1]s\n    setnz al\n    ret\n", f)
		ctype := "uint64_t"
		if b.Signed {
			ctype = "int64_t"
		}
		fmt.Fprintf(&c, "%s load64_%s(struct bf *); int test_%s(struct bf *);\n", ctype, f, f)
		loads32 := b.Unit < 8 || b.Shift >= 32 || b.Shift+b.Width <= 32
		if loads32 {
			fmt.Fprintf(&asm, "global load32_%[1]s\nload32_%[1]s:\n    PY_BF_LOAD eax, rdi + 0, bf.%[1]s\n    ret\n", f)
			fmt.Fprintf(&c, "%s load32_%s(struct bf *);\n", strings.Replace(ctype, "64", "32", 1), f)
		}
		// Values: 0, 1, all ones (-1 when signed), the top bit alone, a pattern.
		fmt.Fprintf(&c, "static void check_%s(void) {\n    struct bf x;\n    unsigned long long vals[] = {0, 1, ~0ULL, 1ULL << %d, 0x5555555555555555ULL};\n", f, b.Width-1)
		fmt.Fprintf(&c, `    for (int bg = 0; bg < 2; bg++) for (int i = 0; i < 5; i++) {
        memset(&x, bg ? 0xff : 0, sizeof x);
        x.%[1]s = vals[i];
        %[2]s want = x.%[1]s;
        if (load64_%[1]s(&x) != want) { printf("PY_BF_LOAD rax %[1]s: %%llx, C %%llx\n", (unsigned long long)load64_%[1]s(&x), (unsigned long long)want); bad = 1; }
        if (test_%[1]s(&x) != (want != 0)) { printf("PY_BF_TEST %[1]s = %%llx (neighbours %%d): %%d\n", (unsigned long long)want, bg, test_%[1]s(&x)); bad = 1; }
`, f, ctype)
		if loads32 {
			fmt.Fprintf(&c, "        if (load32_%[1]s(&x) != (%[2]s)want) { printf(\"PY_BF_LOAD eax %[1]s: %%llx\\n\", (unsigned long long)load32_%[1]s(&x)); bad = 1; }\n",
				f, strings.Replace(ctype, "64", "32", 1))
		}
		c.WriteString("    }\n}\n")
	}
	c.WriteString("int main(void) {\n")
	for _, b := range bfs {
		fmt.Fprintf(&c, "    check_%s();\n", b.Path)
	}
	c.WriteString("    if (!bad) puts(\"ok\");\n    return bad;\n}\n")
	os.WriteFile(filepath.Join(dir, "bf.asm"), []byte(asm.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "main.c"), []byte(c.String()), 0o644)
	testutil.Run(t, dir, nil, "nasm", "-w+error", "-f", "elf64", "-o", "bf.o", "bf.asm")
	testutil.Run(t, dir, nil, "gcc", "-O1", "-o", "bfcheck", "main.c", "bf.o")
	if out := testutil.Run(t, dir, nil, "./bfcheck"); out != "ok\n" {
		t.Fatalf("PY_BF_LOAD and PY_BF_TEST disagree with gcc:\n%s", out)
	}
}
