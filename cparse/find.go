// Package cparse finds a Python's C headers and parses them with a real C
// front end (modernc.org/cc/v4) under a build configuration.
package cparse

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pyinc/pyinc/internal/infile"
)

// Python describes one Python installation: where its headers and
// libpython are, and how its interpreter was built.
type Python struct {
	Version     string   // "3.9.18"
	Interpreter string   // absolute path, "" when only headers were found
	IncludeDirs []string // INCLUDEPY first, then CONFINCLUDEPY when it differs
	LibPython   string   // shared libpython, "" when none was found
	ExtSuffix   string   // EXT_SUFFIX, e.g. ".cpython-39-x86_64-linux-gnu.so"
	ABIFlags    string   // "d", "m", "t", ...
	Defines     []string // build configuration macros the interpreter was built with
	Source      string   // how it was found: "pyenv", "PATH", "pypath" ($PYINC_PYTHON_PATH), "headers", "argument", "tree"
	// AfterDirs are searched after the host's system include directories:
	// a tree's usr/include, for Debian's <multiarch/pythonX.Y/pyconfig.h>.
	AfterDirs []string
	Root      string // the tree an interpreter that cannot run here is in
	// ConfigHeader is the configuration header used instead of the
	// Python's own pyconfig.h (WithConfigHeader), "" for its own.
	ConfigHeader string
}

// MajorMinor returns "3.9" for "3.9.18".
func (p *Python) MajorMinor() string {
	parts := strings.SplitN(p.Version, ".", 3)
	if len(parts) < 2 {
		return p.Version
	}
	return parts[0] + "." + parts[1]
}

// queryScript prints what pyinc needs from an interpreter. It runs under
// Python 2.7 and every Python 3.
var queryScript = strings.Replace(queryTemplate, "CONFIG_MACROS", `("`+strings.Join(ConfigMacros, `", "`)+`")`, 1)

const queryTemplate = `
import sys, sysconfig
g = sysconfig.get_config_var
p = sysconfig.get_paths()
def out(k, v):
    sys.stdout.write("%s=%s\n" % (k, "" if v is None else v))
out("version", "%d.%d.%d" % tuple(sys.version_info[:3]))
out("executable", sys.executable)
out("include", g("INCLUDEPY") or p.get("include"))
out("platinclude", p.get("platinclude"))
out("confinclude", g("CONFINCLUDEPY"))
out("libdir", g("LIBDIR"))
out("ldlibrary", g("LDLIBRARY"))
out("instsoname", g("INSTSONAME"))
out("multiarch", g("MULTIARCH"))
out("ext_suffix", g("EXT_SUFFIX") or g("SO"))
out("abiflags", getattr(sys, "abiflags", g("ABIFLAGS")))
for k in CONFIG_MACROS:
    out("cfg." + k, g(k))
import os
for n, m in sorted(sys.modules.items()):
    f = getattr(m, "__file__", None)
    if f and (n == "sysconfig" or n.startswith("_sysconfigdata")):
        if f.endswith(".pyc"):
            f = f[:-1]
        out("file", os.path.abspath(f))
`

// Query asks an interpreter for its headers, libpython and configuration
// (or takes its kept answer, see KeepAnswers).
func Query(interp string) (*Python, error) {
	out, err := runQuery(interp)
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
			msg = lastLine(string(ee.Stderr))
		}
		return nil, fmt.Errorf("cannot query %s: %s", interp, msg)
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	if err := checkAnswers(kv); err != nil {
		return nil, fmt.Errorf("cannot use %s: its answer to pyinc's query %v: pass a CPython interpreter", interp, err)
	}
	p := &Python{
		Version:     kv["version"],
		Interpreter: kv["executable"],
		ExtSuffix:   kv["ext_suffix"],
		ABIFlags:    kv["abiflags"],
	}
	if p.Interpreter == "" {
		p.Interpreter = interp
	}
	for _, k := range []string{"include", "platinclude", "confinclude"} {
		if d := kv[k]; d != "" && isDir(d) && !slices.Contains(p.IncludeDirs, d) {
			p.IncludeDirs = append(p.IncludeDirs, d)
		}
	}
	for _, k := range ConfigMacros {
		if v := kv["cfg."+k]; v != "" && v != "0" {
			p.Defines = append(p.Defines, k)
		}
	}
	var libs []string
	for _, name := range []string{kv["instsoname"], kv["ldlibrary"]} {
		if name == "" || !strings.Contains(name, ".so") {
			continue
		}
		libs = append(libs, filepath.Join(kv["libdir"], name))
		if ma := kv["multiarch"]; ma != "" {
			libs = append(libs, filepath.Join(kv["libdir"], ma, name))
		}
	}
	p.LibPython = firstFile(libs)
	if p.LibPython == "" && len(p.IncludeDirs) > 0 {
		p.LibPython = findLibPython(p.IncludeDirs[0], p.MajorMinor(), p.ABIFlags)
	}
	return p, nil
}

var (
	answerVersionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	// A module suffix is one file name's end: dot-separated parts of
	// letters, digits, _ and -, the last so or pyd (no empty part, so
	// no "..").
	suffixAnswerRE = regexp.MustCompile(`^(\.[A-Za-z0-9_-]+)*\.(so|pyd)$`)
	abiFlagsRE     = regexp.MustCompile(`^[a-z]*$`)
	fileNameRE     = regexp.MustCompile(`^[A-Za-z0-9_.+-]*$`)
)

// ValidExtSuffix reports whether s can end a module's file name, as an
// EXT_SUFFIX such as .cpython-312-x86_64-linux-gnu.so: it becomes a file
// name in the project and a wheel member.
func ValidExtSuffix(s string) bool { return suffixAnswerRE.MatchString(s) }

// checkAnswers refuses an interpreter's answers that pyinc cannot use
// safely: the suffix becomes a file name in the project and a wheel
// member, the paths are searched for headers and libpython.
func checkAnswers(kv map[string]string) error {
	if !answerVersionRE.MatchString(kv["version"]) {
		return fmt.Errorf("has no version X.Y.Z (got %q)", kv["version"])
	}
	if s := kv["ext_suffix"]; s != "" && !ValidExtSuffix(s) {
		return fmt.Errorf("gives EXT_SUFFIX %q, which is not one file name's suffix (such as .cpython-312-x86_64-linux-gnu.so)", s)
	}
	if f := kv["abiflags"]; !abiFlagsRE.MatchString(f) {
		return fmt.Errorf("gives ABI flags %q, which are not lowercase letters", f)
	}
	for _, k := range []string{"executable", "include", "platinclude", "confinclude", "libdir"} {
		if d := kv[k]; d != "" && !filepath.IsAbs(d) {
			return fmt.Errorf("gives %s %q, which is not an absolute path", k, d)
		}
	}
	for _, k := range []string{"ldlibrary", "instsoname", "multiarch"} {
		if n := kv[k]; !fileNameRE.MatchString(n) || n == "." || n == ".." {
			return fmt.Errorf("gives %s %q, which is not a file name", k, n)
		}
	}
	return nil
}

// FromIncludeDir describes the Python whose headers are in dir, without an
// interpreter. The version comes from patchlevel.h.
func FromIncludeDir(dir string) (*Python, error) {
	if !isDir(dir) {
		return nil, fmt.Errorf("include directory %s does not exist", dir)
	}
	if !isFile(filepath.Join(dir, "Python.h")) {
		return nil, fmt.Errorf("no Python.h in %s: pass the directory that holds Python.h", dir)
	}
	ver, err := headerVersion(dir)
	if err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(dir)
	p := &Python{Version: ver, IncludeDirs: []string{abs}, Source: "headers"}
	flags := strings.TrimPrefix(filepath.Base(abs), "python"+p.MajorMinor())
	p.ABIFlags = flags
	p.LibPython = findLibPython(abs, p.MajorMinor(), flags)
	p.Defines = headerConfig(abs)
	return p, nil
}

var (
	configDefineRE  = regexp.MustCompile(`(?m)^#define\s+(` + strings.Join(ConfigMacros, "|") + `)\b`)
	configIncludeRE = regexp.MustCompile(`(?m)^#\s*include\s*<([^>]*pyconfig\.h)>`)
)

// headerConfig reads the build configuration macros pyconfig.h defines,
// following Debian's redirect to /usr/include/<multiarch>/pythonX.Y.
func headerConfig(dir string) []string {
	b, err := infile.Read(filepath.Join(dir, "pyconfig.h"), infile.HeaderLimit)
	if err != nil {
		return nil
	}
	if m := configIncludeRE.FindSubmatch(b); m != nil {
		for _, sys := range []string{filepath.Dir(dir), "/usr/include"} {
			if real, err := infile.Read(filepath.Join(sys, string(m[1])), infile.HeaderLimit); err == nil {
				b = append(b, real...)
				break
			}
		}
	}
	var out []string
	for _, m := range configDefineRE.FindAllSubmatch(b, -1) {
		if !slices.Contains(out, string(m[1])) {
			out = append(out, string(m[1]))
		}
	}
	return out
}

var pyVersionRE = regexp.MustCompile(`(?m)^#define\s+PY_VERSION\s+"([0-9]+\.[0-9]+\.[0-9]+)[^"]*"`)

func headerVersion(dir string) (string, error) {
	b, err := infile.Read(filepath.Join(dir, "patchlevel.h"), infile.HeaderLimit)
	if err != nil {
		return "", fmt.Errorf("no patchlevel.h in %s: not a CPython include directory", dir)
	}
	m := pyVersionRE.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s/patchlevel.h defines no PY_VERSION", dir)
	}
	return string(m[1]), nil
}

// findLibPython looks for the shared libpython that goes with headers in
// PREFIX/include/pythonX.Y: PREFIX/lib and PREFIX/lib/<multiarch>.
func findLibPython(includeDir, mm, flags string) string {
	prefix := filepath.Dir(filepath.Dir(includeDir))
	var cands []string
	for _, dir := range []string{filepath.Join(prefix, "lib"), filepath.Join(prefix, "lib", "x86_64-linux-gnu")} {
		for _, f := range []string{flags, ""} {
			base := "libpython" + mm + f + ".so"
			cands = append(cands, filepath.Join(dir, base+".1.0"), filepath.Join(dir, base))
		}
	}
	return firstFile(cands)
}

// PythonPathEnv names the environment variable that lists more directories
// (separated as in PATH) whose interpreters pyinc finds like those on PATH:
// Pythons built from source into prefixes of their own (make pythons sets
// it for the tests), without putting them on PATH.
const PythonPathEnv = "PYINC_PYTHON_PATH"

// Discover lists every Python on this machine: pyenv's versions, the
// interpreters on PATH, those in $PYINC_PYTHON_PATH's directories, then
// header directories in /usr/include and /usr/local/include that no
// interpreter claimed. Newest first within each source; duplicates (same
// include directory) are dropped.
func Discover() []*Python { return discover(func(string) bool { return true }) }

// discover is Discover, querying only the candidates whose name (a pyenv
// version, an interpreter or include directory name) want accepts.
func discover(want func(name string) bool) []*Python {
	var all []*Python
	seen := map[string]bool{}
	add := func(p *Python, src string) {
		if p == nil || len(p.IncludeDirs) == 0 || !isFile(filepath.Join(p.IncludeDirs[0], "Python.h")) {
			return
		}
		key := p.IncludeDirs[0]
		if seen[key] {
			return
		}
		seen[key] = true
		if p.Source == "" {
			p.Source = src
		}
		all = append(all, p)
	}
	var interps []string
	if root := pyenvRoot(); root != "" {
		dirs, _ := filepath.Glob(filepath.Join(root, "versions", "*", "bin"))
		sortByVersion(dirs, func(s string) string { return filepath.Base(filepath.Dir(s)) })
		for _, d := range dirs {
			if !want(filepath.Base(filepath.Dir(d))) {
				continue
			}
			if exe := versionedInterpreter(d); exe != "" {
				if p, err := Query(exe); err == nil {
					add(p, "pyenv")
				}
			}
		}
	}
	shims := filepath.Join(pyenvRoot(), "shims")
	for _, search := range []struct{ env, src string }{{"PATH", "PATH"}, {PythonPathEnv, "pypath"}} {
		for _, dir := range filepath.SplitList(os.Getenv(search.env)) {
			if dir == "" || dir == shims {
				continue
			}
			names, _ := filepath.Glob(filepath.Join(dir, "python*"))
			sortByVersion(names, filepath.Base)
			for _, n := range names {
				if !interpNameRE.MatchString(filepath.Base(n)) || !want(filepath.Base(n)) {
					continue
				}
				real, err := filepath.EvalSymlinks(n)
				if err != nil || slices.Contains(interps, real) {
					continue
				}
				interps = append(interps, real)
				if p, err := Query(n); err == nil {
					add(p, search.src)
				}
			}
		}
	}
	for _, base := range []string{"/usr/local/include", "/usr/include"} {
		dirs, _ := filepath.Glob(filepath.Join(base, "python[0-9]*"))
		sortByVersion(dirs, filepath.Base)
		for _, d := range dirs {
			if !want(filepath.Base(d)) {
				continue
			}
			if p, err := FromIncludeDir(d); err == nil {
				add(p, "headers")
			}
		}
	}
	return all
}

var versionedNameRE = regexp.MustCompile(`^python[0-9]\.[0-9]+$`)

var interpNameRE = regexp.MustCompile(`^python[0-9](\.[0-9]+)?[dmt]*(-dbg)?$`)

// versionedInterpreter returns the most specific pythonX.Y in bin.
func versionedInterpreter(bin string) string {
	names, _ := filepath.Glob(filepath.Join(bin, "python[0-9].*"))
	for _, n := range names {
		if versionedNameRE.MatchString(filepath.Base(n)) {
			return n
		}
	}
	for _, n := range []string{"python3", "python2", "python"} {
		if p := filepath.Join(bin, n); isFile(p) {
			return p
		}
	}
	return ""
}

func pyenvRoot() string {
	if r := os.Getenv("PYENV_ROOT"); r != "" && isDir(r) {
		return r
	}
	// pyenv is a shell script found on PATH: bounded like an interpreter
	// query, with its children, which could keep the pipe open.
	ctx, cancel := context.WithTimeout(context.Background(), QueryTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pyenv", "root")
	cmd.WaitDelay = time.Second
	if out, err := cmd.Output(); err == nil {
		if r := strings.TrimSpace(string(out)); isDir(r) {
			return r
		}
	}
	if home, err := os.UserHomeDir(); err == nil && isDir(filepath.Join(home, ".pyenv")) {
		return filepath.Join(home, ".pyenv")
	}
	return ""
}

// countRoots counts the Pythons of trees at the end of all.
func countRoots(all []*Python) int {
	n := 0
	for _, p := range all {
		if p.Root != "" {
			n++
		}
	}
	return n
}

// ErrNotFound is what Find's errors are when it found no usable Python
// for the spec (errors.Is): the caller may say how to name another.
var ErrNotFound = errors.New("no such Python")

type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(format string, args ...any) error {
	return &notFoundError{fmt.Sprintf(format, args...)}
}

var versionSpecRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,2}$`)

// Find resolves what the user passed as --python: a version ("3.9",
// "3.11.7"), an interpreter name on PATH, or a path. An empty spec means the
// python3 on PATH. Versions are also looked for in the trees at roots.
func Find(spec string, roots ...string) (*Python, error) {
	if spec == "" {
		spec = "python3"
	}
	if versionSpecRE.MatchString(spec) {
		var found []string
		// Only candidates whose names carry a matching version are asked;
		// "python3" and the like may be any version, so they are asked too.
		nameRE := regexp.MustCompile(`^(python)?` + regexp.QuoteMeta(spec) + `($|[^0-9])|^python[0-9]?$`)
		all := discover(nameRE.MatchString)
		for _, r := range roots {
			all = append(all, DiscoverRoot(r)...)
		}
		for _, p := range all {
			if p.Version == spec || strings.HasPrefix(p.Version, spec+".") {
				return p, nil
			}
		}
		for _, p := range append(Discover(), all[len(all)-countRoots(all):]...) {
			v := p.Version
			if p.IsDebug() {
				v += " (debug)"
			}
			if !slices.Contains(found, v) {
				found = append(found, v)
			}
		}
		have := "none"
		if len(found) > 0 {
			have = strings.Join(found, ", ")
		}
		return nil, notFound("no Python %s found (found: %s)", spec, have)
	}
	exe := spec
	if !strings.Contains(spec, "/") {
		p, err := lookPython(spec)
		if err != nil {
			return nil, notFound("no interpreter %q on PATH", spec)
		}
		exe = p
	} else if !isFile(spec) {
		return nil, notFound("interpreter %s does not exist", spec)
	}
	p, err := Query(exe)
	if err != nil {
		// An interpreter of another root file system may not run here;
		// its files still say what it is.
		if root, ok := treeRoot(exe); ok {
			if tp, terr := FromTree(root, exe); terr == nil {
				return tp, nil
			}
		}
		return nil, err
	}
	if len(p.IncludeDirs) == 0 || !isFile(filepath.Join(p.IncludeDirs[0], "Python.h")) {
		return nil, notFound("%s (Python %s) has no headers: install its development package", exe, p.Version)
	}
	p.Source = "argument"
	return p, nil
}

// lookPython finds an interpreter by name on PATH, then in the
// directories of $PYINC_PYTHON_PATH.
func lookPython(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	for _, dir := range filepath.SplitList(os.Getenv(PythonPathEnv)) {
		if c := filepath.Join(dir, name); dir != "" && isFile(c) {
			return c, nil
		}
	}
	return "", err
}

// sortByVersion sorts paths newest first by the version in key(path).
func sortByVersion(s []string, key func(string) string) {
	num := regexp.MustCompile(`[0-9]+`)
	vec := func(x string) []int {
		var r []int
		for _, m := range num.FindAllString(key(x), -1) {
			n, _ := strconv.Atoi(m)
			r = append(r, n)
		}
		return r
	}
	sort.SliceStable(s, func(i, j int) bool {
		a, b := vec(s[i]), vec(s[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return s[i] < s[j]
	})
}

func firstFile(paths []string) string {
	for _, p := range paths {
		if isFile(p) {
			return p
		}
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
