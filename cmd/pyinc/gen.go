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
	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/target"
)

const genText = `
Parses the C headers of one Python with a real C front end and writes a NASM
include: constants, struct layouts with exact offsets, EXTERNs checked against
libpython, and helper macros (PyModuleDef_HEAD_INIT, Py_None, ...).

--python takes a version (3.9, 3.11.7), an interpreter name on PATH
(python3.12) or a path (/usr/bin/python3.11). Without --python and
--include-dir, the python3 on PATH is used. -o names a file, or an existing
directory to write python.inc into. A one-line summary goes to stderr.`

const genExamples = `  pyinc gen --python 3.9
  pyinc gen --python 3.12 -o inc/python.inc
  pyinc gen --python /usr/bin/python3.11 -o -
  pyinc gen --include-dir /usr/include/python3.11
  pyinc gen --python 3.12 -D Py_TRACE_REFS -o python-tracerefs.inc
  pyinc gen --python 3.13 --define Py_GIL_DISABLED
  pyinc gen --python 3.12 --limited-api 3.6 -o python-abi3.inc
  pyinc gen --python .cache/sid/usr/bin/python3.14     # an interpreter of another tree
  pyinc gen --root .cache/sid --python 3.15
  pyinc gen --target windows-x86_64 --include-dir Python-3.13.15/Include   # for nasm -f win64
  pyinc gen --target windows-x86_64 --python 3.11 --pyconfig Python-3.11.2/PC/pyconfig.h`

type genFlags struct {
	all        bool
	noCache    bool
	roots      []string
	python     string
	includeDir string
	output     string
	quiet      bool
	config     configFlags
}

func newGenCmd() *cobra.Command {
	var f genFlags
	cmd := &cobra.Command{
		Use:     "gen [flags]",
		Short:   "Generate python.inc for one Python",
		Long:    genText,
		Example: genExamples,
		Args:    noArgsHint("pass the Python with --python"),
		RunE:    func(*cobra.Command, []string) error { return runGen(f) },
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&f.python, "python", "", "the Python to generate for: version, interpreter name or path")
	fs.StringArrayVar(&f.roots, "root", nil, "also look for Pythons in the root file system `DIR` (a debootstrap tree); repeatable")
	fs.StringVar(&f.includeDir, "include-dir", "", "use the headers in `DIR` (the directory holding Python.h) without an interpreter")
	fs.StringVarP(&f.output, "output", "o", "python.inc", "output `FILE` or existing directory; - writes to stdout")
	f.config.register(fs, "", "")
	fs.BoolVar(&f.all, "all", false, "generate for every Python pyinc list shows, in parallel, into the directory -o names")
	fs.BoolVar(&f.noCache, "no-cache", false, "parse the headers even when the cache holds this include ($PYINC_CACHE_DIR, else ~/.cache/pyinc; PYINC_CACHE_DIR=off also stops keeping the compiler's and interpreters' answers)")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no summary line on stderr")
	completeFlags(cmd)
	cmd.MarkFlagFilename("output", "inc")
	return cmd
}

func runGen(f genFlags) error {
	if f.python != "" && f.includeDir != "" {
		return fail("--python and --include-dir both given: pass one")
	}
	if f.all {
		return genAll(f)
	}
	start := time.Now()
	py, err := findPython(f.python, f.includeDir, f.roots)
	if err != nil {
		return err
	}
	py, tg, err := f.config.forTarget(py)
	if err != nil {
		return err
	}
	defines, err := f.config.resolve(py)
	if err != nil {
		return err
	}
	r, err := generate(py, defines, tg, f.quiet, !f.noCache)
	if err != nil {
		return err
	}
	out, err := outputPath(f.output)
	if err != nil {
		return err
	}
	if err := writeOutput(out, r.Include); err != nil {
		return err
	}
	if !f.quiet {
		name := out
		if name == "-" {
			name = "stdout"
		}
		summarize(name, r, time.Since(start))
	}
	return nil
}

// outputPath is the file -o names: DIR/python.inc for an existing
// directory, or for a name that ends in "/" (a directory made if missing).
func outputPath(o string) (string, error) {
	if err := makeIfSlashed(o); err != nil {
		return "", err
	}
	if st, err := os.Stat(o); err == nil && st.IsDir() {
		return filepath.Join(o, "python.inc"), nil
	}
	return o, nil
}

// makeIfSlashed makes the directory an -o value ending in "/" names.
func makeIfSlashed(o string) error {
	if !strings.HasSuffix(o, "/") {
		return nil
	}
	if err := os.MkdirAll(o, 0o755); err != nil {
		return fail("cannot create %s: %v", o, outfile.Reason(err))
	}
	return nil
}

func summarize(name string, r *pipeline.Result, d time.Duration) {
	cached := ""
	if r.Cached {
		cached = " (cached)"
	}
	fmt.Fprintf(os.Stderr, "%s: CPython %s, %d structs, %d constants, %d externs, %.1f s%s\n",
		name, r.Summary.PyVersion, r.Summary.Structs, r.Summary.Constants, r.Summary.Externs, d.Seconds(), cached)
}

// genAll generates for every Python found, as many at once as there are
// cores, into the directory -o names: pythonVERSION[-debug].inc.
func genAll(f genFlags) error {
	if f.python != "" || f.includeDir != "" {
		return fail("--all and --python/--include-dir both given: pass one")
	}
	if f.config.Target != "" || f.config.PyConfig != "" {
		return fail("--all generates for this machine's Pythons: for another --target, pass one Python's headers with --python or --include-dir")
	}
	dir := f.output
	if dir == "python.inc" {
		dir = "."
	}
	if err := makeIfSlashed(dir); err != nil {
		return err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fail("--all writes into a directory: %s is not one (a name ending in / is made)", dir)
	}
	all, err := discoverWith(f.roots)
	if err != nil {
		return err
	}
	start := time.Now()
	type job struct {
		py   *cparse.Python
		name string
		err  error
	}
	jobs := make([]job, len(all))
	seen := map[string]bool{}
	for i, py := range all {
		name := "python" + py.Version
		if py.IsDebug() {
			name += "-debug"
		}
		for seen[name] {
			name += "-" + py.Source
		}
		seen[name] = true
		jobs[i] = job{py: py, name: filepath.Join(dir, name+".inc")}
	}
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	var mu sync.Mutex // one summary line at a time
	for i := range jobs {
		wg.Add(1)
		go func(j *job) {
			defer wg.Done()
			defer recovered(&j.err)
			sem <- struct{}{}
			defer func() { <-sem }()
			t0 := time.Now()
			py, tg, err := f.config.forTarget(j.py)
			var defines []cparse.Define
			if err == nil {
				defines, err = f.config.resolve(py)
			}
			var r *pipeline.Result
			if err == nil {
				r, err = generate(py, defines, tg, true, !f.noCache)
			}
			if err == nil {
				err = writeOutput(j.name, r.Include)
			}
			j.err = err
			if err == nil && !f.quiet {
				mu.Lock()
				summarize(j.name, r, time.Since(t0))
				mu.Unlock()
			}
		}(&jobs[i])
	}
	wg.Wait()
	failed := 0
	for _, j := range jobs {
		if j.err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "pyinc gen: %s: %v\n", j.name, oneLine(j.err.Error()))
		}
	}
	if !f.quiet {
		fmt.Fprintf(os.Stderr, "%d includes in %.1f s\n", len(jobs)-failed, time.Since(start).Seconds())
	}
	if failed > 0 {
		return fail("%d of %d Pythons failed", failed, len(jobs))
	}
	return nil
}

// discoverWith lists the Pythons found, with those of the trees at roots;
// a root that is not a directory, or finding none, is the user's to fix.
func discoverWith(roots []string) ([]*cparse.Python, error) {
	for _, r := range roots {
		if st, err := os.Stat(r); err != nil || !st.IsDir() {
			return nil, fail("--root %s: no such directory", r)
		}
	}
	all := cparse.DiscoverWith(roots)
	if len(all) == 0 {
		return nil, fail("no Python with headers found: install one with its development headers")
	}
	return all, nil
}

// findPython resolves --python / --include-dir, looking in the trees at
// roots as well.
func findPython(spec, includeDir string, roots []string) (*cparse.Python, error) {
	if includeDir != "" {
		py, err := cparse.FromIncludeDir(includeDir)
		if err != nil {
			return nil, fail("%v", err)
		}
		return py, nil
	}
	py, err := cparse.Find(spec, roots...)
	if errors.Is(err, cparse.ErrNotFound) {
		return nil, fail("%v; pass --python a version (3.9), an interpreter name or a path ('pyinc list' shows what is found)", err)
	}
	if err != nil {
		return nil, fail("%v", err)
	}
	return py, nil
}

// generate runs the pipeline, through the cache when useCache; its errors
// are the user's to fix. What it left out is told on stderr unless quiet.
func generate(py *cparse.Python, defines []cparse.Define, tg target.Target, quiet, useCache bool) (*pipeline.Result, error) {
	dir := ""
	if useCache {
		dir = pipeline.CacheDir()
	}
	r, err := pipeline.CachedFor(dir, py, defines, tg)
	if err != nil {
		return nil, fail("%v", err)
	}
	if !quiet {
		for _, w := range r.Warnings {
			fmt.Fprintf(os.Stderr, "pyinc: warning: %s\n", w)
		}
	}
	return r, nil
}

// writeOutput writes data to path (see outfile.Write); its errors are the
// user's to fix.
func writeOutput(path string, data []byte) error {
	if err := outfile.Write(path, data, 0o644); err != nil {
		return fail("%v", err)
	}
	return nil
}
