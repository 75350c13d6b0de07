package layout

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pyinc/pyinc/cparse"
)

// TestCCInternals breaks when a cc/v4 upgrade moves the unexported fields
// pyinc reads the requested alignments from.
func TestCCInternals(t *testing.T) {
	if err := checkCCInternals(); err != nil {
		t.Fatal(err)
	}
}

// TestAlignmentsRead checks that the alignments are read, not zero: an
// aligned member and an aligned definition (gcc: offset 16, size 32).
func TestAlignmentsRead(t *testing.T) {
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
	src := "typedef struct { char c; _Alignas(16) char d; } M;\ntypedef struct __attribute__((aligned(32))) { char c; } D;\n"
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
	got := map[string]int64{}
	for _, s := range m.Structs {
		got[s.Name] = s.Size
	}
	if got["M"] != 32 || got["D"] != 32 {
		t.Errorf("sizes: M %d, D %d; gcc: 32, 32", got["M"], got["D"])
	}
}
