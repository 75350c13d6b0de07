package cparse

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/target"
)

// Define is one configuration macro, -DName=Value.
type Define struct {
	Name  string
	Value string // "1" when given without a value
}

// Unit is a parsed translation unit made of a Python's public headers.
type Unit struct {
	Python  *Python
	AST     *cc.AST
	Headers []string // what the unit includes, in order: "Python.h", ...
	Defines []Define // configuration macros set before the headers
	// Target is the platform the headers were parsed for: its compiler's
	// predefined macros and system headers, its type sizes.
	Target target.Target
	// IncludeDirs and AfterDirs are the Python's directories, absolute,
	// as the unit was parsed with them: a gcc probe uses the same.
	IncludeDirs, AfterDirs []string
	fileRank               map[string]int
	probes                 Probes
	// WideBitfields are the bitfields wider than 64 bits that the front
	// end read as 64 bits wide (widebits.go): their structs' layout is not
	// gcc's.
	WideBitfields []WideBitfield
	// systemRead lists the system headers the host compiler read for the
	// system overlay (sysheaders.go): inputs the front end did not open.
	systemRead []string
	// systemStreamed: the parse took the system headers' text while the
	// host compiler wrote it (syspass.go), not after.
	systemStreamed bool
	systemServed   siteCounts // how the sites were served, then
}

// useSystemOverlay: the system headers come preprocessed by the host
// compiler (sysheaders.go). SetSystemOverlay turns it off.
var useSystemOverlay = true

// SetSystemOverlay chooses whether Parse hands the front end the system
// headers preprocessed by the host compiler (the default) or lets it read
// them itself: the tests compare the two, and make bench times them.
func SetSystemOverlay(on bool) { useSystemOverlay = on }

// publicHeaders are included after Python.h when present: they declare
// what extension modules use but Python.h leaves out.
var publicHeaders = []string{"structmember.h"}

// Parse preprocesses, parses and type checks py's headers with the given
// configuration macros, for the default target.
func Parse(py *Python, defines []Define) (*Unit, error) {
	return ParseFor(py, defines, target.Default())
}

// ParseFor is Parse for the target tg: the headers are seen as tg's
// compiler sees them.
func ParseFor(py *Python, defines []Define, tg target.Target) (*Unit, error) {
	if len(py.IncludeDirs) == 0 {
		return nil, fmt.Errorf("no include directory for Python %s", py.Version)
	}
	inc := py.IncludeDirs[0]
	if !isFile(filepath.Join(inc, "Python.h")) {
		return nil, fmt.Errorf("no Python.h in %s: pass the directory that holds Python.h", inc)
	}
	cfg, err := targetConfig(tg)
	if err != nil {
		return nil, err
	}
	// Absolute directories give every header one spelling of its path,
	// which IsPythonHeader and the file order rely on.
	incDirs, afterDirs := absAll(py.IncludeDirs), absAll(py.AfterDirs)
	// The Python directories come first; the host's system directories
	// come after them, as gcc -I orders them.
	cfg.IncludePaths = append(append([]string{""}, incDirs...), cfg.HostIncludePaths...)
	cfg.IncludePaths = append(cfg.IncludePaths, cfg.HostSysIncludePaths...)
	cfg.IncludePaths = append(cfg.IncludePaths, afterDirs...)
	cfg.SysIncludePaths = append(append([]string{}, incDirs...), cfg.HostSysIncludePaths...)
	// Searched before the host's, a tree's headers would mix two glibcs.
	cfg.SysIncludePaths = append(cfg.SysIncludePaths, afterDirs...)
	cfg.EvalAllMacros = true
	cfg.Header = true
	cfg.UnsignedEnums = true

	u := &Unit{Python: py, Defines: defines, Target: tg, IncludeDirs: incDirs, AfterDirs: afterDirs}
	u.Headers = []string{"Python.h"}
	for _, h := range publicHeaders {
		if isFile(filepath.Join(inc, h)) {
			u.Headers = append(u.Headers, h)
		}
	}
	src := u.CSource()
	srcs := []cc.Source{
		{Name: "<predefined>", Value: cfg.Predefined},
		{Name: "<builtin>", Value: cc.Builtin},
		{Name: mainSourceName, Value: src},
		{Name: probeSourceName, Value: probeSource()},
	}
	if err := checkHeaderFiles(incDirs); err != nil {
		return nil, fmt.Errorf("cannot parse the headers of Python %s: %v", py.Version, err)
	}
	var ast *cc.AST
	if pass, err := startSystemPass(cfg, u, src); err == nil {
		ast, err = parseWithSystemPass(cfg, srcs, u, pass)
		if derr, ok := err.(depthError); ok {
			// The front end would follow such includes without end.
			return nil, fmt.Errorf("cannot parse the headers of Python %s: %v", py.Version, derr.error)
		}
	}
	if ast == nil {
		// The plain path: also where an error is reported from, so that
		// it names the header and line as the headers have them.
		guard := &guardFS{python: u.IsPythonHeader}
		cfg.FS, cfg.FSOnly = guard, true
		if ast, err = cc.Translate(cfg, srcs); err != nil {
			if r := guard.refusal(); r != nil {
				return nil, fmt.Errorf("cannot parse the headers of Python %s: %v", py.Version, r)
			}
			if ast = parseNarrowed(cfg, srcs, err, u); ast == nil {
				return nil, headerError(err, cfg.CC, u)
			}
		}
	}
	u.AST = ast
	u.rankFiles()
	u.collectProbes()
	return u, nil
}

// CSource is the C text that includes what the unit includes, for a gcc
// probe that must see exactly the same declarations: the target's own
// configuration macros, then the unit's, then the headers.
func (u *Unit) CSource() string {
	var b strings.Builder
	for _, d := range u.Target.ConfigDefines {
		name, value, _ := strings.Cut(d, "=")
		fmt.Fprintf(&b, "#define %s %s\n", name, value)
	}
	for _, d := range u.Defines {
		fmt.Fprintf(&b, "#define %s %s\n", d.Name, d.Value)
	}
	for _, h := range u.Headers {
		fmt.Fprintf(&b, "#include <%s>\n", h)
	}
	return b.String()
}

// errorDirectiveRE matches how the front end reports an #error directive:
// the position, then the directive's quoted text.
var errorDirectiveRE = regexp.MustCompile(`^(.*?):([0-9]+):[0-9]+: ("[^"]*")$`)

// positionRE splits the front end's message into file, line and text.
var positionRE = regexp.MustCompile(`^(.*?):([0-9]+):[0-9]+: (.+)$`)

// unquotedErrorDirective matches an #error whose text is not a string
// (3.11's "#error Py_LIMITED_API is incompatible with Py_TRACE_REFS"): the
// front end reports its tokens, so the line it names must be the
// directive. It returns the match as errorDirectiveRE's, text quoted.
func unquotedErrorDirective(l string) []string {
	m := positionRE.FindStringSubmatch(l)
	if m == nil {
		return nil
	}
	n, _ := strconv.Atoi(m[2])
	f, err := os.Open(m[1])
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 16<<20))
	for i := 1; sc.Scan(); i++ {
		if i == n {
			if errorLineRE.MatchString(sc.Text()) {
				return []string{l, m[1], m[2], strconv.Quote(m[3])}
			}
			return nil
		}
	}
	return nil
}

var errorLineRE = regexp.MustCompile(`^\s*#\s*error\b`)

// headerError turns the front end's error list into one line: the
// header's own reason when an #error refused the configuration, else the
// first problem with its file and line.
func headerError(err error, compiler string, u *Unit) error {
	py, defines := u.Python, u.Defines
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
	for _, l := range lines {
		m := errorDirectiveRE.FindStringSubmatch(l)
		if m == nil {
			m = unquotedErrorDirective(l)
		}
		if m != nil {
			var cfg []string
			for _, d := range defines {
				cfg = append(cfg, d.Name+"="+d.Value)
			}
			return fmt.Errorf("the headers of Python %s refuse this configuration (%s): %s:%s: #error %s",
				py.Version, strings.Join(cfg, " "), trimHostPath(m[1], py.IncludeDirs), m[2], m[3])
		}
	}
	// A too wide bitfield is named first only when nothing else is wrong:
	// the others are what the user must mend before pyinc can get past it.
	line := lines[0]
	for _, l := range lines {
		if !wideErrorRE.MatchString(l) {
			line = l
			break
		}
	}
	first := trimHostPath(frontEndMessage(line), py.IncludeDirs)
	if madeByPyinc(line) {
		if msg, ok := unfinishedError(compiler, u); ok {
			return fmt.Errorf("cannot parse the headers of Python %s: %s", py.Version, msg)
		}
	}
	more := ""
	if len(lines) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(lines)-1)
	}
	return fmt.Errorf("cannot parse the headers of Python %s: %s%s", py.Version, first, more)
}

func trimHostPath(s string, dirs []string) string {
	for _, d := range dirs {
		s = strings.ReplaceAll(s, d+string(os.PathSeparator), "")
	}
	return s
}

// IsPythonHeader reports whether the file at path is one of the Python
// headers: under one of its include directories, or in a directory named
// pythonX.Y (Debian keeps pyconfig.h in /usr/include/<multiarch>/pythonX.Y).
func (u *Unit) IsPythonHeader(path string) bool {
	for _, d := range u.IncludeDirs {
		if strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return pyDirRE.MatchString(path)
}

var pyDirRE = regexp.MustCompile(`/python[0-9]+\.[0-9]+[a-z]*/`)

// rankFiles numbers the files of the unit in the order they first appear,
// so that declarations can be put in source order across files.
func (u *Unit) rankFiles() {
	u.fileRank = map[string]int{}
	for tu := u.AST.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		f := tu.ExternalDeclaration.Position().Filename
		if _, ok := u.fileRank[f]; !ok {
			u.fileRank[f] = len(u.fileRank)
		}
	}
}

// Less orders two positions as they appear in the translation unit.
func (u *Unit) Less(a, b Pos) bool {
	ra, oka := u.fileRank[a.File]
	rb, okb := u.fileRank[b.File]
	if !oka {
		ra = len(u.fileRank)
	}
	if !okb {
		rb = len(u.fileRank)
	}
	if ra != rb {
		return ra < rb
	}
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}

// Pos is a source position.
type Pos struct {
	File      string
	Line, Col int
}

// SortPos sorts items in translation-unit order, stably. Each position is
// looked up once: the front end computes a position on every call.
func SortPos[T any](u *Unit, items []T, pos func(T) Pos) {
	type placed struct {
		p    Pos
		item T
	}
	ps := make([]placed, len(items))
	for i, it := range items {
		ps[i] = placed{pos(it), it}
	}
	sort.SliceStable(ps, func(i, j int) bool { return u.Less(ps[i].p, ps[j].p) })
	for i := range ps {
		items[i] = ps[i].item
	}
}

func absAll(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		if a, err := filepath.Abs(d); err == nil {
			d = a
		}
		out[i] = d
	}
	return out
}

// Files lists every file the unit read something from: the headers its
// declarations and macros come from, system headers included.
func (u *Unit) Files() []string {
	seen := map[string]bool{}
	for f := range u.fileRank {
		seen[f] = true
	}
	for _, m := range u.AST.Macros {
		seen[m.Position().Filename] = true
	}
	for _, f := range u.systemRead {
		seen[f] = true
	}
	var out []string
	for f := range seen {
		if filepath.IsAbs(f) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}
