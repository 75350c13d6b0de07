package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pyinc/pyinc/internal/winpy"
)

// windows measures the windows-x86_64 target: pyinc build --target
// windows-x86_64 of ext/ against nasm and mingw-w64's ld run by hand, and
// refext's calls in real Windows CPython under Wine against the same
// functions in C (bench/testdata/cref.c) built with mingw-w64 gcc -O2.
// Wine is not Windows: its loader and system calls are its own, so these
// ratios say how the two modules compare in one interpreter, not what
// Windows would measure.
func windows(pys []python, tmp string) {
	fmt.Printf("\n5. Windows x64 (pyinc build --target windows-x86_64; calls in Windows CPython under Wine 8, which is not Windows)\n")
	cache, _ := filepath.Abs(".cache")
	wpys, why := winpy.CacheLayout{Root: cache}.Find()
	if len(wpys) == 0 {
		fmt.Println("skipped:", why)
		return
	}
	if _, err := exec.LookPath("x86_64-w64-mingw32-gcc"); err != nil {
		fmt.Println("skipped: x86_64-w64-mingw32-gcc is not installed (make deps)")
		return
	}
	var installed []winpy.Installed
	for _, p := range pys {
		if p.build == "release" {
			installed = append(installed, winpy.Installed{Version: p.version, IncludeDir: p.incdir, Root: p.root})
		}
	}
	first := true
	fmt.Printf("%-16s %-30s %12s %12s %6s\n", "Windows CPython", "function", "NASM", "C", "ratio")
	for _, w := range wpys {
		h, err := winpy.FindHeaders(filepath.Join(cache, "src"), w.MajorMinor(), installed)
		if err != nil {
			fmt.Printf("CPython %s: skipped: %v\n", w.Version, err)
			continue
		}
		dir, err := os.MkdirTemp(tmp, "win")
		check(err)
		if first && strings.HasPrefix(h.Args[0], "--include-dir") {
			winBuildOverhead(w, h, dir)
			first = false
		}
		winCalls(w, h, dir)
	}
}

// winBuildOverhead: pyinc build (the include from the warm cache, nasm,
// the import library from a .def with dlltool, ld, the PE checks, the
// wheel) against nasm and ld by hand with an import library made
// beforehand (a user's python3X.lib), on the whole include.
func winBuildOverhead(w winpy.Python, h winpy.Headers, dir string) {
	os.Setenv("PYINC_CACHE_DIR", filepath.Join(dir, "cache"))
	ext, _ := filepath.Abs("ext")
	bin, err := filepath.Abs(*pyinc)
	check(err)
	build := append([]string{bin, "build", ext, "-q", "--target", "windows-x86_64", "-o", filepath.Join(dir, "dist")}, h.Args...)
	mustRun("", build...)
	inc := filepath.Join(dir, "include")
	check(os.MkdirAll(inc, 0o755))
	mustRun("", append([]string{bin, "gen", "-q", "--target", "windows-x86_64", "-o", filepath.Join(inc, "python.inc")}, h.Args...)...)
	b, err := os.ReadFile(filepath.Join(inc, "python.inc"))
	check(err)
	dll := "python" + strings.ReplaceAll(w.MajorMinor(), ".", "") + ".dll"
	def := filepath.Join(dir, "python.def")
	check(os.WriteFile(def, defOf(b, dll), 0o644))
	lib := filepath.Join(dir, "libpython.a")
	mustRun(dir, "x86_64-w64-mingw32-dlltool", "-m", "i386:x86-64", "-D", dll, "-d", def, "-l", lib)
	exports := filepath.Join(dir, "exports.def")
	check(os.WriteFile(exports, []byte("EXPORTS\n    PyInit_refext\n"), 0o644))
	obj := filepath.Join(dir, "refext.obj")
	byHand := [][]string{
		{"nasm", "-f", "win64", "-I", inc + "/", "-I", "./", "-o", obj, "refext.asm"},
		{"x86_64-w64-mingw32-ld", "--dll", "-e", "0", "-s", "-o", filepath.Join(dir, "refext.pyd"), obj, exports, lib},
	}
	times := alternate(2**runs+1, ext, [][]string{build}, byHand)
	fmt.Printf("build, headers of CPython %s: pyinc build %s s, nasm + ld by hand %s s: ratio %.2f (goal at most 1.20)\n",
		w.MajorMinor(), seconds3(times[0]), seconds3(times[1]), times[0].Seconds()/times[1].Seconds())
}

// defOf is a .def of every EXTERN of an include, data marked DATA.
func defOf(include []byte, dll string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "LIBRARY %s\nEXPORTS\n", dll)
	for _, l := range strings.Split(string(include), "\n") {
		rest, ok := strings.CutPrefix(l, "EXTERN ")
		if !ok {
			continue
		}
		f := strings.Split(rest, ";")
		name := strings.TrimPrefix(strings.TrimSpace(f[0]), "__imp_")
		if strings.TrimSpace(f[len(f)-1]) == "data" {
			name += " DATA"
		}
		fmt.Fprintln(&b, name)
	}
	return b.Bytes()
}

// winCalls builds refext with pyinc and cref.c with mingw-w64 gcc -O2
// (against the headers seen with the Windows configuration header, linked
// to the interpreter's own DLL) and runs calls.py under Wine.
func winCalls(w winpy.Python, h winpy.Headers, dir string) {
	proj := filepath.Join(dir, "proj")
	check(os.MkdirAll(proj, 0o755))
	for _, f := range []string{"pyproject.toml", "refext.asm", "README.md"} {
		b, err := os.ReadFile(filepath.Join("ext", f))
		check(err)
		check(os.WriteFile(filepath.Join(proj, f), b, 0o644))
	}
	mustRun("", append([]string{*pyinc, "build", proj, "-q", "--inplace", "--target", "windows-x86_64"}, h.Args...)...)
	view := headerView(h, filepath.Join(dir, "view"))
	tag := strings.ReplaceAll(w.MajorMinor(), ".", "")
	cref, _ := filepath.Abs("bench/testdata/cref.c")
	mustRun("", "x86_64-w64-mingw32-gcc", "-O2", "-shared", "-w", "-DMS_WIN64", "-I", view,
		"-o", filepath.Join(proj, "cref.cp"+tag+"-win_amd64.pyd"), cref, filepath.Join(w.Dir, "python"+tag+".dll"))
	script, _ := os.ReadFile("bench/testdata/calls.py")
	check(os.WriteFile(filepath.Join(proj, "calls.py"), script, 0o644))
	var runs []map[string][2]float64
	for i := 0; i < callRuns; i++ {
		cmd := w.Command("calls.py")
		cmd.Dir = proj
		cmd.Env = append(cmd.Env, "PYTHONPATH="+winpy.WinPath(proj), "CALLS_CLOCK=perf_counter")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			check(fmt.Errorf("calls.py under Windows CPython %s: %v\n%s", w.Version, err, errb.String()))
		}
		var rates map[string][2]float64
		check(json.Unmarshal(out.Bytes(), &rates))
		runs = append(runs, rates)
	}
	for _, fn := range callRows {
		var a, b, ratio []float64
		for _, rates := range runs {
			if r, ok := rates[fn]; ok {
				a, b, ratio = append(a, r[0]), append(b, r[1]), append(ratio, r[0]/r[1])
			}
		}
		if len(ratio) > 0 {
			fmt.Printf("%-16s %-30s %12.0f %12.0f %6.2f\n", w.Version, fn, medianF(a), medianF(b), medianF(ratio))
		}
	}
}

// headerView is a directory of links to the headers' files with the
// Windows configuration header as pyconfig.h: Python.h includes
// "pyconfig.h" from its own directory first, so the Windows one must sit
// there.
func headerView(h winpy.Headers, dir string) string {
	check(os.MkdirAll(dir, 0o755))
	entries, err := os.ReadDir(h.IncludeDir)
	check(err)
	for _, e := range entries {
		if e.Name() != "pyconfig.h" {
			check(os.Symlink(filepath.Join(h.IncludeDir, e.Name()), filepath.Join(dir, e.Name())))
		}
	}
	b, err := os.ReadFile(h.ConfigHeader)
	check(err)
	check(os.WriteFile(filepath.Join(dir, "pyconfig.h"), b, 0o644))
	return dir
}
