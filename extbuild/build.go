// Package extbuild builds a project's extension modules for one Python:
// the include (through pyinc's cache), nasm, cc -shared without libpython,
// the checks of the linked ELF, and the wheel tags the result deserves.
package extbuild

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/inccut"
	"github.com/pyinc/pyinc/internal/infile"
	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/project"
	"github.com/pyinc/pyinc/target"
	"github.com/pyinc/pyinc/wheel"
)

// Error is a build failure the user must fix (their source, their tools,
// their choice of Python): one line naming it and the fix. Notes are what
// nasm said besides, in its order (warnings before the error they
// explain), each a line to show before Msg.
type Error struct {
	Msg   string
	Notes []string
}

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// limitedErr is a limited API version that cannot be built, as the
// cparse.ConfigError a configuration refused in the headers would be.
func limitedErr(v, format string, args ...any) error {
	return &cparse.ConfigError{Part: cparse.LimitedAPIPart, Value: v, Reason: fmt.Sprintf(format, args...)}
}

// Options choose how to build.
type Options struct {
	LimitedAPI string // "3.X": one abi3 module for every CPython 3.X+
	// ABI3T (with LimitedAPI 3.15+): one module for GIL and free-threaded
	// CPython 3.X+ (PEP 803): .abi3t.so, tagged cp3X-abi3.abi3t.
	ABI3T    bool
	Debug    bool   // debug information (nasm -g)
	CacheDir string // pipeline.CacheDir(), "" for none
	// Target is the platform to build for; the zero value is the
	// default, linux-x86_64.
	Target target.Target
}

// Module is one built extension module.
type Module struct {
	Name     string // import name
	FileName string // name + EXT_SUFFIX (or .abi3.so)
	Data     []byte
}

// Result is one Python's build: its modules, warnings, and wheel tag.
type Result struct {
	Modules  []Module
	Tag      wheel.Tag
	Warnings []string
	// NotManylinux says why the platform tag is linux_x86_64, "" when it
	// is a manylinux one.
	NotManylinux string
}

// Build assembles and links every module of p for py in a tracked
// temporary directory and checks them; nothing is written outside it.
func Build(p *project.Project, py *cparse.Python, o Options) (*Result, error) {
	facts := o.Target.Build()
	if err := needTools(facts); err != nil {
		return nil, err
	}
	pyTag, abiTag, suffix, err := TargetTags(o.Target, py, o.LimitedAPI, o.ABI3T)
	if err != nil {
		return nil, err
	}
	defines, err := cparse.Config{LimitedAPI: o.LimitedAPI, ABI3T: o.ABI3T}.Resolve(py)
	if err != nil {
		return nil, err // a *cparse.ConfigError: the caller says which option
	}
	gen, err := pipeline.CachedFor(o.CacheDir, py, defines, o.Target)
	if err != nil {
		return nil, errorf("Python %s: %v", py.Version, err)
	}
	name := p.IncludeName
	if name == "" {
		name = project.DefaultIncludeName
	}
	if err := notShadowed(p, name, gen.Include, py); err != nil {
		return nil, err
	}
	tmp, done, err := outfile.TempDir("pyinc-build")
	if err != nil {
		return nil, err
	}
	defer done()
	incDir := filepath.Join(tmp, "include")
	if err := os.Mkdir(incDir, 0o755); err != nil {
		return nil, err
	}
	if err := writeInclude(incDir, name, gen.Include); err != nil {
		return nil, err
	}
	r := &Result{}
	var links []*Linkage
	as := assembler{dir: p.Dir, incDir: incDir, tmp: tmp, debug: o.Debug, format: objFormat(o.Target), incName: name,
		incLabel: fmt.Sprintf("%s (CPython %s)", name, py.Version),
		leftOut:  emit.LeftOut(string(gen.Include)), scope: scope(py, o.LimitedAPI)}
	if !o.Debug {
		// A debugger and nasm's messages name the whole include, as
		// the user has it; a build without them reads only what its
		// sources use.
		as.cuts, _ = inccut.Parse(string(gen.Include))
	}
	for _, m := range p.Modules {
		so := filepath.Join(tmp, m.Name+suffix)
		objs, err := as.module(m)
		if err != nil {
			return nil, err
		}
		if facts.Link == target.PEDLL {
			data, err := buildDLL(p.Dir, tmp, so, m.Name, objectPaths(objs), gen.Include, dllFor(facts, py, o.LimitedAPI), py, facts, o.CacheDir)
			if err != nil {
				return nil, err
			}
			r.Modules = append(r.Modules, Module{Name: m.Name, FileName: m.Name + suffix, Data: data})
			continue
		}
		if err := link(p.Dir, so, objs, tmp); err != nil {
			return nil, err
		}
		rep, err := CheckModule(so, m.Name, objs, exportHook(py, o.LimitedAPI))
		if err != nil {
			return nil, &Error{Msg: err.Error()}
		}
		r.Warnings = append(r.Warnings, rep.Warnings...)
		links = append(links, rep.Linkage)
		data, err := os.ReadFile(so)
		if err != nil {
			return nil, err
		}
		r.Modules = append(r.Modules, Module{Name: m.Name, FileName: m.Name + suffix, Data: data})
	}
	r.Warnings = append(as.warnings, r.Warnings...)
	if facts.Platform != "" {
		r.Tag = wheel.Tag{Python: pyTag, ABI: abiTag, Platform: facts.Platform}
		return r, nil
	}
	plat, why := Platform(links...)
	r.Tag = wheel.Tag{Python: pyTag, ABI: abiTag, Platform: plat}
	r.NotManylinux = why
	return r, nil
}

// scope says for what a macro left out is not available: "with the
// limited API 3.8", "for CPython 3.12.1".
func scope(py *cparse.Python, limited string) string {
	if limited != "" {
		return "with the limited API " + limited
	}
	return "for CPython " + py.Version
}

// writeInclude writes the include at dir/name, making name's directories.
func writeInclude(dir, name string, include []byte) error {
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, include, 0o644)
}

// notShadowed refuses a build that nasm would make with another file than
// the generated include: nasm looks for an %include in its working
// directory, the project's, and in NASMENV's -I directories before the
// directory pyinc gives it, so a file of the include's name there (pyinc
// gen -o python.inc left, or a hand-written include) would build every
// Python's module with it. A file of that name in a source's directory,
// which pyinc passes to nasm after its own, is refused too: which of the
// two a source gets would depend on the order of -I options. The same
// content is no harm.
func notShadowed(p *project.Project, name string, include []byte, py *cparse.Python) error {
	seen := map[string]bool{}
	dirs := append([]string{"."}, nasmenvDirs(os.Getenv("NASMENV"))...)
	for _, m := range p.Modules {
		for _, src := range m.Sources {
			dirs = append(dirs, filepath.Dir(src))
		}
	}
	for _, d := range dirs {
		rel := filepath.Join(d, filepath.FromSlash(name))
		if seen[rel] {
			continue
		}
		seen[rel] = true
		if err := notOther(p.Dir, rel, include, py); err != nil {
			return err
		}
	}
	return nil
}

// notOther refuses a file at rel (from the project directory) unless it is
// the include or absent.
func notOther(dir, rel string, include []byte, py *cparse.Python) error {
	path := rel
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, rel)
	}
	own, err := infile.Read(path, infile.ProjectLimit)
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && bytes.Equal(own, include):
		return nil
	case err != nil:
		return errorf("%s in the project cannot be read (%v), and nasm would try it for the include pyinc makes: move it out of nasm's way or delete it",
			rel, outfile.Reason(err))
	case !emit.IsInclude(string(own)):
		return errorf("%s in the project is a hand-written include, and nasm would read it instead of the one pyinc makes for CPython %s: delete it (pyinc build provides %s for every Python), or set [tool.pyinc] include-name to a name the sources do not use",
			rel, py.Version, filepath.Base(rel))
	}
	return errorf("%s in the project is not the include for CPython %s, and nasm would read it instead of the one pyinc makes (nasm looks in its working directory first): move it out of the project directory or delete it",
		rel, py.Version)
}

// nasmenvDirs are the -I (or -i) directories of NASMENV, which nasm
// searches before those on its command line.
func nasmenvDirs(env string) []string {
	var dirs []string
	f := strings.Fields(env)
	for i := 0; i < len(f); i++ {
		for _, opt := range []string{"-I", "-i", "--include"} {
			switch {
			case f[i] == opt && i+1 < len(f):
				i++
				dirs = append(dirs, f[i])
			case opt != "--include" && strings.HasPrefix(f[i], opt) && len(f[i]) > 2:
				dirs = append(dirs, f[i][2:])
			}
		}
	}
	return dirs
}

// needTools finds nasm and the linker the target uses, or says how to
// install them.
func needTools(b target.BuildFacts) error {
	tools := []struct{ tool, pkg string }{{"nasm", "nasm"}, {"cc", "gcc"}}
	if b.Link == target.PEDLL {
		tools = []struct{ tool, pkg string }{{"nasm", "nasm"}, {b.Linker, b.BinutilsPackage}, {b.DllTool, b.BinutilsPackage}}
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t.tool); err != nil {
			if b.Link == target.PEDLL {
				return errorf("%s is not installed: install it (Debian/Ubuntu: apt-get install %s; Fedora: dnf install mingw64-binutils)", t.tool, t.pkg)
			}
			return errorf("%s is not installed: install it (Debian/Ubuntu: apt-get install %s; Fedora: dnf install %s)", t.tool, t.pkg, t.pkg)
		}
	}
	return nil
}

var extSuffixRE = regexp.MustCompile(`^\.cpython-([0-9]+)([a-z]*)-`)

// exportHookSince is the first CPython that looks for PyModExport_<name>
// (PEP 793).
const exportHookSince = 15

// exportHook says whether every Python a build for py (and the limited
// API limitedAPI, when set) runs on looks for PyModExport_<name>.
func exportHook(py *cparse.Python, limitedAPI string) Hook {
	v := py.MajorMinor()
	if limitedAPI != "" {
		v = limitedAPI
	}
	var major, minor int
	fmt.Sscanf(v, "%d.%d", &major, &minor)
	what := "Python " + py.MajorMinor()
	if limitedAPI != "" {
		what = "the limited API of " + limitedAPI + " (for older Pythons too)"
	}
	return Hook{For: what, OK: major > 3 || major == 3 && minor >= exportHookSince}
}

// Tags are the wheel's Python and ABI tags for py and the module file
// suffix: cp312-cp312, cp37-cp37m, cp311-cp311d (debug), cp313-cp313t
// (free-threaded), cp3X-abi3 with .abi3.so for the limited API of 3.X, or
// with abi3t (PEP 803, from 3.15) cp3X-abi3.abi3t with .abi3t.so, the one
// suffix both GIL and free-threaded builds import.
func Tags(py *cparse.Python, limitedAPI string, abi3t bool) (pyTag, abiTag, suffix string, err error) {
	mm := strings.SplitN(py.MajorMinor(), ".", 2)
	if len(mm) != 2 || mm[0] != "3" {
		return "", "", "", errorf("Python %s: pyinc builds extension modules for Python 3; pick a Python 3", py.Version)
	}
	if limitedAPI != "" {
		lm := strings.SplitN(limitedAPI, ".", 2)
		if len(lm) != 2 || lm[0] != "3" {
			return "", "", "", limitedErr(limitedAPI, "pass a Python 3 version such as 3.8")
		}
		minor, err1 := strconv.Atoi(lm[1])
		have, _ := strconv.Atoi(mm[1])
		if err1 == nil && strconv.Itoa(minor) != lm[1] {
			// The tag is made of the text: cp308 for 3.08, which no pip takes.
			return "", "", "", limitedErr(limitedAPI, "write the minor version without a leading zero: 3.%d", minor)
		}
		if err1 != nil || minor < 2 {
			return "", "", "", limitedErr(limitedAPI, "pass a Python 3 version from 3.2, such as 3.8")
		}
		if minor > have {
			return "", "", "", limitedErr(limitedAPI, "the headers are Python %s's; build with a Python %s or newer", py.Version, limitedAPI)
		}
		if abi3t && minor < exportHookSince {
			return "", "", "", &cparse.ConfigError{Part: cparse.ABI3TPart, Reason: fmt.Sprintf("abi3t starts with the limited API of 3.%d (PEP 803), not %s", exportHookSince, limitedAPI)}
		}
		if strings.Contains(abiFlags(py), "t") && !abi3t {
			return "", "", "", limitedErr(limitedAPI, "Python %s is a free-threaded build, which has no abi3; pick a regular build, or target abi3t (3.15+)", py.Version)
		}
		if py.IsDebug() {
			return "", "", "", limitedErr(limitedAPI, "Python %s is a debug build; an abi3 module must be built with a release build", py.Version)
		}
		if abi3t {
			return "cp3" + lm[1], "abi3.abi3t", ".abi3t.so", nil
		}
		return "cp3" + lm[1], "abi3", ".abi3.so", nil
	}
	if abi3t {
		return "", "", "", &cparse.ConfigError{Part: cparse.ABI3TPart, Reason: "abi3t is a stable ABI: give the limited API's version too, 3.15 or later"}
	}
	if !cparse.ValidExtSuffix(py.ExtSuffix) {
		return "", "", "", errorf("Python %s: its EXT_SUFFIX is unknown, so the module's file name is too; pick a Python whose interpreter pyinc can ask", py.Version)
	}
	nodot := mm[0] + mm[1]
	return "cp" + nodot, "cp" + nodot + abiFlags(py), py.ExtSuffix, nil
}

// abiFlags are the interpreter's ABI flags as EXT_SUFFIX spells them
// ("m", "d", "t", "td"), which is what pip's tags use.
func abiFlags(py *cparse.Python) string {
	if m := extSuffixRE.FindStringSubmatch(py.ExtSuffix); m != nil {
		return m[2]
	}
	return py.ABIFlags
}

// assembler runs nasm on a project's sources from the project directory,
// so that its messages name the files as the user knows them.
type assembler struct {
	dir, incDir, tmp string
	debug            bool
	format           string // nasm -f
	// cuts is the include ready to be cut to what each source uses (nil:
	// every source gets the whole include).
	cuts *inccut.Include
	n    int // sources assembled, for unique file names in tmp
	// warnings are nasm's warnings on sources it assembled, from the run
	// with the whole include, as "file:line: message [-w+class]".
	warnings []string
	// incLabel names the whole include in nasm's messages in place of its
	// path, a temporary directory gone after the build.
	incLabel string
	// incName is the name the sources %include the include by.
	incName string
	// leftOut are the macros the include leaves out, with its reasons
	// (emit.LeftOut), and scope says for what: a source using one is told
	// so at its line.
	leftOut map[string]string
	scope   string
}

// module assembles each of m's sources into an object in tmp.
func (a *assembler) module(m project.Module) ([]Object, error) {
	var objs []Object
	for _, src := range m.Sources {
		a.n++
		obj := filepath.Join(a.tmp, fmt.Sprintf("%s.%d.o", m.Name, a.n))
		if err := a.source(src, obj); err != nil {
			return nil, err
		}
		objs = append(objs, Object{Path: obj, Source: src})
	}
	return objs, nil
}

// source assembles src into obj. nasm first gets the include cut to what
// src uses (package inccut); should it fail or have anything to say with
// the cut, src is assembled again with the whole include, whose result and
// messages are then the ones a user running nasm by hand would get.
func (a *assembler) source(src, obj string) error {
	srcDir := filepath.Dir(src) + string(filepath.Separator)
	uses, cuttable, err := inccut.UsesNamed(a.dir, []string{src}, []string{a.incDir + string(filepath.Separator), srcDir}, a.includeName())
	if err != nil {
		// nasm would wait on a FIFO for ever.
		return errorf("%s: %v", src, err)
	}
	if dir, ok := a.cutFor(uses, cuttable); ok {
		if out, err := a.nasm(dir, srcDir, src, obj); err == nil && strings.TrimSpace(out) == "" {
			return nil
		}
	}
	out, err := a.nasm(a.incDir, srcDir, src, obj)
	if a.incLabel != "" {
		out = strings.ReplaceAll(out, filepath.Join(a.incDir, filepath.FromSlash(a.includeName())), a.incLabel)
	}
	ms := a.messages(out)
	if err != nil {
		return a.failure(ms, out, err)
	}
	for _, m := range ms {
		if m.unavail != "" {
			// A left-out macro alone on its line assembles as a label.
			return a.failure(ms, out, err)
		}
	}
	for _, m := range ms {
		if m.kind == "warning" {
			// Without the word "warning", which the caller's prefix says.
			a.warnings = append(a.warnings, strings.TrimPrefix(m.String(a.scope), "warning: "))
		}
	}
	return nil
}

// cutFor writes the include cut to uses, the names a source uses, into a
// directory of its own and returns it; ok is false when the source must
// have the whole include (cuttable is false: see inccut.Uses).
func (a *assembler) cutFor(uses []string, cuttable bool) (dir string, ok bool) {
	if a.cuts == nil || !cuttable || os.Getenv("NASMENV") != "" {
		// NASMENV can add options the cut cannot see: include
		// directories, pre-included files.
		return "", false
	}
	dir = filepath.Join(a.tmp, fmt.Sprintf("include.%d", a.n))
	if os.Mkdir(dir, 0o755) != nil || writeInclude(dir, a.includeName(), a.cuts.Cut(uses)) != nil {
		return "", false
	}
	return dir, true
}

// includeName is the name the sources %include the include by.
func (a *assembler) includeName() string {
	if a.incName == "" {
		return project.DefaultIncludeName
	}
	return a.incName
}

func (a *assembler) nasm(incDir, srcDir, src, obj string) (string, error) {
	format := a.format
	if format == "" {
		format = objFormat(target.Default())
	}
	args := []string{"-f", format}
	if a.debug {
		args = append(args, "-g", "-F", debugFormat(format))
	}
	args = append(args, "-I", incDir+string(filepath.Separator), "-I", srcDir, "-o", obj, src)
	return run(a.dir, a.tmp, "nasm", args...)
}

// link makes the shared object without libpython: the interpreter that
// imports it provides the API symbols, as manylinux requires. The
// linker's messages name each object by its source and the module by its
// file name, not by their temporary paths under tmp.
func link(dir, so string, objs []Object, tmp string) error {
	args := []string{"-shared", "-o", so}
	var names []string
	for _, o := range objs {
		args = append(args, o.Path)
		names = append(names, o.Path, o.Source+" (object)")
	}
	out, err := run(dir, tmp, "cc", args...)
	if err == nil {
		return nil
	}
	names = append(names, so, filepath.Base(so), tmp+string(filepath.Separator), "")
	out = strings.NewReplacer(names...).Replace(out)
	if strings.Contains(out, "-fPIC") || strings.Contains(out, "can not be used when making a shared object") {
		return errorf("linking %s: a call or address is not position-independent: call API functions with PY_CALL and load API objects' addresses with PY_ADDR (%s)", filepath.Base(so), firstMatch(out, "relocation", err))
	}
	return errorf("linking %s: %s", filepath.Base(so), linkerReason(out, err))
}

// linkerReason is the linker's own first message, not cc's summary that
// ld failed. ld may give the place on one line ("/usr/bin/ld: b.o: in
// function `f':") and the reason on the next ("multiple definition of
// `f'"): both are kept.
func linkerReason(out string, err error) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if prog, _, ok := strings.Cut(l, ": "); ok && strings.HasSuffix(prog, "ld") {
			l = strings.TrimSpace(l)
			if strings.HasSuffix(l, ":") && i+1 < len(lines) {
				l += " " + strings.TrimSpace(lines[i+1])
			}
			return l
		}
	}
	return firstMatch(out, "error", err)
}

// run runs a tool in dir with TMPDIR at tmp, the build's own temporary
// directory: what the tool leaves there when it is interrupted (cc's
// collect2 can be stopped before it removes its files) goes with it.
func run(dir, tmp, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := outfile.Run(cmd)
	return out.String(), err
}

// firstMatch is the first line of out holding word, else its first line,
// else err.
func firstMatch(out, word string, err error) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		if strings.Contains(l, word) {
			return strings.TrimSpace(l)
		}
	}
	if lines[0] != "" {
		return strings.TrimSpace(lines[0])
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Error()
	}
	return err.Error()
}
