package abidiff

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/inccut"
	"github.com/pyinc/pyinc/internal/infile"
	"github.com/pyinc/pyinc/internal/nasmlex"
	"github.com/pyinc/pyinc/internal/outfile"
)

// Site is one place a name is used.
type Site struct {
	File string `json:"file"`
	Line int    `json:"line"`
	// Conditional: the use is inside an %if block, so the source may
	// assemble it only where the name exists (pyinc does not evaluate
	// the condition).
	Conditional bool `json:"conditional,omitempty"`
}

// Uses maps each identifier of some assembly sources to where it appears.
type Uses map[string][]Site

// Scan collects the identifiers of NASM sources and of the files they
// %include, except pyinc's include: what the sources use of it. An
// %include is looked for beside the file that names it, then in the
// current directory; one that is not found is passed to warn and skipped.
// The include itself is never read, whatever the file of its name holds:
// includeName is the name the sources %include it by (a project's
// include-name; with the default, python.inc, any python.inc), and any
// other file pyinc wrote is skipped too. A source that cannot be read is
// an error.
func Scan(files []string, includeName string, warn func(string)) (Uses, error) {
	sc := scanner{uses: Uses{}, seen: map[string]bool{}, warn: warn, includeName: includeName}
	for _, f := range files {
		text, err := infile.Read(f, infile.ProjectLimit)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %v", f, outfile.Reason(err))
		}
		sc.file(f, string(text))
	}
	for _, sites := range sc.uses {
		sort.Slice(sites, func(i, j int) bool {
			if sites[i].File != sites[j].File {
				return sites[i].File < sites[j].File
			}
			return sites[i].Line < sites[j].Line
		})
	}
	return sc.uses, nil
}

type scanner struct {
	uses        Uses
	seen        map[string]bool // files already scanned, so that cycles end
	warn        func(string)
	includeName string
}

func (sc *scanner) file(name, text string) {
	if abs, err := filepath.Abs(name); err == nil {
		if sc.seen[abs] {
			return
		}
		sc.seen[abs] = true
	}
	depth := 0 // nesting of %if blocks
	for n, line := range strings.Split(text, "\n") {
		if inc, ok := nasmlex.Include(line); ok {
			sc.include(name, n+1, inc)
			continue
		}
		directive := directiveOf(line)
		if existenceTests[directive] {
			// %ifdef NAME asks whether NAME exists: how code that spans
			// versions avoids using what is not there, not a use.
			if strings.HasPrefix(directive, "%if") {
				depth++
			}
			continue
		}
		site := Site{File: name, Line: n + 1, Conditional: depth > 0}
		switch {
		case strings.HasPrefix(directive, "%if"):
			depth++
		case directive == "%endif" && depth > 0:
			depth--
		}
		for _, id := range nasmlex.Identifiers(line) {
			sites := sc.uses[id]
			if len(sites) == 0 || sites[len(sites)-1] != site {
				sc.uses[id] = append(sites, site)
			}
		}
	}
}

// existenceTests are the conditionals that test whether a name is
// defined, rather than use its value.
var existenceTests = map[string]bool{
	"%ifdef": true, "%ifndef": true, "%elifdef": true, "%elifndef": true,
	"%ifmacro": true, "%ifnmacro": true, "%elifmacro": true, "%elifnmacro": true,
}

// directiveOf is the preprocessor directive a line starts with, "" if none.
func directiveOf(line string) string {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "%") {
		return ""
	}
	end := strings.IndexFunc(t[1:], func(r rune) bool { return !(r >= 'a' && r <= 'z') })
	if end < 0 {
		return t
	}
	return t[:end+1]
}

// include scans the file an %include on line n of from names.
func (sc *scanner) include(from string, n int, inc string) {
	if inccut.IsGenerated(inc, sc.includeName) {
		return
	}
	for _, path := range []string{filepath.Join(filepath.Dir(from), inc), inc} {
		text, err := infile.Read(path, infile.ProjectLimit)
		if err != nil {
			continue
		}
		if !emit.IsInclude(string(text)) {
			sc.file(path, string(text))
		}
		return
	}
	if sc.warn != nil {
		sc.warn(fmt.Sprintf("%s:%d: %%include %q not found beside it or in the current directory: what it uses is not checked", from, n, inc))
	}
}
