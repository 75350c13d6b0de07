package cparse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/internal/infile"
)

// The host compiler and cc/v4 work at the same time. The compiler's
// preprocessing of the unit takes about a fifth of a parse, and cc/v4
// needs a site's text almost at once (Python.h includes pyconfig.h, which
// includes system headers, on its first lines). So cc/v4 starts when the
// compiler does, and each system #include of a Python header is served as
// a file of its own, "<system N>", which cc/v4 opens when it reaches that
// line and which is ready as soon as the compiler has written that far:
// cc/v4, the slower, follows a few files behind.
//
// Which lines of a Python header are system #includes must then be
// guessed before the compiler has read them: a one-line #include whose
// header is not found where the Python headers are (the including file's
// directory for "name", then the Python include directories, as the
// compiler searches) is taken for one. The guess is checked against the
// compiler's output once it has ended. A site the guess missed, a guessed
// line where the compiler entered no system header, or a macro taken for
// the system headers' alone that a Python header defines further on,
// sends the parse to the sites the whole output shows (exactly what the
// compiler did), and anything unexpected there to the plain path.

// siteFilePrefix starts the name of the file that serves a site's text:
// "<system 12>" in the including header's directory, where #include
// "<system 12>" finds it first. No header of CPython's has such a name.
const siteFilePrefix = "<system "

// systemPass is the host compiler preprocessing the unit (cc -E -dD),
// read while it writes.
type systemPass struct {
	cc     string
	cmd    *exec.Cmd
	stderr bytes.Buffer
	dirs   []string // the Python include directories, for messages

	mu    sync.Mutex
	cond  *sync.Cond
	split *splitter
	ready map[site]siteText // each site whose text is whole
	ended bool              // the output is read and the compiler has exited
	c     *compiled         // the whole output's account, when it holds
	err   error             // why the output cannot be used, once known
}

// siteText is a site's text as it is served: pruned, and with an #undef
// before each #define of a macro that nothing but the system headers
// has defined (undefs: those macros). A guessed line the compiler went
// past without entering a system header (passed) is empty when the
// compiler carried out its #include (the header's guard was defined, or
// it had #pragma once), and is served as written when the compiler did
// not (a group it skipped, direct): the front end decides then, as it
// would without the guess.
type siteText struct {
	text    []byte
	undefs  []string
	passed  bool
	direct  bool
	printed string // the #include as cc -dI wrote it, when not direct
}

// startSystemPass starts the host compiler on src (the unit's own source).
func startSystemPass(cfg *cc.Config, u *Unit, src string) (*systemPass, error) {
	args := append([]string{"-E", "-dD"}, u.Target.CrossCFlags...)
	if isGCC(cfg.Predefined) {
		// Where each token came from through macro expansions is for
		// diagnostics; without it gcc preprocesses the unit a third faster.
		// -dI writes each #include carried out, with its line: one that
		// entered nothing was skipped by its header's guard.
		args = append(args, "-ftrack-macro-expansion=0", "-dI")
	}
	for _, d := range u.IncludeDirs {
		args = append(args, "-I", d)
	}
	for _, d := range u.AfterDirs {
		args = append(args, "-idirafter", d)
	}
	p := &systemPass{cc: cfg.CC, cmd: exec.Command(cfg.CC, append(args, "-x", "c", "-")...), dirs: u.IncludeDirs, ready: map[site]siteText{}}
	p.cond = sync.NewCond(&p.mu)
	p.cmd.Stdin = strings.NewReader(src)
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s -E: %v", cfg.CC, err)
	}
	// The splitter runs under p.mu: site asks it how far it has come.
	p.split = newSplitter(u.IsPythonHeader, func(s site, text []byte) {
		served, undefs := unevaluated(text, p.split.c.outside)
		p.ready[s] = siteText{text: served, undefs: undefs}
	})
	go p.read(out)
	return p, nil
}

// read splits the compiler's output as it comes, publishes each site's
// text when it is whole, and gives the verdict when the compiler exits.
// It reads to the end whatever it finds, so that the compiler never
// blocks on a full pipe.
func (p *systemPass) read(out io.Reader) {
	r := bufio.NewReaderSize(out, 64<<10)
	var splitErr error
	for {
		line, err := readLine(r)
		if splitErr == nil && (len(line) > 0 || err == nil) {
			p.mu.Lock()
			if splitErr = p.split.line(line); splitErr != nil && p.err == nil {
				p.err = splitErr // no one need wait for the end to learn it
			}
			p.mu.Unlock()
			if splitErr != nil || bytes.HasPrefix(line, []byte("# ")) {
				p.cond.Broadcast() // a line marker moves the splitter on
			}
		}
		if err != nil {
			break
		}
	}
	if err := p.cmd.Wait(); err != nil {
		if derr, ok := includeDepthError(p.stderr.String(), p.dirs); ok {
			p.finish(nil, depthError{derr})
			return
		}
		p.finish(nil, fmt.Errorf("%s -E: %v: %s", p.cc, err, firstLine(p.stderr.String())))
		return
	}
	if splitErr != nil {
		p.finish(nil, splitErr)
		return
	}
	p.mu.Lock()
	c, err := p.split.finish()
	p.mu.Unlock()
	p.finish(c, err)
}

// readLine reads a line of any length, without its newline.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte{}, line...)
		for err == bufio.ErrBufferFull {
			line, err = r.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	return bytes.TrimSuffix(line, []byte("\n")), err
}

// finish records the verdict and wakes every waiter.
func (p *systemPass) finish(c *compiled, err error) {
	p.mu.Lock()
	p.ended, p.c, p.err = true, c, err
	p.mu.Unlock()
	p.cond.Broadcast()
}

// wait returns the whole output's account once the compiler has exited.
func (p *systemPass) wait() (*compiled, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for !p.ended {
		p.cond.Wait()
	}
	return p.c, p.err
}

// site waits for s's text: until the compiler has written it, or gone
// past s without entering a system header (direct), or failed.
func (p *systemPass) site(s site) (siteText, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch t, ok := p.ready[s]; {
		case ok:
			return t, nil
		case p.err != nil:
			return siteText{}, p.err
		case p.ended || p.split.passed(s):
			printed, ok := p.split.processed[s]
			return siteText{passed: true, direct: !ok, printed: printed}, nil
		}
		p.cond.Wait()
	}
}

func noSite(s site) error {
	return fmt.Errorf("%s:%d includes no system header in the compiler's output", s.file, s.line)
}

// exactSites are the sites of the whole output c, with their text as the
// whole output has it: what the parse falls back to when the guess and
// the compiler disagree.
func exactSites(c *compiled) (text func(site) (siteText, error), lines func(string, []byte) (map[int]bool, error)) {
	texts := map[site]siteText{}
	byFile := map[string]map[int]bool{}
	for s, t := range c.chunks {
		served, undefs := unevaluated(t, c.outside)
		texts[s] = siteText{text: served, undefs: undefs}
		if byFile[s.file] == nil {
			byFile[s.file] = map[int]bool{}
		}
		byFile[s.file][s.line] = true
	}
	text = func(s site) (siteText, error) {
		if t, ok := texts[s]; ok {
			return t, nil
		}
		return siteText{}, noSite(s)
	}
	lines = func(file string, src []byte) (map[int]bool, error) {
		at := byFile[file]
		phys := bytes.Split(src, []byte("\n"))
		for n := range at {
			switch {
			case n > len(phys):
				return nil, fmt.Errorf("%s is shorter than the compiler saw it", file)
			case !isIncludeLine(phys[n-1]):
				return nil, fmt.Errorf("%s:%d is not the #include the compiler entered", file, n)
			}
		}
		return at, nil
	}
	return text, lines
}

// siteFS serves cc/v4 the Python headers with each system #include turned
// into #include "<system N>", and each <system N> with its site's text.
// Any other file is not there, and guardFS opens it from the disk.
type siteFS struct {
	u       *Unit
	text    func(site) (siteText, error)               // a site's text, waited for if need be
	lines   func(string, []byte) (map[int]bool, error) // a header's system #include lines
	verdict func() error                               // the compiler's verdict; nil when it is in
	// quoteDirs and angleDirs are where #include "name" and <name> are
	// searched ("": the including file's directory).
	quoteDirs, angleDirs []string

	mu      sync.Mutex
	headers map[string]*header // every Python header asked for, by path
	sites   []site             // <system N>'s site is sites[N]
	written [][]byte           // and its line as the header wrote it
	stat    map[string]bool    // isFile of each path the guess looked up
	// includes are the Python headers each header read includes, and
	// unfollowed the headers with an #include the guess cannot follow.
	includes   map[string][]string
	unfollowed map[string]bool
	undefs     map[string]bool // the macros the served sites' text #undef
	passed     map[site]bool   // the sites served empty or as written
	served     siteCounts
}

// siteCounts counts the sites served, by kind: the compiler's text, empty
// (an #include the compiler carried out without entering a file), as
// written (one it did not carry out).
type siteCounts struct {
	text, empty, direct int
}

// header is a Python header as served: its text with the lines turned
// into #include "<system N>". An unreadable one has no text, and guardFS
// says why.
type header struct {
	text  []byte
	lines map[int]bool
	err   error
}

func newSiteFS(cfg *cc.Config, u *Unit) *siteFS {
	return &siteFS{
		u:          u,
		quoteDirs:  cfg.IncludePaths,
		angleDirs:  cfg.SysIncludePaths,
		headers:    map[string]*header{},
		stat:       map[string]bool{},
		includes:   map[string][]string{},
		undefs:     map[string]bool{},
		passed:     map[site]bool{},
		unfollowed: map[string]bool{},
	}
}

// guessingFS serves the sites guessed while pass's compiler writes.
func guessingFS(cfg *cc.Config, u *Unit, pass *systemPass) *siteFS {
	f := newSiteFS(cfg, u)
	f.text, f.lines = pass.site, f.guessLines
	f.verdict = func() error { _, err := pass.wait(); return err }
	return f
}

// exactFS serves the sites of the compiler's whole output c.
func exactFS(cfg *cc.Config, u *Unit, c *compiled) *siteFS {
	f := newSiteFS(cfg, u)
	f.text, f.lines = exactSites(c)
	return f
}

func (f *siteFS) Open(name string) (fs.File, error) {
	if id, ok := f.siteFile(name); ok {
		if isFile(name) {
			// A header of that name would be shadowed: the plain path.
			return nil, fmt.Errorf("%s is a file of its own", name)
		}
		return f.openSite(name, id)
	}
	if !filepath.IsAbs(name) || !f.u.IsPythonHeader(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	h, err := f.header(name)
	if err != nil {
		return nil, err
	}
	if h.text == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{name: name, r: bytes.NewReader(h.text)}, nil
}

// header reads, guesses and rewrites a Python header. cc/v4 opens each
// file once: it keeps what it read.
//
// A header that could include itself, through the headers opened so far
// or an #include the guess cannot follow, waits for the compiler's
// verdict first: one that includes itself without a guard is refused by
// the compiler at depth 200, and cc/v4, which has no bound of its own,
// must not run ahead of that refusal.
func (f *siteFS) header(name string) (*header, error) {
	f.mu.Lock()
	h, ok := f.headers[name]
	f.mu.Unlock()
	if ok {
		return h, h.err
	}
	h = &header{}
	if text, err := infile.Read(name, infile.HeaderLimit); err == nil {
		// Otherwise guardFS opens it, or says why it cannot.
		var lines map[int]bool
		if lines, h.err = f.lines(name, text); h.err == nil {
			h.text, h.lines = onceGuarded(name, f.rewrite(name, text, lines)), lines
		}
	}
	f.mu.Lock()
	f.headers[name] = h
	f.mu.Unlock()
	if h.err == nil && f.verdict != nil && f.mayRecurse(name) {
		h.err = f.verdict()
	}
	return h, h.err
}

// mayRecurse reports whether name reaches itself through the #includes
// of the headers read so far, or has one the guess cannot follow.
func (f *siteFS) mayRecurse(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unfollowed[name] {
		return true
	}
	seen := map[string]bool{}
	todo := append([]string{}, f.includes[name]...)
	for len(todo) > 0 {
		h := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if h == name {
			return true
		}
		if !seen[h] {
			seen[h] = true
			todo = append(todo, f.includes[h]...)
		}
	}
	return false
}

// rewrite turns each of lines into #include "<system N>".
func (f *siteFS) rewrite(name string, text []byte, lines map[int]bool) []byte {
	if len(lines) == 0 {
		return text
	}
	var b bytes.Buffer
	b.Grow(len(text))
	for i, l := range bytes.Split(text, []byte("\n")) {
		if i > 0 {
			b.WriteByte('\n')
		}
		if !lines[i+1] {
			b.Write(l)
			continue
		}
		f.mu.Lock()
		id := len(f.sites)
		f.sites, f.written = append(f.sites, site{name, i + 1}), append(f.written, l)
		f.mu.Unlock()
		fmt.Fprintf(&b, "#include \"%s%d>\"", siteFilePrefix, id)
	}
	return b.Bytes()
}

// siteFile reports whether name is a <system N> of a header in its
// directory, and its N.
func (f *siteFS) siteFile(name string) (int, bool) {
	base := filepath.Base(name)
	num, ok := strings.CutPrefix(base, siteFilePrefix)
	if !ok || !strings.HasSuffix(num, ">") {
		return 0, false
	}
	id, err := strconv.Atoi(strings.TrimSuffix(num, ">"))
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || id < 0 || id >= len(f.sites) || filepath.Dir(f.sites[id].file) != filepath.Dir(name) {
		return 0, false
	}
	return id, true
}

func (f *siteFS) openSite(name string, id int) (fs.File, error) {
	f.mu.Lock()
	s, written := f.sites[id], f.written[id]
	f.mu.Unlock()
	t, err := f.text(s)
	if err != nil {
		return nil, err
	}
	if t.passed && !t.direct && !sameInclude(t.printed, written) {
		t.direct = true // the line counts disagree: the front end decides
	}
	f.mu.Lock()
	for _, n := range t.undefs {
		f.undefs[n] = true
	}
	if t.passed {
		f.passed[s] = true
	}
	switch {
	case t.direct:
		f.served.direct++
	case t.passed:
		f.served.empty++
	default:
		f.served.text++
	}
	f.mu.Unlock()
	var b bytes.Buffer
	if t.direct {
		// From the header's directory, as the line was.
		b.Write(written)
	} else {
		fmt.Fprintf(&b, "#line 1 \"%s\"\n", systemName)
		b.Write(t.text)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	return &memFile{name: name, r: bytes.NewReader(b.Bytes())}, nil
}

// sameInclude reports whether two #include lines name the same header
// the same way.
func sameInclude(a string, b []byte) bool {
	na, qa, oka := includeTarget([]byte(a))
	nb, qb, okb := includeTarget(b)
	return oka && okb && na == nb && qa == qb
}

// guessLines are the lines of a Python header taken for system
// #includes before the compiler has read it: plain #includes that do not
// find a Python header. The Python headers it includes, and whether it
// has an #include the guess cannot follow, are kept for mayRecurse. Its
// error is always nil: it stands where exactSites' lines may fail.
func (f *siteFS) guessLines(file string, text []byte) (map[int]bool, error) {
	lines := map[int]bool{}
	var includes []string
	unfollowed := false
	phys := bytes.Split(text, []byte("\n"))
	for _, d := range includeDirectives(text) {
		name, quoted, ok := includeTarget(phys[d.line-1])
		if !d.plain || !ok {
			unfollowed = true
			continue
		}
		if found, python := f.find(file, name, quoted); python {
			includes = append(includes, found)
		} else {
			lines[d.line] = true
		}
	}
	f.mu.Lock()
	f.includes[file], f.unfollowed[file] = includes, unfollowed
	f.mu.Unlock()
	return lines, nil
}

// find returns the file #include "name" (quoted) or <name> in file finds,
// searching the directories the front end searches, in its order (the
// compiler's: the Python directories, its own, then the -idirafter ones),
// and whether it is a Python header.
func (f *siteFS) find(file, name string, quoted bool) (string, bool) {
	dirs := f.angleDirs
	if quoted {
		dirs = f.quoteDirs
	}
	for _, d := range dirs {
		if d == "" {
			d = filepath.Dir(file) // the including file's directory
		}
		p := filepath.Join(d, name)
		f.mu.Lock()
		is, known := f.stat[p]
		f.mu.Unlock()
		if !known {
			is = isFile(p)
			f.mu.Lock()
			f.stat[p] = is
			f.mu.Unlock()
		}
		if is {
			return p, f.u.IsPythonHeader(p)
		}
	}
	return "", false
}

// includeTarget parses a one-line #include "name" or #include <name>,
// followed by nothing but a comment that ends on the line: replacing such
// a line leaves the lines after it as they were.
func includeTarget(l []byte) (name string, quoted, ok bool) {
	if includeVerb(l) != "include" {
		return "", false, false
	}
	s := bytes.TrimLeft(l, " \t")
	s = bytes.TrimLeft(s[1:], " \t")
	rest := bytes.TrimLeft(s[len("include"):], " \t")
	if len(rest) < 3 || rest[0] != '"' && rest[0] != '<' {
		return "", false, false
	}
	closing := byte('"')
	if rest[0] == '<' {
		closing = '>'
	}
	end := bytes.IndexByte(rest[1:], closing)
	if end <= 0 {
		return "", false, false
	}
	name, after := string(rest[1:1+end]), bytes.TrimSpace(rest[2+end:])
	switch {
	case bytes.HasSuffix(after, []byte(`\`)):
		return "", false, false // continued
	case len(after) == 0, bytes.HasPrefix(after, []byte("//")):
	case bytes.HasPrefix(after, []byte("/*")) && bytes.Index(after, []byte("*/")) == len(after)-2:
	default:
		return "", false, false
	}
	return name, rest[0] == '"', true
}

// consistent checks what the guess served against the whole output c:
// every site of a header cc/v4 opened was a guessed line, a line served
// empty or as written was no site, and no macro the served text #undef
// is defined anywhere but in the system headers.
func (f *siteFS) consistent(c *compiled) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range c.chunks {
		if h, ok := f.headers[s.file]; ok && !h.lines[s.line] || f.passed[s] {
			return fmt.Errorf("%s:%d includes a system header the guess left to the front end", s.file, s.line)
		}
	}
	for n := range f.undefs {
		if c.outside[n] {
			return fmt.Errorf("%s was taken for a system macro, but is defined elsewhere too", n)
		}
	}
	return nil
}

// parseWithSystemPass parses with the system headers' text from pass:
// guessed while the compiler writes, else at the sites its whole output
// shows. A nil AST (with the reason) sends the parse down the plain path;
// a depthError ends it.
func parseWithSystemPass(cfg *cc.Config, srcs []cc.Source, u *Unit, pass *systemPass) (*cc.AST, error) {
	if !useSystemOverlay {
		_, err := pass.wait()
		return nil, err
	}
	guess := guessingFS(cfg, u, pass)
	ast, terr := translateWith(cfg, srcs, u, guess)
	c, err := pass.wait()
	if err != nil {
		return nil, err
	}
	if terr == nil {
		if terr = guess.consistent(c); terr == nil {
			u.systemRead, u.systemStreamed, u.systemServed = c.read, true, guess.served
			return ast, nil
		}
	}
	if ast, err = translateWith(cfg, srcs, u, exactFS(cfg, u, c)); err != nil {
		return nil, err
	}
	u.systemRead = c.read
	return ast, nil
}

// translateWith runs cc/v4 with overlay's files in front of the disk's.
func translateWith(cfg *cc.Config, srcs []cc.Source, u *Unit, overlay fs.FS) (*cc.AST, error) {
	withOverlay := *cfg
	withOverlay.FS, withOverlay.FSOnly = &guardFS{overlay: overlay, python: u.IsPythonHeader}, true
	return cc.Translate(&withOverlay, srcs)
}
