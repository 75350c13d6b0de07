package crosscheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
)

// wideHeader holds bitfields of __int128 wider than 64 bits, which gcc
// lays out and cc/v4 refuses, between structs it reads.
const wideHeader = `typedef struct Before { int a; char b; } Before;
typedef struct Wide { long before; __int128 m : 116; unsigned __int128 n : 70; char after; } Wide;
struct Unnamed { char c; unsigned __int128 : 100; int tail; };
typedef struct Outer { int x; Wide w; } Outer;
typedef struct Nest { char c; struct { __int128 deep : 90; char tail; }; } Nest;
typedef struct After { short s; __int128 v; long bits : 60; unsigned __int128 u : 64; unsigned __int128 small : 10; } After;
#define WIDE_SIZE (sizeof(Wide))
#define AFTER_SIZE (sizeof(After))
enum { AFTER_V = __builtin_offsetof(After, v) };
extern long PyWide_Use(Wide, long);
extern int PyAfter_Use(After *, long);
`

// TestWideBitfields: a header with bitfields wider than the C front end
// reads is not lost: a named one is laid out as gcc does (without an
// accessor: no single load reads it), a struct with an unnamed one is left
// out with a warning naming its line, and so is what takes the front
// end's sizeof of them; gcc agrees with everything laid out.
func TestWideBitfields(t *testing.T) {
	needTools(t, "gcc", "nasm")
	dir := t.TempDir()
	inc := filepath.Join(dir, "python3.99")
	if err := os.Mkdir(inc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(inc, "Python.h"), []byte(wideHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	py := &cparse.Python{Version: "3.99.0", IncludeDirs: []string{inc}, Source: "test"}
	r, err := pipeline.Run(py, nil)
	if err != nil {
		t.Fatalf("the header is lost whole: %v", err)
	}
	warnings := strings.Join(r.Warnings, "\n")
	for _, want := range []string{
		// Laid out as gcc does; no single load reads them.
		"bitfield Wide.m (width 116 at bit 128): no load of 1, 2, 4 or 8 bytes inside the struct reads it",
		"bitfield Wide.n (width 70 at bit 256): no load of 1, 2, 4 or 8 bytes inside the struct reads it",
		// An unnamed one cannot be told from the others.
		"Unnamed: left out: its unnamed bitfield (Python.h:3) is 100 bits wide, wider than the C front end reads (64 bits)",
		// The front end's sizeof of Wide is not gcc's.
		"macro WIDE_SIZE: left out, its value depends on the layout of Wide",
		// Not wide, but of __int128: its 16-byte unit is no load, and no
		// load of 8 bytes or fewer holds bits 316-379.
		"bitfield After.u (width 64 at bit 316): no load of 1, 2, 4 or 8 bytes inside the struct reads it",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("no warning %q in:\n%s", want, warnings)
		}
	}
	if re := regexp.MustCompile(`[a-z0-9_]+\.go:[0-9]+`); re.MatchString(warnings) || re.Match(r.Include) {
		t.Errorf("a position in the front end's code is shown:\n%s", warnings)
	}
	laid := map[string]bool{}
	for _, s := range r.Model.Structs {
		laid[s.Name] = true
	}
	for name, want := range map[string]bool{"Before": true, "After": true, "Wide": true, "Outer": true, "Nest": true, "Unnamed": false} {
		if laid[name] != want {
			t.Errorf("struct %s laid out: %v, want %v", name, laid[name], want)
		}
	}
	n, bad, err := Check(r.Unit, r.Model, r.Include, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%v", b)
	}
	if n.Counts.Structs != 5 || n.Counts.Bitfields != 2 || n.Counts.Constants == 0 {
		t.Errorf("gcc checked %v: want Before, Wide, Outer, Nest and After, After.bits and After.small, and the constants", n.Counts)
	}
}
