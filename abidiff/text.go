package abidiff

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteText writes the report for a person porting code from r.From to
// r.To. Unless verbose, each run of members that moved by the same amount
// is one line.
func (r *Report) WriteText(w io.Writer, verbose bool) {
	fmt.Fprintf(w, "ABI diff: %s -> %s\n", r.From, r.To)
	if len(r.Changes) == 0 {
		fmt.Fprintln(w, "\nNo differences.")
		return
	}
	lines := r.lines(verbose)
	breaking := true
	for i, l := range lines {
		if i == 0 || l.breaking != breaking {
			breaking = l.breaking
			if breaking {
				fmt.Fprintf(w, "\nBreaking changes (existing code may need changing):\n")
			} else {
				fmt.Fprintf(w, "\nOther changes:\n")
			}
		}
		fmt.Fprintf(w, "  %-8s %s\n", l.section, l.text)
	}
	r.writeSummary(w)
}

func (r *Report) writeSummary(w io.Writer) {
	titles := map[string]string{"struct": "Structs", "constant": "Constants", "extern": "EXTERNs"}
	fmt.Fprintf(w, "\nSummary:\n")
	for _, sec := range []string{"struct", "constant", "extern"} {
		t := r.Summary[sec]
		fmt.Fprintf(w, "  %-11s %d changed, %d added, %d removed; %d breaking changes\n", titles[sec]+":", t.Changed, t.Added, t.Removed, t.Breaking)
	}
}

// line is one line of the text report: a change, or a run of moves in
// place of its first member's change.
type line struct {
	section, text string
	breaking      bool
	changes       []Change // what the line stands for
}

func (r *Report) lines(verbose bool) []line {
	inRun := map[string]int{} // "Struct.member" of a moved member -> index in r.Moves
	if !verbose {
		for i, m := range r.Moves {
			for _, p := range m.Members {
				inRun[m.Struct+"."+p] = i
			}
		}
	}
	var out []line
	at := map[int]int{} // run -> its line
	for _, c := range r.Changes {
		i, ok := inRun[c.Name]
		if !ok || c.Kind != "moved" {
			out = append(out, line{c.Section, c.Name + ": " + c.Detail, c.Breaking, []Change{c}})
			continue
		}
		if j, seen := at[i]; seen {
			out[j].changes = append(out[j].changes, c)
			continue
		}
		at[i] = len(out)
		out = append(out, line{c.Section, r.Moves[i].String(), c.Breaking, []Change{c}})
	}
	return out
}

// WriteJSON writes the report as indented JSON, every change listed; text
// such as "->" is written as it is, not HTML-escaped.
func (r *Report) WriteJSON(w io.Writer) error {
	return writeJSON(w, r)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
