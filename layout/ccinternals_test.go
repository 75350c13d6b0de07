package layout

import (
	"testing"
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
	m := buildHeader(t, "typedef struct { char c; _Alignas(16) char d; } M;\ntypedef struct __attribute__((aligned(32))) { char c; } D;\n")
	got := map[string]int64{}
	for _, s := range m.Structs {
		got[s.Name] = s.Size
	}
	if got["M"] != 32 || got["D"] != 32 {
		t.Errorf("sizes: M %d, D %d; gcc: 32, 32", got["M"], got["D"])
	}
}
