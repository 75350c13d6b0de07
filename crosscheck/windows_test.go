package crosscheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/target"
)

// windowsSources are the CPython source trees whose Windows configuration
// header is at hand (scripts/cpython-src.sh, run by make pythons), each
// with that header.
var windowsSources = []struct{ dir, header string }{
	{"Python-3.11.2", "PC/pyconfig.h"},
	{"Python-3.13.15", "PC/pyconfig.h.in"},
}

// windowsPython is the source tree's Include/ seen with its Windows
// configuration header, or a skip saying what is missing.
func windowsPython(t *testing.T, dir, header string) *cparse.Python {
	t.Helper()
	root := filepath.Join("..", ".cache", "src", dir)
	if _, err := os.Stat(filepath.Join(root, header)); err != nil {
		t.Skipf("%s/%s is not at hand (make pythons fetches CPython's source): not checked", dir, header)
	}
	py, err := cparse.FromIncludeDir(filepath.Join(root, "Include"))
	if err != nil {
		t.Fatal(err)
	}
	if py, err = cparse.WithConfigHeader(py, filepath.Join(root, header)); err != nil {
		t.Fatal(err)
	}
	return py
}

// windowsVariants are the configurations the Windows headers accept.
var windowsVariants = []struct {
	name    string
	since   [2]int
	defines []cparse.Define
}{
	{"release", [2]int{3, 0}, nil},
	{"debug", [2]int{3, 0}, []cparse.Define{{Name: "Py_DEBUG", Value: "1"}}},
	{"freethreaded", [2]int{3, 13}, []cparse.Define{{Name: "Py_GIL_DISABLED", Value: "1"}}},
	{"limited-3.8", [2]int{3, 0}, []cparse.Define{{Name: "Py_LIMITED_API", Value: "0x03080000"}}},
	{"limited-own", [2]int{3, 0}, nil}, // Py_LIMITED_API of the version itself, set below
}

// TestWindowsAgainstMinGW checks every struct size, member offset and
// width, bitfield, constant, string and initializer of the Windows include
// against mingw gcc compiling the same headers with the same Windows
// configuration header, in every configuration, for each source at hand.
func TestWindowsAgainstMinGW(t *testing.T) {
	tg := target.Windows
	needTools(t, tg.CrossCC, "nasm")
	for _, src := range windowsSources {
		t.Run(src.dir, func(t *testing.T) {
			py := windowsPython(t, src.dir, src.header)
			major, minor := version(py)
			for _, v := range windowsVariants {
				if major < v.since[0] || major == v.since[0] && minor < v.since[1] {
					continue
				}
				defines := v.defines
				if v.name == "limited-own" {
					defines = []cparse.Define{{Name: "Py_LIMITED_API", Value: hexVersion(major, minor)}}
				}
				t.Run(v.name, func(t *testing.T) {
					t.Parallel()
					r, err := pipeline.RunFor(py, defines, tg)
					if err != nil {
						t.Fatal(err)
					}
					if r.Model.Target != tg.ABIName {
						t.Fatalf("model for %s, want %s", r.Model.Target, tg.ABIName)
					}
					checkAgainstGCC(t, r.Unit, r.Model, r.Include)
				})
			}
		})
	}
}

func hexVersion(major, minor int) string {
	const digits = "0123456789ABCDEF"
	return "0x" + string([]byte{digits[major/16], digits[major%16], digits[minor/16], digits[minor%16]}) + "0000"
}

// windowsFuzzStructs is how many generated structs and unions the Windows
// fuzz test checks: the generator's mixed declared types, zero-width and
// packed bitfields are where the MS rules part from System V's.
const windowsFuzzStructs = 10000

// TestGeneratedHeadersWindows runs the differential fuzzer against mingw
// gcc until windowsFuzzStructs aggregates have been compared (-short:
// a tenth).
func TestGeneratedHeadersWindows(t *testing.T) {
	tg := target.Windows
	needTools(t, tg.CrossCC, "nasm")
	want := windowsFuzzStructs
	if testing.Short() {
		want /= 10
	}
	const batch = 8 // headers checked at once
	total := 0
	for seed := int64(1); total < want; seed += batch {
		counts := make([]int, batch)
		t.Run("", func(t *testing.T) {
			for i := range counts {
				t.Run("", func(t *testing.T) {
					t.Parallel()
					counts[i] = checkGeneratedFor(t, seed+int64(i), tg)
				})
			}
		})
		if t.Failed() {
			return
		}
		for _, c := range counts {
			total += c
		}
	}
	t.Logf("%d generated structs and unions checked against %s: 0 mismatches", total, tg.CrossCC)
}
