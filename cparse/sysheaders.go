package cparse

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Most of what a parse of Python.h reads is the C library's headers, and
// most of those are function declarations the include never needs: cc/v4's
// preprocessor spent about 40% of a parse on them (issue 18). The host
// compiler preprocesses the same unit in a fraction of that time, so
// cparse asks it to (cc -E -dD) and hands cc/v4 the system headers already
// preprocessed and without their function declarations, while the Python
// headers are still read and preprocessed by cc/v4 itself, so that every
// macro of theirs keeps its exact definition.
//
// Order is kept exactly: each #include of a system header in a Python
// header is replaced, in place, by what the compiler made of that very
// #include (with its #define and #undef lines, which -dD keeps, in their
// order), so every line of the Python headers sees the macros and types it
// saw before. The Python header is served to cc/v4 through Config.FS with
// that line turned into #include "<system N>", a file that holds the
// compiler's text after a #line directive naming it "<system>", which is
// no Python header's; the Python header keeps its own line numbers. The
// two front ends run at once (syspass.go).
//
// Anything unexpected in the compiler's output (an #include the lines do not
// show, a Python header included from a system one, a site entered twice)
// or a failure of either front end sends the parse down the plain path:
// the overlay is a shortcut, never a different answer. The snapshot tests
// (every include byte-identical), a test that makes every Python's include
// both ways and compares (internal/pipeline) and the gcc cross-checks hold
// it to that.

// systemName names the system headers' text in the front end's positions.
const systemName = "<system>"

// site is an #include of a system header in a Python header: the file and
// the directive's line.
type site struct {
	file string
	line int
}

// isGCC reports GCC itself by its predefined macros (clang defines
// __GNUC__ too).
func isGCC(predefined string) bool {
	return strings.Contains(predefined, "#define __GNUC__ ") && !strings.Contains(predefined, "#define __clang__ ")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// frame is a file being read in the compiler's output.
type frame struct {
	file   string
	python bool
}

// compiled is what splitSystem reads from the compiler's output.
type compiled struct {
	chunks map[site][]byte // by site, what the compiler made of it
	read   []string        // every system header read
	// outside holds the macros defined or undefined anywhere but in the
	// system headers: the Python headers, the unit's source, the
	// compiler's own.
	outside map[string]bool
}

// splitSystem reads the compiler's whole output and returns, for each
// #include in a Python header that entered a system header, the text that
// #include produced (pruned of function declarations), and every system
// header read.
func splitSystem(out []byte, isPython func(string) bool) (*compiled, error) {
	sp := newSplitter(isPython, nil)
	for len(out) > 0 {
		var line []byte
		line, out, _ = bytes.Cut(out, []byte("\n"))
		if err := sp.line(line); err != nil {
			return nil, err
		}
	}
	return sp.finish()
}

// splitter reads the compiler's output a line at a time, as it is
// written, and tells done about each site as soon as its text is whole.
type splitter struct {
	isPython func(string) bool
	done     func(site, []byte) // may be nil
	c        compiled
	seen     map[string]bool // system headers listed in c.read
	entered  map[string]int  // how often each Python header is read
	stack    []frame
	chunk    bytes.Buffer
	depth    int // system frames entered from the Python frame below them
	// at is how far the output has come in each Python header being
	// read: the lines before at[file] are done. A header left is done
	// (left) until it is entered again.
	at   map[string]int
	left map[string]bool
	// next is the line number of the output's next line in the Python
	// header being read (the compiler keeps its lines in step, with
	// blank lines or a marker), and processed the #includes of Python
	// headers the compiler carried out, as cc -dI writes them in their
	// lines, whether or not it entered a file there.
	next      int
	processed map[site]string
}

func newSplitter(isPython func(string) bool, done func(site, []byte)) *splitter {
	return &splitter{
		isPython:  isPython,
		done:      done,
		c:         compiled{chunks: map[site][]byte{}, outside: map[string]bool{}},
		seen:      map[string]bool{},
		entered:   map[string]int{},
		at:        map[string]int{},
		left:      map[string]bool{},
		processed: map[site]string{},
	}
}

// line reads one line of the output, without its newline.
func (sp *splitter) line(line []byte) error {
	num, file, flags, ok := lineMarker(line)
	if !ok {
		sp.text(line)
		return nil
	}
	file = cleanPath(file)
	switch {
	case flags&markEnter != 0:
		return sp.enter(file)
	case flags&markReturn != 0:
		return sp.leave(file, num, line)
	case len(sp.stack) <= 1:
		// The top level moves between the source and the
		// compiler's own <built-in> and <command-line>.
		sp.stack = append(sp.stack[:0], frame{file, false})
	case sp.stack[len(sp.stack)-1].file != file:
		// A marker that renames an included file: not from cc -E.
		return fmt.Errorf("unexpected line marker %q", line)
	case sp.depth == 0 && sp.stack[len(sp.stack)-1].python:
		sp.at[file], sp.next = num, num // lines skipped
	}
	return nil
}

// text reads a line that is no line marker.
func (sp *splitter) text(line []byte) {
	inPython := sp.depth == 0 && len(sp.stack) > 0 && sp.stack[len(sp.stack)-1].python
	switch {
	case includeVerb(line) != "":
		// cc -dI's. In a system header it is no text of the header's
		// (the compiler has carried it out). It does not move at:
		// the #include's file, if any, is entered next.
		if inPython {
			sp.processed[site{sp.stack[len(sp.stack)-1].file, sp.next}] = string(line)
		}
	case sp.depth > 0:
		sp.chunk.Write(line)
		sp.chunk.WriteByte('\n')
	default:
		if _, name, ok := directive(line); ok {
			sp.c.outside[name] = true
		}
		if inPython {
			sp.at[sp.stack[len(sp.stack)-1].file] = sp.next
		}
	}
	if inPython {
		sp.next++
	}
}

// passed reports whether the output has come past s without entering a
// system header there.
func (sp *splitter) passed(s site) bool {
	if _, ok := sp.c.chunks[s]; ok {
		return false
	}
	return sp.left[s.file] || sp.at[s.file] > s.line
}

func (sp *splitter) enter(file string) error {
	py := filepath.IsAbs(file) && sp.isPython(file)
	if !py && filepath.IsAbs(file) && !sp.seen[file] {
		sp.seen[file] = true
		sp.c.read = append(sp.c.read, file)
	}
	if sp.depth > 0 && py {
		return fmt.Errorf("%s is included from a system header", file)
	}
	if py {
		sp.entered[file]++
		sp.at[file], sp.left[file], sp.next = 0, false, 1
	}
	if sp.depth > 0 || !py && len(sp.stack) > 0 && sp.stack[len(sp.stack)-1].python {
		sp.depth++
	}
	sp.stack = append(sp.stack, frame{file, py})
	return nil
}

func (sp *splitter) leave(file string, num int, line []byte) error {
	if len(sp.stack) < 2 || sp.stack[len(sp.stack)-2].file != file {
		return fmt.Errorf("the compiler's line markers do not nest at %q", line)
	}
	child, parent := sp.stack[len(sp.stack)-1], sp.stack[len(sp.stack)-2]
	sp.stack = sp.stack[:len(sp.stack)-1]
	if child.python {
		sp.left[child.file] = true
	}
	if sp.depth == 0 {
		if parent.python {
			sp.at[file], sp.next = num, num
		}
		return nil
	}
	sp.depth--
	if sp.depth > 0 {
		return nil
	}
	sp.at[file], sp.next = num, num
	s := site{file, num - 1}
	if _, twice := sp.c.chunks[s]; twice {
		return fmt.Errorf("%s:%d is included twice", file, s.line)
	}
	text := pruneDeclarations(bytes.Clone(sp.chunk.Bytes()))
	sp.chunk.Reset()
	sp.c.chunks[s] = text
	if sp.done != nil {
		sp.done(s, text)
	}
	return nil
}

// finish checks the output read as a whole and returns what it held.
func (sp *splitter) finish() (*compiled, error) {
	if sp.depth != 0 {
		return nil, errors.New("the compiler's output ends inside a system header")
	}
	for st := range sp.c.chunks {
		if sp.entered[st.file] > 1 {
			// One file serves every reading of it: its sites' text
			// would be replayed where the compiler read nothing.
			return nil, fmt.Errorf("%s, which includes system headers, is read more than once", st.file)
		}
	}
	return &sp.c, nil
}

// The flags of a line marker: 1 enters a file, 2 returns to one.
const (
	markEnter = 1 << iota
	markReturn
)

// lineMarker parses the compiler's `# 12 "file" 1 3 4`.
func lineMarker(l []byte) (num int, file string, flags int, ok bool) {
	if len(l) < 4 || l[0] != '#' || l[1] != ' ' || l[2] < '0' || l[2] > '9' {
		return 0, "", 0, false
	}
	rest := string(l[2:])
	n, rest, _ := strings.Cut(rest, " ")
	num, err := strconv.Atoi(n)
	if err != nil || !strings.HasPrefix(rest, `"`) {
		return 0, "", 0, false
	}
	end := strings.LastIndexByte(rest, '"')
	if end <= 0 {
		return 0, "", 0, false
	}
	file = rest[1:end]
	if strings.Contains(file, `\`) {
		return 0, "", 0, false // an escaped name: never in the headers pyinc reads
	}
	for _, f := range strings.Fields(rest[end+1:]) {
		switch f {
		case "1":
			flags |= markEnter
		case "2":
			flags |= markReturn
		}
	}
	return num, file, flags, true
}

func cleanPath(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return p
}

// isIncludeLine reports a one-line #include directive.
func isIncludeLine(l []byte) bool {
	return includeVerb(l) == "include" && !bytes.HasSuffix(bytes.TrimSpace(l), []byte(`\`))
}

// includeVerb is "include" or "include_next" for such a directive,
// whatever follows it, and "" for any other line.
func includeVerb(l []byte) string {
	s := bytes.TrimLeft(l, " \t")
	if len(s) == 0 || s[0] != '#' {
		return ""
	}
	s = bytes.TrimLeft(s[1:], " \t")
	switch {
	case bytes.HasPrefix(s, []byte("include_next")):
		return "include_next"
	case bytes.HasPrefix(s, []byte("include")):
		return "include"
	}
	return ""
}

// depthError is the host compiler's refusal of #include nesting deeper
// than it allows: the front end, which has no such bound, must not try.
type depthError struct{ error }

// overlayFS serves files from memory by their absolute paths (the plain
// path's narrowed headers); any other file is not there, and guardFS
// opens it from the disk.
type overlayFS map[string][]byte

func (o overlayFS) Open(name string) (fs.File, error) {
	data, ok := o[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{name: name, r: bytes.NewReader(data)}, nil
}

type memFile struct {
	name string
	r    *bytes.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f}, nil }
func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }

type memInfo struct{ f *memFile }

func (i memInfo) Name() string       { return filepath.Base(i.f.name) }
func (i memInfo) Size() int64        { return i.f.r.Size() }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

// pruneDeclarations drops from preprocessed text the declarations that
// declare no type: function prototypes and definitions and extern objects,
// which are most of the C library's headers and none of what the include
// is made of (the front end does not check function bodies, and a call is
// no constant). Kept are the directives (#define, #undef, #pragma: in
// their places), typedefs, struct, union and enum definitions, tag
// declarations (struct X;), static assertions and objects declared
// without attributes.
func pruneDeclarations(text []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(text) / 3)
	start := 0            // where the current declaration starts
	depth := 0            // ( [ { nesting
	hasBody := false      // a { in the current declaration
	function := false     // and that { opened a function's body
	hasDirective := false // a directive within the current declaration
	lineStart := true     // only spaces since the last newline
	end := func(i int, keep bool) {
		switch decl := text[start:i]; {
		case keep:
			out.Write(decl)
			out.WriteByte('\n')
		case hasDirective:
			writeDirectives(&out, decl) // they stay, in order
		}
		start, depth, hasBody, function, hasDirective = i, 0, false, false, false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\n':
			lineStart = true
			continue
		case c == ' ' || c == '\t':
			continue
		case c == '#' && lineStart:
			eol := bytes.IndexByte(text[i:], '\n')
			if eol < 0 {
				eol = len(text) - i
			}
			if len(bytes.TrimSpace(text[start:i])) == 0 {
				// Between declarations: written now.
				out.Write(text[i : i+eol])
				out.WriteByte('\n')
				start = i + eol
			} else {
				hasDirective = true // within one: it goes with it
			}
			i += eol - 1
			continue
		case c == '"' || c == '\'':
			i = skipLiteral(text, i)
		case c == '{' && depth == 0 && !hasBody:
			function = opensFunctionBody(text[start:i])
			hasBody = true
			depth++
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == '}' && depth == 1 && function:
			end(i+1, false) // an inline function's definition: no type
		case c == ')' || c == ']' || c == '}':
			depth--
		case c == ';' && depth == 0:
			end(i+1, keepDeclaration(text[start:i+1], hasBody))
		}
		lineStart = false
	}
	out.Write(text[start:]) // an unfinished declaration: kept as it is
	return out.Bytes()
}

// writeDirectives writes the directive lines of text.
func writeDirectives(out *bytes.Buffer, text []byte) {
	for _, l := range bytes.Split(text, []byte("\n")) {
		if t := bytes.TrimLeft(l, " \t"); len(t) > 0 && t[0] == '#' {
			out.Write(t)
			out.WriteByte('\n')
		}
	}
}

// opensFunctionBody reports whether the { that follows head starts a
// function's body rather than a struct, union or enum: it follows a
// parameter list, after any __attribute__((...)) or __asm__(...).
func opensFunctionBody(head []byte) bool {
	j := len(head)
	for {
		for j > 0 && isSpace(head[j-1]) {
			j--
		}
		if j == 0 || head[j-1] != ')' {
			return false // "struct X {", "enum {", "struct __attribute__((p)) {"
		}
		open := matchingParen(head, j-1)
		if open < 0 {
			return false
		}
		k := open
		for k > 0 && isSpace(head[k-1]) {
			k--
		}
		w := k
		for w > 0 && (isWordByte(head[w-1])) {
			w--
		}
		switch string(head[w:k]) {
		case "__attribute__", "__attribute", "__asm__", "__asm", "asm":
			j = w
			continue
		}
		return true
	}
}

// matchingParen is the index of the ( that the ) at close closes, or -1.
func matchingParen(b []byte, close int) int {
	depth := 0
	for i := close; i >= 0; i-- {
		switch b[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// skipLiteral returns the index of the quote that closes the string or
// character literal opened at text[i].
func skipLiteral(text []byte, i int) int {
	q := text[i]
	for j := i + 1; j < len(text) && text[j] != '\n'; j++ {
		switch text[j] {
		case '\\':
			j++
		case q:
			return j
		}
	}
	return i
}

// keepDeclaration decides for one declaration (its text up to and with
// its ';').
func keepDeclaration(decl []byte, hasBody bool) bool {
	if hasBody {
		return true
	}
	f := strings.Fields(strings.TrimSuffix(string(decl), ";"))
	if len(f) > 0 && f[0] == "__extension__" {
		f = f[1:]
	}
	switch {
	case len(f) == 0:
		return false
	case f[0] == "typedef" || f[0] == "_Static_assert":
		return true
	case len(f) == 2 && (f[0] == "struct" || f[0] == "union" || f[0] == "enum"):
		return true
	case !bytes.ContainsRune(decl, '('):
		// An object (extern FILE *stdin;): a macro's value could
		// take its size.
		return true
	}
	return false
}

// unevaluated puts an #undef before each #define in a site's text of a
// macro that only the system headers define. The front end evaluates
// every macro defined once (Config.EvalAllMacros), some 2,500 of them the
// system headers', whose values the include never uses; one that was
// ever #undef'd counts as defined more than once, and is expanded as
// before but not evaluated. A macro the Python headers (or the unit's
// source, or the compiler) also define keeps its evaluation: the #undef
// would make theirs count as redefined too.
func unevaluated(text []byte, outside map[string]bool) ([]byte, []string) {
	var out bytes.Buffer
	var undefs []string
	out.Grow(len(text) + len(text)/4)
	for len(text) > 0 {
		var line []byte
		line, text, _ = bytes.Cut(text, []byte("\n"))
		if verb, name, ok := directive(line); ok && verb == "define" && !outside[name] {
			out.WriteString("#undef ")
			out.WriteString(name)
			out.WriteByte('\n')
			undefs = append(undefs, name)
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes(), undefs
}

// directive parses "#define NAME..." or "#undef NAME", as cc -E -dD
// writes them.
func directive(line []byte) (verb, name string, ok bool) {
	var r []byte
	switch {
	case bytes.HasPrefix(line, []byte("#define ")):
		verb, r = "define", line[len("#define "):]
	case bytes.HasPrefix(line, []byte("#undef ")):
		verb, r = "undef", line[len("#undef "):]
	default:
		return "", "", false
	}
	j := 0
	for j < len(r) && isWordByte(r[j]) {
		j++
	}
	if j == 0 {
		return "", "", false
	}
	return verb, string(r[:j]), true
}
