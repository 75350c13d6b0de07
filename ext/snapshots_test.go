package ext

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/snapshots"
)

// TestSourcesAssembleForEverySnapshot assembles refext.asm and macros.asm,
// without a warning, against every committed Python 3 include for Linux: also the
// configurations no interpreter here runs (3.14 free-threaded, whose str
// state keeps interned as a plain unsigned char, and 3.12 trace-refs,
// whose PyModule_Create2 is PyModule_Create2TraceRefs).
func TestSourcesAssembleForEverySnapshot(t *testing.T) {
	testutil.NeedTools(t, "nasm")
	entries, err := snapshots.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Version, "2.") || e.Target != "" {
			continue // Python 2; another target's include (crosscheck assembles those)
		}
		for _, src := range []string{"refext.asm", "macros.asm"} {
			e, src := e, src
			t.Run(e.File+"/"+src, func(t *testing.T) {
				t.Parallel()
				inc, err := os.ReadFile(filepath.Join("..", "snapshots", e.File))
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "python.inc"), inc, 0o644); err != nil {
					t.Fatal(err)
				}
				abs, _ := filepath.Abs(src)
				testutil.Run(t, dir, nil, "nasm", "-w+error", "-f", "elf64", "-I", dir+"/", "-o", "m.o", abs)
			})
		}
	}
}
