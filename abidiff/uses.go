package abidiff

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/pyinc/pyinc/emit"
)

// UsesReport is the part of a report that concerns the names some code
// uses: what a person porting that code needs.
type UsesReport struct {
	From      string       `json:"from"`
	To        string       `json:"to"`
	Sources   []string     `json:"sources"`
	NamesUsed int          `json:"names_used"` // include names the sources use
	Changes   []UsedChange `json:"changes"`
	// Undefined are names the sources use that TO does not define.
	Undefined []UsedName `json:"undefined"`
	// UndefinedConditional are names TO does not define that the sources
	// use only inside %if blocks: fine where the condition leaves them out
	// for TO, which pyinc cannot tell (it does not evaluate conditions).
	UndefinedConditional []UsedName `json:"undefined_conditional"`
}

// UsedChange is a change to a name the sources use, and where.
type UsedChange struct {
	Change
	Uses []UsedName `json:"uses"`
	// Conditional: every use is inside an %if block, so the code may not
	// assemble it for TO; a breaking change then does not set the exit
	// status, since pyinc cannot tell.
	Conditional bool `json:"conditional,omitempty"`
}

// UsedName is a name and the places it is used.
type UsedName struct {
	Name  string `json:"name"`
	Sites []Site `json:"sites"`
}

// Breaking says whether the code needs changing: a name it uses changed in
// a way that breaks, or is gone.
func (u *UsesReport) Breaking() bool {
	for _, c := range u.Changes {
		if c.Breaking && !c.Conditional {
			return true
		}
	}
	return len(u.Undefined) > 0
}

// onlyConditional says whether every use of a name is inside an %if block.
func onlyConditional(sites []Site) bool {
	for _, s := range sites {
		if !s.Conditional {
			return false
		}
	}
	return len(sites) > 0
}

// bitfieldSuffixes are the names an include defines beside a bitfield's.
var bitfieldSuffixes = []string{"_UNIT", "_SHIFT", "_WIDTH", "_MASK"}

// Used keeps the changes of r to the names in uses that the include of
// from or to defines, with where each is used, and lists the names used
// that to does not define.
func (r *Report) Used(from, to *emit.Include, uses Uses, sources []string) *UsesReport {
	u := &UsesReport{From: r.From, To: r.To, Sources: sources, Changes: []UsedChange{}, Undefined: []UsedName{}, UndefinedConditional: []UsedName{}}
	bySubject := map[string][]string{} // change name -> used names it concerns
	var names []string
	for name := range uses {
		if from.Names[name] || to.Names[name] || isMemberName(name, from) || isMemberName(name, to) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	u.NamesUsed = len(names)
	for _, name := range names {
		for _, s := range subjects(name) {
			bySubject[s] = append(bySubject[s], name)
		}
		switch {
		case to.Names[name]:
		case onlyConditional(uses[name]):
			u.UndefinedConditional = append(u.UndefinedConditional, UsedName{name, uses[name]})
		default:
			u.Undefined = append(u.Undefined, UsedName{name, uses[name]})
		}
	}
	for _, c := range r.Changes {
		var used []UsedName
		seen := map[string]bool{}
		for _, n := range append([]string{c.Name}, c.Names...) {
			for _, name := range bySubject[c.Section+" "+n] {
				if !seen[name] {
					seen[name] = true
					used = append(used, UsedName{name, uses[name]})
				}
			}
		}
		if len(used) > 0 {
			conditional := true
			for _, n := range used {
				conditional = conditional && onlyConditional(n.Sites)
			}
			u.Changes = append(u.Changes, UsedChange{c, used, conditional})
		}
	}
	return u
}

// isMemberName says whether name reads as a member of a struct s defines,
// STRUCT.member, even one that neither side has (a member gone long ago).
func isMemberName(name string, s *emit.Include) bool {
	st, _, ok := strings.Cut(name, ".")
	return ok && s.Names[st+"_size"]
}

// subjects are the changes, as "section name", that can concern a name
// an include defines: the name itself, the struct of NAME_size, the
// bitfield of NAME_MASK.
func subjects(name string) []string {
	out := []string{"struct " + name, "constant " + name, "extern " + name}
	if s, ok := strings.CutSuffix(name, "_size"); ok && !strings.Contains(s, ".") {
		out = append(out, "struct "+s)
	}
	for _, suf := range bitfieldSuffixes {
		if s, ok := strings.CutSuffix(name, suf); ok && strings.Contains(s, ".") {
			out = append(out, "struct "+s)
		}
	}
	return out
}

// WriteText writes the report: each change with where the code uses what
// it concerns, then the names TO lacks.
func (u *UsesReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "ABI diff: %s -> %s\n", u.From, u.To)
	verb := "uses"
	if len(u.Sources) > 1 {
		verb = "use"
	}
	fmt.Fprintf(w, "Only the %d include names that %s %s.\n", u.NamesUsed, strings.Join(u.Sources, ", "), verb)
	if len(u.Changes) == 0 && len(u.Undefined) == 0 && len(u.UndefinedConditional) == 0 {
		fmt.Fprintln(w, "\nNo differences in what they use.")
		return
	}
	groups := []struct {
		title string
		keep  func(UsedChange) bool
	}{
		{"Breaking changes (this code needs changing)", func(c UsedChange) bool { return c.Breaking && !c.Conditional }},
		{"Breaking changes to names used only inside %if blocks (check that the condition leaves them out)", func(c UsedChange) bool { return c.Breaking && c.Conditional }},
		{"Other changes", func(c UsedChange) bool { return !c.Breaking }},
	}
	for _, g := range groups {
		title := "\n" + g.title + ":\n"
		for _, c := range u.Changes {
			if !g.keep(c) {
				continue
			}
			fmt.Fprint(w, title)
			title = ""
			fmt.Fprintf(w, "  %-8s %s: %s\n", c.Section, c.Name, c.Detail)
			for _, n := range c.Uses {
				fmt.Fprintf(w, "           %s used at %s\n", n.Name, sites(n.Sites))
			}
		}
	}
	if len(u.Undefined) > 0 {
		fmt.Fprintf(w, "\nUsed, but not defined by %s:\n", u.To)
		for _, n := range u.Undefined {
			fmt.Fprintf(w, "  %s used at %s\n", n.Name, sites(n.Sites))
		}
	}
	if len(u.UndefinedConditional) > 0 {
		fmt.Fprintf(w, "\nUsed only inside %%if blocks, not defined by %s (check that the condition leaves them out):\n", u.To)
		for _, n := range u.UndefinedConditional {
			fmt.Fprintf(w, "  %s used at %s\n", n.Name, sites(n.Sites))
		}
	}
}

// WriteJSON writes the report as indented JSON.
func (u *UsesReport) WriteJSON(w io.Writer) error { return writeJSON(w, u) }

// sites writes places as "a.asm:3, 9; b.inc:4".
func sites(ss []Site) string {
	var b strings.Builder
	for i, s := range ss {
		switch {
		case i == 0:
			b.WriteString(s.File + ":")
		case s.File != ss[i-1].File:
			b.WriteString("; " + s.File + ":")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(s.Line))
	}
	return b.String()
}
