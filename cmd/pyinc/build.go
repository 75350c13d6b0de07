package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/extbuild"
	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/project"
	"github.com/pyinc/pyinc/target"
	"github.com/pyinc/pyinc/wheel"
)

type buildFlags struct {
	pythons    []string
	roots      []string
	all        bool
	limitedAPI string
	abi3t      bool
	output     string
	inplace    bool
	debug      bool
	quiet      bool
	noCache    bool
	// target is --target and --pyconfig, as gen takes them; includeDir
	// is --include-dir (a Windows Python's include/, or a CPython source
	// tree's Include/, whose PC/ holds the Windows configuration header).
	target     configFlags
	includeDir string
}

func newBuildCmd() *cobra.Command {
	var f buildFlags
	c := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Build the project's extension modules into wheels",
		Long: `Builds every module of the project in DIR (default .) for each target Python:
the include (pyinc gen, through the cache), nasm -f elf64, cc -shared without
libpython, then checks of the module (PyInit_<module> exported, or on 3.15+
PyModExport_<module>; no executable stack, text relocations warned about), and packs a wheel into OUTDIR (default
DIR/dist) tagged for that interpreter (cp312-cp312, cp37-cp37m, cp311-cp311d,
cp313-cp313t) and for the oldest manylinux the module's ELF allows.

--python takes what pyinc gen --python takes and may be repeated; without it
the python3 on PATH is used. --all builds for every Python pyinc list shows.
--limited-api 3.X builds ONE wheel, tagged cp3X-abi3, for every CPython 3.X+;
with --abi3t (3.15+, PEP 803) the one module, NAME.abi3t.so, is for GIL and
free-threaded CPython 3.X+ alike (wheel tag cp3X-abi3.abi3t; PyObject is
opaque, so the module exports PyModExport_NAME, PEP 793).
A module may export PyModExport_NAME instead of PyInit_NAME where every
Python it is built for looks for it (3.15+).
--inplace writes module<EXT_SUFFIX> into DIR instead of a wheel.

--target windows-x86_64 builds Windows modules on this machine: nasm -f win64,
an import library of the Python DLL made from the headers (python3X.dll, or
python3.dll for abi3), mingw-w64's ld; checks (PyInit_<module> exported, no
DLL imported but Python's, unwind data for every function that calls into it,
no writable code); module.cp3X-win_amd64.pyd (abi3: module.pyd) in wheels
tagged win_amd64. A Windows Python cannot run here, so its headers are found
as pyinc gen finds them: --python VERSION with --pyconfig (CPython's
PC/pyconfig.h of that version), or --include-dir of a CPython source tree's
Include/ or of a Windows Python's include/.

Each file written is printed on stdout, one per line; progress goes to
stderr. The same inputs give byte-identical wheels (SOURCE_DATE_EPOCH sets
their timestamps).`,
		Example: `  pyinc build --inplace
  pyinc build
  pyinc build --all
  pyinc build --python 3.9 --python 3.12 -o wheelhouse
  pyinc build --limited-api 3.8
  pyinc build --limited-api 3.15 --abi3t
  pyinc build --root .cache/sid --python 3.14
  pyinc build --target windows-x86_64 --include-dir Python-3.13.15/Include
  pyinc build --target windows-x86_64 --python 3.11 --pyconfig Python-3.11.2/PC/pyconfig.h
  pyinc build --target windows-x86_64 --include-dir Python-3.13.15/Include --limited-api 3.8`,
		Args: argsBetween(0, 1, "[DIR]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadProject(args)
			if err != nil {
				return err
			}
			paths, err := runBuild(p, f)
			for _, path := range paths {
				fmt.Println(path)
			}
			return err
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	fs.StringArrayVar(&f.pythons, "python", nil, "build for this Python: version, interpreter name or path; repeatable")
	fs.StringArrayVar(&f.roots, "root", nil, "also look for Pythons in the root file system `DIR` (a debootstrap tree); repeatable")
	fs.BoolVar(&f.all, "all", false, "build for every Python pyinc list shows")
	fs.StringVar(&f.limitedAPI, "limited-api", "", "build one abi3 wheel for every CPython `3.X` and newer")
	fs.BoolVar(&f.abi3t, "abi3t", false, "with --limited-api 3.15 or later: one module for GIL and free-threaded Pythons (abi3t, PEP 803)")
	fs.StringVarP(&f.output, "output", "o", "", "write wheels into `OUTDIR` (default DIR/dist)")
	fs.BoolVar(&f.inplace, "inplace", false, "write module<EXT_SUFFIX> into DIR instead of a wheel")
	fs.StringVar(&f.target.Target, "target", "", "the platform `NAME` to build for: "+strings.Join(target.Names(), " (default), "))
	fs.StringVar(&f.target.PyConfig, "pyconfig", "", "the target's configuration header `FILE` (Windows: CPython's PC/pyconfig.h, 3.13 and later PC/pyconfig.h.in)")
	fs.StringVar(&f.includeDir, "include-dir", "", "build for the headers in `DIR` (no interpreter): a CPython source tree's Include/, a Windows Python's include/")
	fs.BoolVar(&f.debug, "debug", false, "assemble with debug information (nasm -g: DWARF for Linux, CodeView for Windows)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines on stderr")
	fs.BoolVar(&f.noCache, "no-cache", false, "parse the headers even when the cache holds the include")
	completeFlags(c)
	c.MarkFlagDirname("output")
	return c
}

// built is one Python's build, packed or not.
type built struct {
	py    *cparse.Python
	res   *extbuild.Result
	err   error
	took  time.Duration
	files []outputFile // what to write: a wheel, or the modules
}

type outputFile struct {
	dir, name string
	data      []byte
	mode      os.FileMode
}

// runBuild builds for every target and writes the results only when all
// succeeded, so a failure leaves OUTDIR (or DIR) as it was. It returns the
// paths written.
func runBuild(p *project.Project, f buildFlags) ([]string, error) {
	if f.inplace && f.output != "" {
		return nil, fail("--inplace and -o both given: --inplace writes beside the sources")
	}
	if f.all && len(f.pythons) > 0 {
		return nil, fail("--all and --python both given: pass one")
	}
	if f.all && f.limitedAPI != "" {
		return nil, fail("--limited-api builds one wheel for every Python 3.X+: drop --all")
	}
	for _, r := range f.roots {
		if st, err := os.Stat(r); err != nil || !st.IsDir() {
			return nil, fail("--root %s: no such directory", r)
		}
	}
	epoch, err := wheel.Epoch()
	if err != nil {
		return nil, fail("%v", err)
	}
	out, fix := outDir(p, f.output), "pick another with -o"
	if f.inplace {
		out, fix = p.Dir, "make the project directory writable, or build a wheel (without --inplace) into a directory -o names"
	}
	if err := checkOutDir(out, fix); err != nil {
		return nil, err
	}
	pys, err := buildTargets(f)
	if err != nil {
		return nil, err
	}
	pys, tg, err := forBuildTarget(pys, f)
	if err != nil {
		return nil, err
	}
	opt := extbuild.Options{LimitedAPI: f.limitedAPI, ABI3T: f.abi3t, Debug: f.debug, Target: tg}
	if !f.noCache {
		opt.CacheDir = pipeline.CacheDir()
	}
	builds := buildAll(p, pys, opt, f, out, epoch)
	if err := reportFailures(builds); err != nil {
		return nil, err
	}
	return writeBuilds(builds, f.quiet)
}

// reportFailures shows what failed, each message once across Pythons:
// nasm's messages (warnings before the error they explain) as they came,
// then each failure with the Pythons it failed for when more than one
// was built.
func reportFailures(builds []*built) error {
	var msgs []string
	fors := map[string][]string{} // message -> the Pythons it failed for
	shown := map[string]bool{}
	for _, b := range builds {
		if b.err == nil {
			continue
		}
		var be *extbuild.Error
		if errors.As(b.err, &be) {
			for _, n := range be.Notes {
				if !shown[n] {
					shown[n] = true
					fmt.Fprintf(os.Stderr, "pyinc build: %s\n", n)
				}
			}
		}
		m := oneLine(configFail(b.err, "").Error())
		if fors[m] == nil {
			msgs = append(msgs, m)
		}
		fors[m] = append(fors[m], fmt.Sprintf("%s (%s)", b.py.Version, pyName(b.py)))
	}
	failed := 0
	for _, m := range msgs {
		failed += len(fors[m])
	}
	switch {
	case failed == 0:
		return nil
	case len(builds) == 1:
		return fail("%s", msgs[0])
	}
	for _, m := range msgs {
		fmt.Fprintf(os.Stderr, "pyinc build: for Python %s: %s\n", strings.Join(fors[m], ", "), m)
	}
	return fail("%d of %d Pythons failed; nothing written", failed, len(builds))
}

// buildTargets resolves the Pythons to build for.
func buildTargets(f buildFlags) ([]*cparse.Python, error) {
	if !f.all {
		specs := f.pythons
		if len(specs) == 0 {
			specs = []string{""}
		}
		var out []*cparse.Python
		if f.includeDir != "" {
			if len(f.pythons) > 0 {
				return nil, fail("--include-dir and --python both given: pass one")
			}
			specs = specs[:1]
		}
		for _, s := range specs {
			py, err := findPython(s, f.includeDir, f.roots)
			if err != nil {
				return nil, err
			}
			out = append(out, py)
		}
		return out, nil
	}
	all := cparse.Discover()
	for _, r := range f.roots {
		all = append(all, cparse.DiscoverRoot(r)...)
	}
	var out []*cparse.Python
	for _, py := range all {
		if strings.HasPrefix(py.Version, "2.") {
			if !f.quiet {
				fmt.Fprintf(os.Stderr, "pyinc build: skipping Python %s: extension modules are built for Python 3\n", py.Version)
			}
			continue
		}
		out = append(out, py)
	}
	if len(out) == 0 {
		return nil, fail("no Python 3 with headers found: install one with its development headers")
	}
	return out, nil
}

// forBuildTarget resolves --target and --pyconfig for each Python to
// build for, as gen does: for a target whose configuration header is not
// the Python's own, the headers are seen with the target's. With --all,
// a Python for which the target's header cannot be found is skipped (with
// a message); none left is an error.
func forBuildTarget(pys []*cparse.Python, f buildFlags) ([]*cparse.Python, target.Target, error) {
	var out []*cparse.Python
	var tg target.Target
	var firstErr error
	for _, py := range pys {
		tpy, t, err := f.target.forTarget(py)
		if err != nil {
			if !f.all {
				return nil, t, err
			}
			if firstErr == nil {
				firstErr = err
			}
			if !f.quiet {
				fmt.Fprintf(os.Stderr, "pyinc build: skipping Python %s (%s): %v\n", py.Version, pyName(py), err)
			}
			continue
		}
		tg = t
		out = append(out, tpy)
	}
	if len(out) == 0 && firstErr != nil {
		return nil, tg, firstErr
	}
	return out, tg, nil
}

// buildAll builds for each Python, as many at once as there are cores.
func buildAll(p *project.Project, pys []*cparse.Python, opt extbuild.Options, f buildFlags, out string, epoch time.Time) []*built {
	builds := make([]*built, len(pys))
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, py := range pys {
		builds[i] = &built{py: py}
		wg.Add(1)
		go func(b *built) {
			defer wg.Done()
			defer recovered(&b.err)
			sem <- struct{}{}
			defer func() { <-sem }()
			t0 := time.Now()
			b.res, b.err = extbuild.Build(p, b.py, opt)
			if b.err == nil {
				b.err = b.pack(p, f, out, epoch)
			}
			b.took = time.Since(t0)
		}(builds[i])
	}
	wg.Wait()
	return dedupe(builds, f.quiet)
}

func pyName(py *cparse.Python) string {
	if py.Interpreter != "" {
		return py.Interpreter
	}
	return py.IncludeDirs[0]
}

// pack turns a build into the files to write.
func (b *built) pack(p *project.Project, f buildFlags, out string, epoch time.Time) error {
	if f.inplace {
		for _, m := range b.res.Modules {
			b.files = append(b.files, outputFile{out, m.FileName, m.Data, 0o755})
		}
		return nil
	}
	var files []wheel.File
	for _, m := range b.res.Modules {
		files = append(files, wheel.File{Name: m.FileName, Data: m.Data, Mode: 0o755})
	}
	name, data, err := wheel.Build(p, files, wheel.Options{Tag: b.res.Tag, Generator: "pyinc " + pipeline.Version, Epoch: epoch})
	if err != nil {
		return err
	}
	b.files = []outputFile{{out, name, data, 0o644}}
	return nil
}

// dedupe keeps the first build of each output file name: two Pythons of
// the same version and ABI (pyenv's and the system's 3.11) make the same
// wheel name, and the first found (pyinc list's order) wins.
func dedupe(builds []*built, quiet bool) []*built {
	seen := map[string]*built{}
	var out []*built
	for _, b := range builds {
		if b.err == nil && len(b.files) > 0 {
			key := b.files[0].name
			if first, ok := seen[key]; ok {
				if !quiet {
					fmt.Fprintf(os.Stderr, "pyinc build: %s: already built for %s; skipping %s\n", key, pyName(first.py), pyName(b.py))
				}
				continue
			}
			seen[key] = b
		}
		out = append(out, b)
	}
	return out
}

// tagNote is what a progress line says of the wheel tag: nothing for a
// module written in place (it has none), the tag and why it is not
// manylinux, if it is not, for a wheel.
func (b *built) tagNote(name string) string {
	if !strings.HasSuffix(name, ".whl") {
		return ""
	}
	if b.res.NotManylinux != "" {
		return fmt.Sprintf("%s (not manylinux: %s), ", b.res.Tag, b.res.NotManylinux)
	}
	return fmt.Sprintf("%s, ", b.res.Tag)
}

// writeBuilds writes every file, all or none, then prints warnings and
// progress on stderr.
func writeBuilds(builds []*built, quiet bool) ([]string, error) {
	var files []outfile.File
	for _, b := range builds {
		for _, of := range b.files {
			if err := os.MkdirAll(of.dir, 0o755); err != nil {
				return nil, fail("cannot create %s: %v", of.dir, outfile.Reason(err))
			}
			files = append(files, outfile.File{Path: filepath.Join(of.dir, of.name), Data: of.data, Perm: of.mode})
		}
	}
	if err := outfile.WriteAll(files); err != nil {
		return nil, fail("%v", err)
	}
	var paths []string
	warned := map[string]bool{} // a source's warning is the same for every Python
	for _, b := range builds {
		for _, w := range b.res.Warnings {
			if !warned[w] {
				warned[w] = true
				fmt.Fprintf(os.Stderr, "pyinc build: warning: %s\n", w)
			}
		}
		for _, of := range b.files {
			path := filepath.Join(of.dir, of.name)
			paths = append(paths, path)
			if !quiet {
				fmt.Fprintf(os.Stderr, "%s: CPython %s, %s%.1f s\n", path, b.py.Version, b.tagNote(of.name), b.took.Seconds())
			}
		}
	}
	return paths, nil
}
