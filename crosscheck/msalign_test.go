package crosscheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/target"
)

// msAlignHeader holds members with their own alignment right after a run
// of bitfields, under the MS rules: gcc aligns such a member only if the
// run stopped off that boundary, before the rest of its unit is skipped.
// B5 and Fuzz1326 are the shapes the Windows fuzzer found (seed 1326).
const msAlignHeader = `#define P __attribute__((packed))
typedef struct P B5 { long long m0; int m1 : 3; long long m2 : 32; _Alignas(16) long long m3; } B5;
typedef struct P B5a { long long m0; int m1 : 3; long long m2 : 31; _Alignas(16) long long m3; } B5a;
typedef struct P B5b { long long m0; int m1 : 3; long long m2 : 33; _Alignas(16) long long m3; } B5b;
typedef struct P J { long long q; int x : 3; long long y : 3; _Alignas(16) long long m3; } J;
typedef struct P P4 { short c; short m2 : 16; _Alignas(32) long long m3; } P4;
typedef struct P1 { char c; long long m2 : 32; _Alignas(32) long long m3; } P1;
typedef struct __attribute__((packed, aligned(2))) Fuzz1326 { unsigned long long m0; unsigned long m1 : 26; __int128 m2 : 32; _Alignas(16) long long m3; long double m4; } Fuzz1326;
typedef struct P A2 { int x : 3; long long y : 32; _Alignas(8) long long m3; } A2;
typedef struct P A3 { char pad[28]; long long x : 32; _Alignas(32) char m3; } A3;
typedef struct P __attribute__((aligned(64))) A6 { char pad[12]; long long x : 32; _Alignas(16) char m3; } A6;
typedef struct P A7 { char pad[12]; long long x : 32; char m3 __attribute__((aligned(16))); } A7;
typedef struct P A8 { char pad[12]; long long x : 32; int : 0; _Alignas(16) char m3; } A8;
typedef struct P A10 { char pad[15]; long long x : 8; _Alignas(16) char m3; } A10;
typedef struct P A11 { char pad[12]; long long x : 32; long long y : 32; _Alignas(16) char m3; } A11;
typedef struct P A20 { int x : 32; __int128 y : 96; _Alignas(16) char m3; } A20;
typedef union P U { int x : 3; long long y : 32; _Alignas(16) char m3; } U;
`

// msAlignWant is where x86_64-w64-mingw32-gcc -mlong-double-64 puts m3
// (offsetof, measured), so that a Check that quietly skipped a struct
// still fails.
var msAlignWant = map[string]int64{
	"B5": 20, "B5a": 32, "B5b": 32, "J": 32, "P4": 32, "P1": 32, "Fuzz1326": 28,
	"A2": 12, "A3": 36, "A6": 20, "A7": 20, "A8": 32, "A10": 23, "A11": 32, "A20": 20, "U": 0,
}

// TestMSMemberAlignAfterRun lays out msAlignHeader for Windows and holds
// every size, offset and bitfield to mingw gcc compiling it.
func TestMSMemberAlignAfterRun(t *testing.T) {
	tg := target.Windows
	needCross(t, tg, "nasm")
	dir := t.TempDir()
	inc := filepath.Join(dir, "python3.99")
	if err := os.Mkdir(inc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inc, "Python.h"), []byte(msAlignHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	py := &cparse.Python{Version: "3.99.0", IncludeDirs: []string{inc}, Source: "test"}
	r, err := pipeline.RunFor(py, nil, tg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, s := range r.Model.Structs {
		for _, m := range append(s.Lines, s.Alts...) {
			if m.Path == "m3" {
				got[s.Name] = m.Offset
			}
		}
	}
	for name, want := range msAlignWant {
		if off, ok := got[name]; !ok || off != want {
			t.Errorf("%s.m3 at %d (laid out: %v), gcc: %d", name, off, ok, want)
		}
	}
	n, bad, err := Check(r.Unit, r.Model, r.Include, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%v", b)
	}
	if n.Counts.Structs != len(msAlignWant) {
		t.Errorf("gcc checked %d structs, want %d", n.Counts.Structs, len(msAlignWant))
	}
}
