package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// packaging times pyinc build of ext/ (include from the warm cache, nasm,
// cc, the ELF checks, the manylinux judgement and the wheel) against the
// same nasm and cc commands run by hand on an include already written:
// what packaging and checking add. The goal is at most 20%. pyinc build
// gives nasm the include cut to what refext.asm uses (package inccut);
// by hand, nasm reads the whole include, as a user's own command would.
func packaging(pys []python, tmp string) {
	fmt.Printf("\n4. Packaging: pyinc build of ext/ against the same nasm and cc by hand (seconds)\n")
	p, ok := hostPython(pys)
	if !ok {
		fmt.Println("no Python 3 runs on this host: skipped")
		return
	}
	dir := filepath.Join(tmp, "build")
	inc := filepath.Join(dir, "include")
	check(os.MkdirAll(inc, 0o755))
	os.Setenv("PYINC_CACHE_DIR", filepath.Join(tmp, "cache"))
	ext, _ := filepath.Abs("ext")
	out := filepath.Join(dir, "dist")
	bin, err := filepath.Abs(*pyinc)
	check(err)
	build := []string{bin, "build", ext, "--python", p.interp, "-q", "-o", out}
	mustRun("", build...) // fills the cache, as a user's second build finds it
	mustRun("", bin, "gen", "-q", "--python", p.interp, "-o", filepath.Join(inc, "python.inc"))
	obj, so := filepath.Join(dir, "refext.o"), filepath.Join(dir, "refext"+p.suffix)
	byHand := [][]string{
		{"nasm", "-f", "elf64", "-I", inc + "/", "-I", "./", "-o", obj, "refext.asm"},
		{"cc", "-shared", "-o", so, obj},
	}
	gen := [][]string{{bin, "gen", "-q", "--python", p.interp, "-o", filepath.Join(dir, "again.inc")}}
	version := [][]string{{bin, "version"}}
	n := 2**runs + 1 // cheap, and the machine is noisy: more runs
	times := alternate(n, ext, [][]string{build}, byHand, gen, version)
	dBuild, dHand, dGen, dStart := times[0], times[1], times[2], times[3]
	fmt.Printf("CPython %s: pyinc build %s s, nasm + cc by hand %s s: ratio %.2f (goal at most 1.20)\n",
		p.version, seconds3(dBuild), seconds3(dHand), dBuild.Seconds()/dHand.Seconds())
	// Where the rest goes: the include from the warm cache (pyinc gen:
	// the kept interpreter answers, checking the cache) against the
	// packing; a pyinc that does nothing (pyinc version) is the floor.
	fmt.Printf("  the include from the warm cache (pyinc gen) %s s, of which starting pyinc at all (pyinc version) %s s;\n",
		seconds3(dGen), seconds3(dStart))
	fmt.Printf("  without it, pyinc build against by hand: ratio %.2f\n", (dBuild-dGen).Seconds()/dHand.Seconds())
}

// hostPython is the first Python 3 that runs without chroot.
func hostPython(pys []python) (python, bool) {
	for _, p := range pys {
		if p.root == "" && strings.HasPrefix(p.version, "3.") {
			return p, true
		}
	}
	return python{}, false
}

// alternate times each sequence of commands n times, taking turns so that
// the machine's noise falls on all of them alike, and returns the medians.
func alternate(n int, dir string, seqs ...[][]string) []time.Duration {
	all := make([][]time.Duration, len(seqs))
	for i := 0; i < n; i++ {
		for j, seq := range seqs {
			t0 := time.Now()
			for _, c := range seq {
				mustRun(dir, c...)
			}
			all[j] = append(all[j], time.Since(t0))
		}
	}
	med := make([]time.Duration, len(seqs))
	for j, ds := range all {
		sort.Slice(ds, func(a, b int) bool { return ds[a] < ds[b] })
		med[j] = ds[len(ds)/2]
	}
	return med
}

func mustRun(dir string, args ...string) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		check(fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, out))
	}
}

func seconds3(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
