package crosscheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
)

// reservedHeader names C things after NASM keywords and registers.
const reservedHeader = `
typedef struct abs { int rel; char byte; long rax[2]; unsigned wrt : 3; } abs;
typedef union seg { short at; double strict; } seg;
enum { times = 7, ptr = -1 };
#define qword 5
#define rsi (sizeof(abs) * 2)
#define equ "quoted \" and \\ and ` + "`" + `"
int dword(int, double);
extern long word;
typedef struct push { int mov; } push;
#define jnz 9
int call(void);
`

// TestReservedNames: C names that NASM reads as keywords or registers get
// the $ prefix, assemble, and still agree with gcc.
func TestReservedNames(t *testing.T) {
	needTools(t, "gcc", "nasm")
	dir := t.TempDir()
	inc := filepath.Join(dir, "python3.99")
	os.Mkdir(inc, 0o755)
	if err := os.WriteFile(filepath.Join(inc, "Python.h"), []byte(reservedHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := pipeline.Run(&cparse.Python{Version: "3.99.0", IncludeDirs: []string{inc}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := string(r.Include)
	for _, want := range []string{"STRUC $abs\n", "STRUC $seg\n", "%define $qword 5\n", "%define $times 7\n", "%define $ptr (-1)\n",
		"EXTERN $dword ;", "EXTERN $word ;", "$abs.wrt equ 24 ;", "    .rel:",
		"STRUC $push\n", "%define $jnz 9\n", "EXTERN $call ;"} {
		if !strings.Contains(text, want) {
			t.Errorf("the include lacks %q", want)
		}
	}
	p, bad, err := Check(r.Unit, r.Model, r.Include, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Error(b)
	}
	if p.Counts.Structs != 3 || p.Counts.Constants < 4 || p.Counts.Strings != 1 {
		t.Errorf("checked %v", p.Counts)
	}
}
