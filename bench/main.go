// Command bench measures pyinc side by side with what it is compared to,
// in one run, and prints ratios (the machine is shared and noisy: absolute
// times alone mean little). make bench runs it.
//
//  1. pyinc gen per Python, and for all at once, against gcc -fsyntax-only
//     on the same headers and go tool cgo -godefs on the same structs,
//     with peak memory; the goals of issue 18 are checked at the end; and
//     gen --target windows-x86_64 against mingw gcc -fsyntax-only (issue 27);
//  2. nasm on the reference extension with the full include against a
//     minimal one holding only what it uses;
//  3. calls per second of refext against the same functions in C (gcc -O2),
//     beside two yardsticks (a ceiling and C against itself); the goals of
//     issue 16 are checked at the end;
//  4. pyinc build of refext (a wheel, with its checks) against the same
//     nasm and cc commands run by hand.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

var (
	pyinc = flag.String("pyinc", "build/pyinc", "the pyinc binary")
	runs  = flag.Int("runs", 7, "runs per timing; the median is shown")
	only  = flag.String("only", "", "run one part: gen, windows, include, calls, build or winbuild")
)

type python struct {
	version, interp, incdir, lib, suffix, build string
	root                                        string // tree, for chroot
}

func main() {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "pyinc-bench")
	check(err)
	defer os.RemoveAll(tmp)
	pys := pythons()
	fmt.Printf("pyinc benchmarks: %d Pythons, median of %d runs, %s\n", len(pys), *runs, time.Now().UTC().Format("2006-01-02"))
	for _, part := range []struct {
		name string
		run  func([]python, string)
	}{{"gen", generator}, {"windows", windowsGen}, {"include", includeCost}, {"calls", calls}, {"build", packaging}, {"winbuild", windows}} {
		if *only == "" || *only == part.name {
			part.run(pys, tmp)
		}
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func treeRoot() string {
	if _, err := os.Stat(".cache/sid/usr/bin/python3.14"); err == nil {
		abs, _ := filepath.Abs(".cache/sid")
		return abs
	}
	return ""
}

func pythons() []python {
	args := []string{"list", "--porcelain"}
	if r := treeRoot(); r != "" {
		args = append(args, "--root", r)
	}
	out, err := exec.Command(*pyinc, args...).Output()
	check(err)
	var ps []python
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 6 || f[1] == "-" {
			continue
		}
		p := python{f[0], f[1], f[2], f[3], f[4], f[5], ""}
		if r := treeRoot(); r != "" && strings.HasPrefix(p.interp, r+"/") {
			p.root = r
		}
		ps = append(ps, p)
	}
	return ps
}

// sample is one run of a command: wall time, peak resident memory and
// the CPU time it and its children used.
type sample struct {
	wall, cpu time.Duration
	rssKB     int64
}

// measure runs cmd *runs times with env added and returns the median wall
// time, the median CPU time and the largest peak RSS.
func measure(env []string, name string, args ...string) sample {
	var walls, cpus []time.Duration
	var rss int64
	for i := 0; i < *runs; i++ {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(t0)
		if err != nil {
			check(fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out))
		}
		walls = append(walls, wall)
		cpus = append(cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > rss {
			rss = ru.Maxrss // kilobytes on Linux
		}
	}
	return sample{wall: median(walls), cpu: median(cpus), rssKB: rss}
}

// timeIt is the median wall time of *runs runs of cmd.
func timeIt(name string, args ...string) time.Duration { return measure(nil, name, args...).wall }

func median(ds []time.Duration) time.Duration {
	ds = append([]time.Duration{}, ds...)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func medianF(xs []float64) float64 {
	xs = append([]float64{}, xs...)
	sort.Float64s(xs)
	return xs[len(xs)/2]
}

func incFlags(p python) []string {
	f := []string{"-I", p.incdir}
	if p.root != "" {
		f = append(f, "-idirafter", filepath.Join(p.root, "usr", "include"))
	}
	return f
}

var structHeadRE = regexp.MustCompile(`(?m)^; (struct|union) ([^: ]+)( \(no typedef\))?: size`)

// godefsInput is a Go file asking cgo -godefs for every struct of inc.
func godefsInput(inc string) string {
	var b strings.Builder
	b.WriteString("package p\n\n/*\n#include <Python.h>\n#include <structmember.h>\n*/\nimport \"C\"\n\n")
	for i, m := range structHeadRE.FindAllStringSubmatch(inc, -1) {
		name := m[2]
		if m[3] != "" {
			name = m[1] + "_" + name // a tag: C.struct__frozen
		}
		fmt.Fprintf(&b, "type T%d C.%s\n", i, name)
	}
	return b.String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

// Goals of issue 18, checked on every run.
const (
	goalColdGcc    = 4.0 // cold pyinc / gcc -fsyntax-only
	goalColdGodefs = 1.0 // cold pyinc / go tool cgo -godefs
	goalWarmGcc    = 0.3 // cached pyinc / gcc -fsyntax-only
	goalRSSMB      = 200 // peak RSS of a cold run
)

func generator(pys []python, tmp string) {
	fmt.Printf("\n1. Generating includes (seconds; ratio = pyinc / other)\n")
	fmt.Printf("cold: gen --no-cache (headers parsed; the compiler's and interpreter's answers kept);\n")
	fmt.Printf("first: no cache at all; warm: the include from the cache\n")
	fmt.Printf("%-14s %6s %6s %6s %6s %6s %8s %9s %8s %7s\n", "Python", "cold", "first", "warm", "gcc", "godefs",
		"cold/gcc", "cold/gdef", "warm/gcc", "RSS MB")
	cacheEnv := []string{"PYINC_CACHE_DIR=" + filepath.Join(tmp, "cache")}
	noCache := []string{"PYINC_CACHE_DIR=off"}
	var coldGcc, coldGodefs, warmGcc []float64
	var sum time.Duration
	var maxRSS int64
	for _, p := range pys {
		name := p.version + map[bool]string{true: "-debug", false: ""}[strings.Contains(p.build, "Py_DEBUG")]
		if strings.Contains(p.build, "Py_GIL_DISABLED") {
			name += "t" // free-threaded
		}
		if strings.Contains(p.build, "Py_TRACE_REFS") {
			name += "-trace"
		}
		inc := filepath.Join(tmp, "g.inc")
		gen := []string{"gen", "-q", "--python", p.interp, "-o", inc}
		first := measure(noCache, *pyinc, append(gen, "--no-cache")...)
		exec.Command(*pyinc, gen...).Run() // fill the cache
		cold := measure(cacheEnv, *pyinc, append(gen, "--no-cache")...)
		warm := measure(cacheEnv, *pyinc, gen...)
		sum += cold.wall
		maxRSS = max(maxRSS, cold.rssKB, first.rssKB)
		c := filepath.Join(tmp, "syntax.c")
		os.WriteFile(c, []byte("#include <Python.h>\n#include <structmember.h>\n"), 0o644)
		gcc := timeIt("gcc", append(append([]string{"-fsyntax-only"}, incFlags(p)...), c)...)
		text, _ := os.ReadFile(inc)
		g := filepath.Join(tmp, "defs.go")
		os.WriteFile(g, []byte(godefsInput(string(text))), 0o644)
		var gd time.Duration
		ratio := "-"
		if !strings.HasPrefix(p.version, "2.") {
			// -objdir: cgo otherwise leaves _obj and _cgo_2.o in the working directory.
			gd = timeIt("go", append(append([]string{"tool", "cgo", "-objdir", filepath.Join(tmp, "cgo"), "-godefs", "--"}, incFlags(p)...), g)...)
			r := cold.wall.Seconds() / gd.Seconds()
			coldGodefs = append(coldGodefs, r)
			ratio = fmt.Sprintf("%.2f", r)
		}
		coldGcc = append(coldGcc, cold.wall.Seconds()/gcc.Seconds())
		warmGcc = append(warmGcc, warm.wall.Seconds()/gcc.Seconds())
		fmt.Printf("%-14s %6s %6s %6s %6s %6s %8.2f %9s %8.2f %7.0f\n", name, seconds(cold.wall), seconds(first.wall),
			seconds(warm.wall), seconds(gcc), seconds(gd), cold.wall.Seconds()/gcc.Seconds(), ratio,
			warm.wall.Seconds()/gcc.Seconds(), float64(cold.rssKB)/1024)
	}
	dir := filepath.Join(tmp, "all")
	os.Mkdir(dir, 0o755)
	args := []string{"gen", "-q", "--all", "--no-cache", "-o", dir}
	if r := treeRoot(); r != "" {
		args = append(args, "--root", r)
	}
	all := measure(cacheEnv, *pyinc, args...)
	cores := all.cpu.Seconds() / all.wall.Seconds()
	fmt.Printf("all %d at once (pyinc gen --all): %s s, against %s s one after another: %.1fx faster; %.1f of %d cores busy\n",
		len(pys), seconds(all.wall), seconds(sum), sum.Seconds()/all.wall.Seconds(), cores, runtime.NumCPU())
	fmt.Printf("\nGoals (issue 18; median over the Pythons, worst in brackets):\n")
	goal("cold vs gcc -fsyntax-only", medianF(coldGcc), slices.Max(coldGcc), goalColdGcc, "x")
	if len(coldGodefs) > 0 {
		goal("cold vs go tool cgo -godefs", medianF(coldGodefs), slices.Max(coldGodefs), goalColdGodefs, "x")
	}
	goal("warm vs gcc -fsyntax-only", medianF(warmGcc), slices.Max(warmGcc), goalWarmGcc, "x")
	mb := float64(maxRSS) / 1024
	goal("peak RSS of a cold run", mb, mb, goalRSSMB, " MB")
	verdict := "met"
	if cores < 0.8*float64(runtime.NumCPU()) {
		verdict = "NOT MET"
	}
	fmt.Printf("  %-34s %6.1f of %d cores busy  %s\n", "gen --all uses every core", cores, runtime.NumCPU(), verdict)
}

// goal prints a measured ratio (median, worst) against its goal.
func goal(what string, got, worst, limit float64, unit string) {
	verdict := "met"
	if got > limit {
		verdict = "NOT MET"
	}
	fmt.Printf("  %-34s %6.2f%s (%.2f%s)  goal <= %.1f%s  %s\n", what, got, unit, worst, unit, limit, unit, verdict)
}

// windowsGen times pyinc gen --target windows-x86_64 on each CPython source
// tree make pythons fetched, against mingw gcc -fsyntax-only on the same
// headers with the same configuration header and flags.
func windowsGen(_ []python, tmp string) {
	const cc = "x86_64-w64-mingw32-gcc"
	cacheEnv := []string{"PYINC_CACHE_DIR=" + filepath.Join(tmp, "wcache")}
	trees, _ := filepath.Glob(filepath.Join(".cache", "src", "Python-3.*"))
	if _, err := exec.LookPath(cc); err != nil || len(trees) == 0 {
		fmt.Printf("\nWindows x64: not measured (needs %s and CPython's source in .cache/src: make deps pythons)\n", cc)
		return
	}
	fmt.Printf("\nWindows x64: pyinc gen --target windows-x86_64 on CPython's source tree against\n")
	fmt.Printf("%s -fsyntax-only -mms-bitfields -mlong-double-64 on the same headers\n", cc)
	fmt.Printf("%-14s %6s %6s %6s %8s %8s\n", "Python", "cold", "warm", "mingw", "cold/gcc", "warm/gcc")
	var coldR, warmR []float64
	for _, tree := range trees {
		header := ""
		for _, h := range []string{"pyconfig.h", "pyconfig.h.in"} {
			if _, err := os.Stat(filepath.Join(tree, "PC", h)); err == nil {
				header = filepath.Join(tree, "PC", h)
				break
			}
		}
		if header == "" {
			continue
		}
		inc := filepath.Join(tmp, "w.inc")
		gen := []string{"gen", "-q", "--target", "windows-x86_64", "--include-dir", filepath.Join(tree, "Include"), "-o", inc}
		exec.Command(*pyinc, gen...).Run() // fill the cache
		cold := measure(cacheEnv, *pyinc, append(gen, "--no-cache")...)
		warm := measure(cacheEnv, *pyinc, gen...)
		conf := filepath.Join(tmp, "winconf-"+filepath.Base(tree))
		os.MkdirAll(conf, 0o755)
		text, err := os.ReadFile(header)
		check(err)
		os.WriteFile(filepath.Join(conf, "pyconfig.h"), text, 0o644)
		c := filepath.Join(tmp, "syntax.c")
		os.WriteFile(c, []byte("#include <Python.h>\n#include <structmember.h>\n"), 0o644)
		gcc := timeIt(cc, "-fsyntax-only", "-mms-bitfields", "-mlong-double-64", "-DMS_WIN64=",
			"-I", filepath.Join(tree, "Include"), "-I", conf, c)
		name := strings.TrimPrefix(filepath.Base(tree), "Python-")
		coldR = append(coldR, cold.wall.Seconds()/gcc.Seconds())
		warmR = append(warmR, warm.wall.Seconds()/gcc.Seconds())
		fmt.Printf("%-14s %6s %6s %6s %8.2f %8.2f\n", name, seconds(cold.wall), seconds(warm.wall), seconds(gcc),
			cold.wall.Seconds()/gcc.Seconds(), warm.wall.Seconds()/gcc.Seconds())
	}
	if len(coldR) == 0 {
		return
	}
	fmt.Printf("\nGoals (issue 27, the same as Linux's; median, worst in brackets):\n")
	goal("Windows cold vs mingw gcc", medianF(coldR), slices.Max(coldR), goalColdGcc, "x")
	goal("Windows warm vs mingw gcc", medianF(warmR), slices.Max(warmR), goalWarmGcc, "x")
}

func includeCost(pys []python, tmp string) {
	fmt.Printf("\n2. Cost of the include: nasm on ext/refext.asm (seconds)\n")
	p := pys[0]
	dir := filepath.Join(tmp, "inc")
	os.MkdirAll(filepath.Join(dir, "min"), 0o755)
	check(exec.Command(*pyinc, "gen", "-q", "--python", p.interp, "-o", filepath.Join(dir, "python.inc")).Run())
	full, _ := os.ReadFile(filepath.Join(dir, "python.inc"))
	min := cutFor(string(full), "ext/refext.asm")
	os.WriteFile(filepath.Join(dir, "min", "python.inc"), []byte(min), 0o644)
	src, _ := filepath.Abs("ext/refext.asm")
	obj := filepath.Join(dir, "refext.o")
	dFull := timeIt("nasm", "-f", "elf64", "-I", dir+"/", "-o", obj, src)
	dMin := timeIt("nasm", "-f", "elf64", "-I", filepath.Join(dir, "min")+"/", "-o", obj, src)
	fmt.Printf("CPython %s: full include %d lines %s s, the cut pyinc build gives nasm %d lines %s s: the full include costs %.1fx\n",
		p.version, strings.Count(string(full), "\n"), seconds(dFull), strings.Count(min, "\n"), seconds(dMin), dFull.Seconds()/dMin.Seconds())
}

func calls(pys []python, tmp string) {
	fmt.Printf("\n3. Calls per second, refext (NASM) against cref (C, gcc -O2); ratio = NASM / C;\n")
	fmt.Printf("medians of %d runs of bench/testdata/calls.py, each the best of its rounds\n", callRuns)
	fmt.Printf("%-16s %-30s %12s %12s %6s\n", "Python", "function", "NASM", "C", "ratio")
	src, _ := filepath.Abs("ext/refext.asm")
	cref, _ := filepath.Abs("bench/testdata/cref.c")
	script, _ := filepath.Abs("bench/testdata/calls.py")
	for _, p := range pys {
		if strings.HasPrefix(p.version, "2.") {
			continue
		}
		if p.root != "" && os.Geteuid() != 0 {
			continue
		}
		base := tmp
		if p.root != "" {
			base = filepath.Join(p.root, "tmp")
		}
		dir, err := os.MkdirTemp(base, "calls")
		check(err)
		inc := filepath.Join(dir, "python.inc")
		run := func(name string, args ...string) {
			out, err := exec.Command(name, args...).CombinedOutput()
			if err != nil {
				check(fmt.Errorf("%s: %v\n%s", name, err, out))
			}
		}
		run(*pyinc, "gen", "-q", "--python", p.interp, "-o", inc)
		run("nasm", "-f", "elf64", "-I", dir+"/", "-o", filepath.Join(dir, "refext.o"), src)
		run("cc", "-shared", "-o", filepath.Join(dir, "refext"+p.suffix), filepath.Join(dir, "refext.o"))
		run("gcc", append(append([]string{"-O2", "-shared", "-fPIC", "-w"}, incFlags(p)...), "-o", filepath.Join(dir, "cref"+p.suffix), cref)...)
		b, _ := os.ReadFile(script)
		os.WriteFile(filepath.Join(dir, "calls.py"), b, 0o644)
		// Each run is a fresh process: where the modules land in memory
		// changes, and with it now and then a row by a fifth or more.
		var runs []map[string][2]float64
		for i := 0; i < callRuns; i++ {
			var out []byte
			if p.root != "" {
				in := "/tmp/" + filepath.Base(dir)
				out, err = exec.Command("chroot", p.root, "env", "PYTHONPATH="+in, strings.TrimPrefix(p.interp, p.root), in+"/calls.py").Output()
			} else {
				cmd := exec.Command(p.interp, filepath.Join(dir, "calls.py"))
				cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
				out, err = cmd.Output()
			}
			check(err)
			var rates map[string][2]float64
			check(json.Unmarshal(out, &rates))
			runs = append(runs, rates)
		}
		os.RemoveAll(dir)
		name := p.version + map[bool]string{true: "-debug", false: ""}[strings.Contains(p.build, "Py_DEBUG")]
		if strings.Contains(p.build, "Py_GIL_DISABLED") {
			name += "t" // free-threaded
		}
		if strings.Contains(p.build, "Py_TRACE_REFS") {
			name += "-trace"
		}
		for _, fn := range callRows {
			var a, b, ratio []float64
			for _, rates := range runs {
				if r, ok := rates[fn]; ok {
					a, b, ratio = append(a, r[0]), append(b, r[1]), append(ratio, r[0]/r[1])
				}
			}
			if len(ratio) == 0 {
				continue
			}
			fmt.Printf("%-16s %-30s %12.0f %12.0f %6.2f\n", name, fn, medianF(a), medianF(b), medianF(ratio))
			goals.add(name, p.version, fn, medianF(ratio))
		}
	}
	fmt.Printf("multiply_fast/ceiling: C that returns the product without reading its arguments, against C's\n")
	fmt.Printf("multiply_fast: what no way of reading ints can pass by more than noise. Counter.increment/C\n")
	fmt.Printf("against C: two cref Counters, the same code on both sides: how far noise alone moves a ratio.\n")
	goals.report()
}

// callRuns is how many times calls.py runs per Python; each row shows the
// medians over the runs.
const callRuns = 3

// callRows are the rows calls.py prints, in the order shown.
var callRows = []string{"multiply", "multiply_fast", "multiply_fast/compact", "multiply_fast/ceiling",
	"identity", "Counter.increment", "Counter.increment/C against C"}

// Goals of issue 16: multiply_fast at least 1.15x C with PyLong_AsLongLong
// and at least 0.97x C with PyUnstable_Long_CompactValue on 3.12+;
// Counter.increment at least 1.0x C.
const (
	goalMultiplyFast    = 1.15
	goalMultiplyCompact = 0.97
	goalIncrement       = 1.0
	// Issue 26: identity on a free-threaded Python, where Py_INCREF is
	// the headers' biased counting inline, at least 0.97x C.
	goalIdentityFT = 0.97
)

// callGoals gathers the ratios the goals of issue 16 are about.
type callGoals struct {
	worst   map[string]float64 // row -> the lowest ratio over the Pythons a goal covers
	at      map[string]string  // row -> the Python it was seen on
	ceiling map[string]float64 // Python -> its multiply_fast/ceiling ratio
	noise   []float64          // Counter.increment/C against C ratios
}

var goals = callGoals{worst: map[string]float64{}, at: map[string]string{}, ceiling: map[string]float64{}}

func (g *callGoals) add(name, version, row string, ratio float64) {
	var major, minor int
	fmt.Sscanf(version, "%d.%d", &major, &minor)
	switch {
	case row == "multiply_fast/ceiling":
		g.ceiling[name] = ratio
		return
	case row == "Counter.increment/C against C":
		g.noise = append(g.noise, ratio)
		return
	case strings.HasPrefix(row, "multiply_fast") && major*100+minor < 312:
		return
	case row == "identity":
		if !strings.HasSuffix(name, "t") {
			return
		}
		row = "identity/free-threaded"
	}
	if w, ok := g.worst[row]; !ok || ratio < w {
		g.worst[row], g.at[row] = ratio, name
	}
}

func (g *callGoals) report() {
	fmt.Printf("\nGoals (issue 16; multiply_fast on 3.12+; identity on free-threaded Pythons; the lowest ratio and where):\n")
	line := func(what, row string, limit float64, why string) {
		got, ok := g.worst[row]
		if !ok {
			return
		}
		verdict := "met"
		if got < limit {
			verdict = "NOT MET"
		}
		fmt.Printf("  %-38s %5.2f (%s)  goal >= %.2f  %s%s\n", what, got, g.at[row], limit, verdict, why)
	}
	ceiling := ""
	if c, ok := g.ceiling[g.at["multiply_fast"]]; ok {
		ceiling = fmt.Sprintf("; ceiling there %.2f", c)
	}
	line("multiply_fast vs C (PyLong_AsLongLong)", "multiply_fast", goalMultiplyFast, ceiling)
	line("multiply_fast vs C (CompactValue)", "multiply_fast/compact", goalMultiplyCompact, "")
	noise := ""
	if len(g.noise) > 0 {
		noise = fmt.Sprintf("; C against C %.2f-%.2f", slices.Min(g.noise), slices.Max(g.noise))
	}
	line("Counter.increment vs C", "Counter.increment", goalIncrement, noise)
	line("identity vs C, free-threaded (issue 26)", "identity/free-threaded", goalIdentityFT, "")
}
