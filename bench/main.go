// Command bench measures pyinc side by side with what it is compared to,
// in one run, and prints ratios (the machine is shared and noisy: absolute
// times alone mean little). make bench runs it.
//
//  1. pyinc gen per Python, and for all at once, against gcc -fsyntax-only
//     on the same headers and go tool cgo -godefs on the same structs;
//  2. nasm on the reference extension with the full include against a
//     minimal one holding only what it uses;
//  3. calls per second of refext against the same functions in C (gcc -O2);
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
	"sort"
	"strings"
	"time"
)

var (
	pyinc = flag.String("pyinc", "build/pyinc", "the pyinc binary")
	runs  = flag.Int("runs", 3, "runs per timing; the median is shown")
	only  = flag.String("only", "", "run one part: gen, include, calls or build")
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
	}{{"gen", generator}, {"include", includeCost}, {"calls", calls}, {"build", packaging}} {
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

// timeIt runs cmd *runs times and returns the median wall time.
func timeIt(name string, args ...string) time.Duration {
	var ds []time.Duration
	for i := 0; i < *runs; i++ {
		t0 := time.Now()
		out, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			check(fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out))
		}
		ds = append(ds, time.Since(t0))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
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

func generator(pys []python, tmp string) {
	fmt.Printf("\n1. Generating includes (seconds; ratio = pyinc / other)\n")
	fmt.Printf("%-16s %7s %7s %9s %7s %13s %12s\n", "Python", "pyinc", "cached", "gcc-syntax", "godefs", "pyinc/gcc", "pyinc/godefs")
	os.Setenv("PYINC_CACHE_DIR", filepath.Join(tmp, "cache"))
	var sum time.Duration
	for _, p := range pys {
		name := p.version + map[bool]string{true: "-debug", false: ""}[strings.Contains(p.build, "Py_DEBUG")]
		inc := filepath.Join(tmp, "g.inc")
		d := timeIt(*pyinc, "gen", "-q", "--no-cache", "--python", p.interp, "-o", inc)
		sum += d
		exec.Command(*pyinc, "gen", "-q", "--python", p.interp, "-o", inc).Run() // fill the cache
		cached := timeIt(*pyinc, "gen", "-q", "--python", p.interp, "-o", inc)
		c := filepath.Join(tmp, "syntax.c")
		os.WriteFile(c, []byte("#include <Python.h>\n#include <structmember.h>\n"), 0o644)
		gcc := timeIt("gcc", append(append([]string{"-fsyntax-only"}, incFlags(p)...), c)...)
		text, _ := os.ReadFile(inc)
		g := filepath.Join(tmp, "defs.go")
		os.WriteFile(g, []byte(godefsInput(string(text))), 0o644)
		var gd time.Duration
		if strings.HasPrefix(p.version, "2.") {
			gd = 0
		} else {
			gd = timeIt("go", append(append([]string{"tool", "cgo", "-godefs", "--"}, incFlags(p)...), g)...)
		}
		ratio := "-"
		if gd > 0 {
			ratio = fmt.Sprintf("%.1f", d.Seconds()/gd.Seconds())
		}
		fmt.Printf("%-16s %7s %7s %9s %7s %13.1f %12s\n", name, seconds(d), seconds(cached), seconds(gcc), seconds(gd),
			d.Seconds()/gcc.Seconds(), ratio)
	}
	dir := filepath.Join(tmp, "all")
	os.Mkdir(dir, 0o755)
	args := []string{"gen", "-q", "--all", "--no-cache", "-o", dir}
	if r := treeRoot(); r != "" {
		args = append(args, "--root", r)
	}
	all := timeIt(*pyinc, args...)
	fmt.Printf("all %d at once (pyinc gen --all): %s s, against %s s one after another: %.1fx faster\n",
		len(pys), seconds(all), seconds(sum), sum.Seconds()/all.Seconds())
}

func includeCost(pys []python, tmp string) {
	fmt.Printf("\n2. Cost of the include: nasm on ext/refext.asm (seconds)\n")
	p := pys[0]
	dir := filepath.Join(tmp, "inc")
	os.MkdirAll(filepath.Join(dir, "min"), 0o755)
	check(exec.Command(*pyinc, "gen", "-q", "--python", p.interp, "-o", filepath.Join(dir, "python.inc")).Run())
	full, _ := os.ReadFile(filepath.Join(dir, "python.inc"))
	asm, err := os.ReadFile("ext/refext.asm")
	check(err)
	min := minimal(string(full), string(asm))
	os.WriteFile(filepath.Join(dir, "min", "python.inc"), []byte(min), 0o644)
	src, _ := filepath.Abs("ext/refext.asm")
	obj := filepath.Join(dir, "refext.o")
	dFull := timeIt("nasm", "-f", "elf64", "-I", dir+"/", "-o", obj, src)
	dMin := timeIt("nasm", "-f", "elf64", "-I", filepath.Join(dir, "min")+"/", "-o", obj, src)
	fmt.Printf("CPython %s: full include %d lines %s s, minimal include %d lines %s s: the full include costs %.1fx\n",
		p.version, strings.Count(string(full), "\n"), seconds(dFull), strings.Count(min, "\n"), seconds(dMin), dFull.Seconds()/dMin.Seconds())
}

func calls(pys []python, tmp string) {
	fmt.Printf("\n3. Calls per second, refext (NASM) against cref (C, gcc -O2); ratio = NASM / C\n")
	fmt.Printf("%-16s %-22s %12s %12s %6s\n", "Python", "function", "NASM", "C", "ratio")
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
		var out []byte
		if p.root != "" {
			in := "/tmp/" + filepath.Base(dir)
			out, err = exec.Command("chroot", p.root, "env", "PYTHONPATH="+in, strings.TrimPrefix(p.interp, p.root), in+"/calls.py").Output()
		} else {
			cmd := exec.Command(p.interp, filepath.Join(dir, "calls.py"))
			cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
			out, err = cmd.Output()
		}
		os.RemoveAll(dir)
		check(err)
		var rates map[string][2]float64
		check(json.Unmarshal(out, &rates))
		name := p.version + map[bool]string{true: "-debug", false: ""}[strings.Contains(p.build, "Py_DEBUG")]
		for _, fn := range []string{"multiply", "multiply_fast", "multiply_fast/compact", "identity", "Counter.increment"} {
			if r, ok := rates[fn]; ok {
				fmt.Printf("%-16s %-22s %12.0f %12.0f %6.2f\n", name, fn, r[0], r[1], r[0]/r[1])
			}
		}
	}
}
