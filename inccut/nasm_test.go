package inccut

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/project"
	"github.com/pyinc/pyinc/snapshots"
)

// The cut is right when nasm agrees: each source assembled against the
// whole include and against the cut gives the same object. The committed
// snapshots (every Python and configuration) are the includes; the
// sources are every assembly file of the repository and of the scaffold,
// and generated ones that use random names of each include.

func repoFile(parts ...string) string {
	return filepath.Join(append([]string{".."}, parts...)...)
}

// sources are the assembly files users see from pyinc: the reference
// extension, the macro test module, the meson example and what pyinc new
// scaffolds.
func sources(t *testing.T) []string {
	t.Helper()
	var srcs []string
	for _, p := range [][]string{{"ext", "refext.asm"}, {"ext", "macros.asm"}, {"ext", "rcthreads.asm"}, {"examples", "meson-python", "asmsum.asm"}} {
		abs, err := filepath.Abs(repoFile(p...))
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, abs)
	}
	dir := filepath.Join(t.TempDir(), "scaffold")
	if err := project.New("scaffold", dir); err != nil {
		t.Fatal(err)
	}
	return append(srcs, filepath.Join(dir, "scaffold.asm"))
}

// assemble runs nasm on src from work (which holds no python.inc: nasm
// looks in its working directory first) with incDir on the include path;
// it returns the object, or nil and nasm's messages when nasm fails.
func assemble(t *testing.T, work, incDir, src, obj string) ([]byte, string) {
	t.Helper()
	cmd := exec.Command("nasm", "-f", "elf64", "-I", incDir+"/", "-o", obj, src)
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, string(out)
	}
	b, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b, string(out)
}

var macroLabelRE = regexp.MustCompile(`\.\.@[0-9]+`)

// symbols are nm's lines for obj, split into the absolute symbols (the
// include's equ and STRUC labels, which a cut has fewer of) and the rest,
// whose macro-local names (..@1234.x, numbered by nasm's macro counter)
// are renumbered away.
func symbols(t *testing.T, obj string) (absolute, other []string) {
	t.Helper()
	out, err := exec.Command("nm", obj).Output()
	if err != nil {
		t.Fatalf("nm %s: %v", obj, err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Fields(l)
		l = strings.Join(f, " ")
		if len(f) == 3 && (f[1] == "a" || f[1] == "A") {
			absolute = append(absolute, l)
		} else if l != "" {
			other = append(other, macroLabelRE.ReplaceAllString(l, "..@N"))
		}
	}
	slices.Sort(other)
	return absolute, other
}

// sameObject fails unless the objects at full and cut are the same code,
// data, relocations and global symbols (identical once objcopy has
// discarded local symbols), the same local labels, and the cut's absolute
// symbols are a subset of the whole include's, with the same values.
func sameObject(t *testing.T, what, full, cut string) {
	t.Helper()
	var stripped [2][]byte
	for i, obj := range []string{full, cut} {
		x := obj + ".x"
		if out, err := exec.Command("objcopy", "-x", obj, x).CombinedOutput(); err != nil {
			t.Fatalf("objcopy -x %s: %v\n%s", obj, err, out)
		}
		stripped[i], _ = os.ReadFile(x)
	}
	if string(stripped[0]) != string(stripped[1]) {
		t.Errorf("%s: the objects differ in code, data, relocations or global symbols", what)
	}
	fullAbs, fullOther := symbols(t, full)
	cutAbs, cutOther := symbols(t, cut)
	if !slices.Equal(fullOther, cutOther) {
		t.Errorf("%s: local labels differ:\nwhole include: %q\ncut: %q", what, fullOther, cutOther)
	}
	for _, s := range cutAbs {
		if !slices.Contains(fullAbs, s) {
			t.Errorf("%s: the cut's object has absolute symbol %q, the whole include's has not", what, s)
		}
	}
}

// check assembles src against inc whole and cut and compares.
func check(t *testing.T, work string, inc *Include, wholeDir, src string) {
	t.Helper()
	uses, ok, _ := Uses(work, []string{src}, nil)
	if !ok {
		t.Fatalf("%s: no cut (the source builds names or includes a missing file)", src)
	}
	cutDir, err := os.MkdirTemp(work, "cut")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cutDir, IncludeName), inc.Cut(uses), 0o644); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(cutDir, strings.TrimSuffix(filepath.Base(src), ".asm"))
	full, fullMsg := assemble(t, work, wholeDir, src, base+".full.o")
	cut, cutMsg := assemble(t, work, cutDir, src, base+".cut.o")
	what := filepath.Base(src)
	switch {
	case full == nil && cut == nil:
		// The source is not for this Python (refext on 2.7): the cut
		// must refuse it too, which it did.
	case full == nil || cut == nil:
		t.Errorf("%s: nasm accepts it with only one of the includes:\nwhole: %s\ncut: %s", what, fullMsg, cutMsg)
	default:
		sameObject(t, what, base+".full.o", base+".cut.o")
	}
}

// namesSource uses n random names of inc: %ifdef for single-line macros,
// %ifmacro for macros, dq for labels, EXTERNs and STRUC sizes, so that a
// cut that loses any of them assembles to something else or not at all.
func namesSource(inc *Include, n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("%include \"python.inc\"\nsection .data\n")
	for range n {
		blk := inc.blocks[r.IntN(len(inc.blocks))]
		if blk.names == nil {
			continue
		}
		name := blk.names[r.IntN(len(blk.names))]
		switch f := fields2(blk.text); f[0] {
		case "%define", "%xdefine", "%assign":
			fmt.Fprintf(&b, "%%ifdef %s\n db 1\n%%else\n db 0\n%%endif\n", name)
		case "%macro":
			fmt.Fprintf(&b, "%%ifmacro %s\n db 2\n%%else\n db 0\n%%endif\n", name)
		default: // STRUC, equ, EXTERN: labels
			fmt.Fprintf(&b, " dq %s\n", name)
		}
	}
	return b.String()
}

func TestCutAssemblesLikeTheWholeInclude(t *testing.T) {
	testutil.NeedTools(t, "nasm", "objcopy", "nm")
	entries, err := snapshots.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	srcs := sources(t)
	for _, e := range entries {
		t.Run(e.File, func(t *testing.T) {
			t.Parallel()
			text, err := os.ReadFile(repoFile("snapshots", e.File))
			if err != nil {
				t.Fatal(err)
			}
			inc, ok := Parse(string(text))
			if !ok {
				t.Fatalf("Parse refused %s: every include pyinc writes must be cut", e.File)
			}
			work := t.TempDir()
			whole := filepath.Join(work, "whole")
			os.Mkdir(whole, 0o755)
			if err := os.WriteFile(filepath.Join(whole, IncludeName), text, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, src := range srcs {
				check(t, work, inc, whole, src)
			}
			for i := range 3 {
				src := filepath.Join(work, fmt.Sprintf("names%d.asm", i))
				os.WriteFile(src, []byte(namesSource(inc, 150, uint64(i)+uint64(len(e.File)))), 0o644)
				check(t, work, inc, whole, src)
			}
		})
	}
}

// TestCutIsSmaller: the point of the cut, for the reference extension.
func TestCutIsSmaller(t *testing.T) {
	text, err := os.ReadFile(repoFile("snapshots", "python3.13.inc"))
	if err != nil {
		t.Fatal(err)
	}
	inc, _ := Parse(string(text))
	uses, ok, _ := Uses(".", []string{repoFile("ext", "refext.asm")}, nil)
	if !ok {
		t.Fatal("refext.asm gets no cut")
	}
	cut := inc.Cut(uses)
	if whole, got := strings.Count(string(text), "\n"), strings.Count(string(cut), "\n"); got*4 > whole {
		t.Errorf("the cut for refext is %d lines of %d: want at most a quarter", got, whole)
	}
}
