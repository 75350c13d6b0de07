// Package inccut cuts a generated include down to what a set of assembly
// sources uses, so that nasm reads a few hundred lines instead of several
// thousand (most of the time nasm spends on a small extension is reading
// the include).
//
// The cut is made on the include's text, by the grammar
// docs/include-format.md gives it: each named definition (a %define or
// %assign line, an EXTERN, an equ, a STRUC with its members, a %macro) is a
// block, and a block is kept when a name it defines is used by the sources
// or by a block already kept. Lines that define no name (the guard, the
// section directives) are always kept, in their places; comments go.
//
// "Used" is decided on identifiers, conservatively: an identifier T uses
// every name N that is T or that starts with T followed by '_', '.' or
// '?', because the include's own macros build names that way
// (PY_BF_LOAD rdi, eax, S.f reads S.f_SHIFT through %[%3]_SHIFT), and so
// do the struct conventions (S gives S_size, S.m and S.m?). A source that
// builds names in ways the cut cannot follow (%+, %[...], %{...}, %tok,
// %deftok, a macro parameter glued to other characters, a line continued
// with a backslash, an %include that cannot be found) gets no cut: Uses
// reports false and the caller uses the whole include. So does an include
// whose text this package does not know how to split (Parse: a continued
// line, a case-insensitive definition).
//
// Keeping more than needed costs a little time; keeping less would change
// what nasm assembles. What is kept is in the include's own order, so
// every kept definition sees what it saw in the whole include.
package inccut

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pyinc/pyinc/internal/infile"
	"github.com/pyinc/pyinc/internal/nasmlex"
)

// block is one piece of the include: the names it defines (none for a
// structural line, which is always kept) and its text.
type block struct {
	names []string
	text  string
}

// IncludeName is the file name sources include the generated include by.
const IncludeName = "python.inc"

// Include is a generated include split into blocks, ready to be cut for
// any number of sources.
type Include struct {
	blocks []block
	byName map[string][]int // name -> the blocks that define it
	names  []string         // every defined name, sorted, for prefix lookups
	// always are the identifiers of the structural lines, which every
	// cut keeps: what they use is used (the guard's name).
	always []string
}

// Parse splits text into blocks. ok is false when the text has a construct
// the cut cannot split safely; the whole include must be used then.
func Parse(text string) (inc *Include, ok bool) {
	lines := strings.Split(text, "\n")
	inc = &Include{byName: make(map[string][]int, len(lines))}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasSuffix(l, `\`) {
			return nil, false // a continued line: its end is not where a block ends
		}
		f := fields2(l)
		switch {
		case f[0] == "" || f[0][0] == ';':
			continue
		case caseFolding(f[0]):
			return nil, false // nasm matches these names without regard to case
		case f[0] == "%macro" && f[1] != "":
			end, found := endOf(lines, i, "%endmacro")
			if !found {
				return nil, false
			}
			inc.add([]string{name(f[1])}, lines[i:end+1])
			i = end
		case f[0] == "STRUC" && f[1] != "":
			end, found := endOf(lines, i, "ENDSTRUC")
			if !found {
				return nil, false
			}
			s := name(f[1])
			names := []string{s, s + "_size"}
			for _, m := range lines[i+1 : end] {
				if mf := fields2(m); len(mf[0]) > 2 && mf[0][0] == '.' && strings.HasSuffix(mf[0], ":") {
					names = append(names, s+strings.TrimSuffix(mf[0], ":"))
				}
			}
			inc.add(names, lines[i:end+1])
			i = end
		case f[0] == "EXTERN" && strings.HasPrefix(f[1], "__imp_"):
			// An import slot (Windows): sources name the symbol, and the
			// include's PY_CALL and PY_ADDR paste __imp_ onto it.
			n := name(f[1])
			inc.add([]string{n, strings.TrimPrefix(n, "__imp_")}, lines[i:i+1])
		case (f[0] == "%define" || f[0] == "%xdefine" || f[0] == "%assign" || f[0] == "EXTERN") && f[1] != "":
			inc.add([]string{name(f[1])}, lines[i:i+1])
		case f[1] == "equ":
			inc.add([]string{name(f[0])}, lines[i:i+1])
		default:
			inc.add(nil, lines[i:i+1]) // structural: always kept
		}
	}
	for n := range inc.byName {
		inc.names = append(inc.names, n)
	}
	for _, b := range inc.blocks {
		if b.names == nil {
			inc.always = append(inc.always, identifiers(b.text)...)
		}
	}
	sort.Strings(inc.names)
	return inc, true
}

// fields2 are the first two space-separated fields of line ("" when
// missing).
func fields2(line string) (f [2]string) {
	for k := range f {
		line = strings.TrimLeft(line, " \t")
		end := strings.IndexAny(line, " \t")
		if end < 0 {
			end = len(line)
		}
		f[k], line = line[:end], line[end:]
	}
	return f
}

// caseFolding reports a directive whose name nasm matches without regard
// to case (%idefine, %imacro, ...), which the cut's exact matching would
// get wrong.
func caseFolding(directive string) bool {
	switch directive {
	case "%idefine", "%ixdefine", "%iassign", "%imacro", "%idefalias":
		return true
	}
	return false
}

// name is the identifier at the start of s, without the $ that escapes a
// reserved word: "f(x)" is "f", "$len" is "len".
func name(s string) string {
	s = strings.TrimPrefix(s, "$")
	for i := 0; i < len(s); i++ {
		if !nasmlex.IsIdentChar(s[i]) {
			return s[:i]
		}
	}
	return s
}

// endOf is the index of the first line from start whose text, trimmed of
// spaces and a comment, is word.
func endOf(lines []string, start int, word string) (int, bool) {
	for j := start + 1; j < len(lines); j++ {
		code, _, _ := strings.Cut(lines[j], ";")
		if strings.TrimSpace(code) == word {
			return j, true
		}
	}
	return 0, false
}

// uses are the identifiers of b's text other than the names b defines:
// STRUC S names S, which would otherwise keep every S.m? and bitfield line
// of S whether used or not.
func (b block) uses() []string {
	ids := identifiers(b.text)
	return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(b.names, id) })
}

func (inc *Include) add(names []string, lines []string) {
	for _, n := range names {
		inc.byName[n] = append(inc.byName[n], len(inc.blocks))
	}
	inc.blocks = append(inc.blocks, block{names: names, text: strings.Join(lines, "\n")})
}

// Cut is the include with only the blocks that the identifiers in uses
// need, directly or through other kept blocks, and every structural line.
func (inc *Include) Cut(uses []string) []byte {
	kept := make([]bool, len(inc.blocks))
	queue := append(append([]string{}, uses...), inc.always...)
	seen := map[string]bool{}
	for len(queue) > 0 {
		t := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[t] {
			continue
		}
		seen[t] = true
		for _, n := range inc.namesUsedBy(t) {
			for _, b := range inc.byName[n] {
				if !kept[b] {
					kept[b] = true
					queue = append(queue, inc.blocks[b].uses()...)
				}
			}
		}
	}
	var out strings.Builder
	for i, b := range inc.blocks {
		if kept[i] || b.names == nil {
			out.WriteString(b.text)
			out.WriteByte('\n')
		}
	}
	return []byte(out.String())
}

// namesUsedBy are the defined names identifier t may stand for: t itself
// and the names that extend it after '_', '.' or '?'.
func (inc *Include) namesUsedBy(t string) []string {
	var r []string
	for i := sort.SearchStrings(inc.names, t); i < len(inc.names) && strings.HasPrefix(inc.names[i], t); i++ {
		n := inc.names[i]
		if len(n) == len(t) || strings.ContainsRune("_.?", rune(n[len(t)])) {
			r = append(r, n)
		}
	}
	return r
}

// identifiers are the distinct identifiers of nasm text outside its
// comments and strings, without the $ that escapes a reserved word.
func identifiers(text string) []string {
	seen := map[string]bool{}
	var r []string
	nasmlex.Scan(text, func(id string) {
		if !seen[id] {
			seen[id] = true
			r = append(r, id)
		}
	}, nil)
	return r
}

// hasFoldPrefix is strings.HasPrefix without regard to ASCII case.
func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// continued reports a line that ends in a backslash: nasm joins it with
// the next, and a name split across the two is no identifier the scan
// sees.
func continued(text string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasSuffix(strings.TrimRight(l, " \t\r"), `\`) {
			return true
		}
	}
	return false
}

// dynamic reports whether nasm text (outside comments and strings) builds
// names out of pieces: %+, %[...], %{...}, %tok, %deftok, or a macro
// parameter or name (%1, %-1, %?, %??, %*?) or anything else glued to an
// identifier by a % on either side.
func dynamic(text string) bool {
	found := false
	nasmlex.Scan(text, nil, func(i int) {
		if text[i] != '%' || found {
			return
		}
		rest := text[i+1:]
		if i > 0 && nasmlex.IsIdentChar(text[i-1]) {
			found = true // foo%1, foo%[x], a%b
			return
		}
		switch {
		case rest == "":
		case rest[0] == '+' && (len(rest) == 1 || rest[1] < '0' || rest[1] > '9'):
			found = true // the concatenation operator
		case rest[0] == '[' || rest[0] == '{':
			found = true
		case hasFoldPrefix(rest, "tok") || hasFoldPrefix(rest, "deftok"):
			// nasm's directives and functions ignore case: %DEFTOK too.
			found = true
		default:
			j := 0
			if rest[0] == '-' || rest[0] == '+' {
				j++
			}
			k := j
			for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
				k++
			}
			if k == j { // not a parameter number: %?, %??, %*?
				k = len(rest) - len(strings.TrimLeft(strings.TrimPrefix(rest, "*"), "?"))
				if k == 0 || k == 1 && rest[0] == '*' {
					return
				}
			}
			if k < len(rest) && nasmlex.IsIdentChar(rest[k]) {
				found = true // %1_size, %?_impl
			}
		}
	})
	return found
}

// Uses are the identifiers of the sources and of every file they
// %include, found as nasm finds them when it runs in workDir: in workDir,
// then in each of incDirs (nasm's -I directories, relative to workDir). ok is
// false when a source builds names out of pieces or includes a file that
// cannot be found: the whole include must be used then. The generated
// include (IncludeName) is not read. err is a file they %include or
// incbin that nasm must not be given (see UsesNamed).
func Uses(workDir string, sources, incDirs []string) (ids []string, ok bool, err error) {
	return UsesNamed(workDir, sources, incDirs, IncludeName)
}

// UsesNamed is Uses for sources that %include the generated include as
// includeName ("asm/python.inc"): that file is not read.
//
// err is the first file the sources %include or incbin that is not a
// regular file (nasm would wait on a FIFO for ever and read a device
// without end), or an %include'd one larger than infile.ProjectLimit;
// nasm must not run then. Every line that names one counts, even in a
// group nasm would skip.
func UsesNamed(workDir string, sources, incDirs []string, includeName string) (ids []string, ok bool, err error) {
	dirs := []string{""}
	for _, d := range incDirs {
		// nasm 2.14 and newer end each -I with a separator.
		if !strings.HasSuffix(d, string(filepath.Separator)) {
			d += string(filepath.Separator)
		}
		dirs = append(dirs, d)
	}
	ok = true
	refuse := func(e error) {
		ok = false
		if err == nil {
			err = e
		}
	}
	seen := map[string]bool{}
	var walk func(path string)
	walk = func(path string) {
		if !filepath.IsAbs(path) {
			path = filepath.Join(workDir, path)
		}
		if seen[path] {
			return
		}
		seen[path] = true
		data, rerr := infile.Read(path, infile.ProjectLimit)
		if rerr != nil {
			ok = false
			if infile.IsRefused(rerr) {
				refuse(rerr)
			}
			return
		}
		code := string(data)
		if dynamic(code) || continued(code) {
			ok = false // its %includes are still looked at
		}
		ids = append(ids, identifiers(code)...)
		for _, l := range strings.Split(code, "\n") {
			if name, isInclude := nasmlex.Include(l); isInclude && !IsGenerated(name, includeName) {
				if found := find(workDir, name, dirs); found != "" {
					walk(found)
				} else {
					ok = false
				}
			} else if name, isIncbin := nasmlex.Incbin(l); isIncbin {
				if cerr := checkIncbin(find(workDir, name, dirs)); cerr != nil {
					refuse(cerr)
				}
			}
		}
	}
	for _, s := range sources {
		walk(s)
	}
	if !ok {
		ids = nil
	}
	return ids, ok, err
}

// checkIncbin refuses a file an incbin names that is not a regular file;
// its size is the source's business.
func checkIncbin(path string) error {
	if path == "" {
		return nil // nasm says it cannot find it
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return infile.Check(path, st, math.MaxInt64)
}

// IsGenerated says whether an %include of name reads the generated
// include, which the sources name includeName: that name, or with the
// default name, any python.inc.
func IsGenerated(name, includeName string) bool {
	return name == includeName || includeName == IncludeName && filepath.Base(name) == IncludeName
}

// find is where nasm, run in workDir, finds an %include of name: the
// first of dirs (prefixes, "" for workDir itself) + name that exists.
func find(workDir, name string, dirs []string) string {
	if filepath.IsAbs(name) {
		if exists(name) {
			return name
		}
		return ""
	}
	for _, d := range dirs {
		p := d + name
		if !filepath.IsAbs(p) {
			p = filepath.Join(workDir, p)
		}
		if exists(p) {
			return p
		}
	}
	return ""
}

// exists reports a file nasm would open: anything but a directory (a
// FIFO too, which the caller refuses).
func exists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
