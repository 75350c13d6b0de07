package crosscheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/target"
)

// seedCases is how many generated headers the normal test run checks; each
// holds several aggregates, enums and macros. go test -fuzz=FuzzLayout runs
// as many more as it is given time for.
const seedCases = 40

// checkGenerated writes the header for seed, runs pyinc on it and compares
// everything with gcc. It returns the header for the failure message.
func checkGenerated(t *testing.T, seed int64) {
	t.Helper()
	checkGeneratedFor(t, seed, target.Default())
}

// checkGeneratedFor is checkGenerated for the target tg, against tg's
// compiler. It returns how many structs and unions gcc confirmed.
func checkGeneratedFor(t *testing.T, seed int64, tg target.Target) int {
	t.Helper()
	dir := t.TempDir()
	inc := filepath.Join(dir, "python3.99")
	if err := os.Mkdir(inc, 0o755); err != nil {
		t.Fatal(err)
	}
	header := NewDeclGenFor(seed, int(tg.LongSize*8)).Header(4)
	if err := os.WriteFile(filepath.Join(inc, "Python.h"), []byte(header), 0o644); err != nil {
		t.Fatal(err)
	}
	py := &cparse.Python{Version: "3.99.0", IncludeDirs: []string{inc}, Source: "fuzz"}
	r, err := pipeline.RunFor(py, nil, tg)
	if err != nil {
		t.Fatalf("seed %d: %v\nheader:\n%s", seed, err, header)
	}
	p, bad, err := Check(r.Unit, r.Model, r.Include, dir)
	if err != nil {
		t.Fatalf("seed %d: %v\nheader:\n%s", seed, err, header)
	}
	if len(bad) > 0 {
		for i, b := range bad {
			if i == 20 {
				break
			}
			t.Errorf("seed %d: %v", seed, b)
		}
		t.Fatalf("seed %d: %d mismatches with gcc\nheader:\n%s\ninclude:\n%s", seed, len(bad), header, r.Include)
	}
	return p.Counts.Structs
}

// TestGeneratedHeaders runs the fuzzer's deterministic seed corpus.
func TestGeneratedHeaders(t *testing.T) {
	needTools(t, "gcc", "nasm")
	for seed := int64(1); seed <= seedCases; seed++ {
		seed := seed
		t.Run("", func(t *testing.T) {
			t.Parallel()
			checkGenerated(t, seed)
		})
	}
}

// FuzzLayout is the differential fuzzer: go test -fuzz=FuzzLayout ./crosscheck.
// A seed that ever failed is kept in testdata/fuzz/FuzzLayout.
func FuzzLayout(f *testing.F) {
	testutil.NeedTools(f, "gcc", "nasm")
	for seed := int64(1); seed <= 4; seed++ {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed int64) {
		needTools(t, "gcc", "nasm") // the fast tier has no nasm
		checkGenerated(t, seed)
	})
}
