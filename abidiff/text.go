package abidiff

import (
	"fmt"
	"io"
)

// WriteText writes the report for a person porting code from r.From to r.To.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "ABI diff: %s -> %s\n", r.From, r.To)
	if len(r.Changes) == 0 {
		fmt.Fprintln(w, "\nNo differences.")
		return
	}
	titles := map[string]string{"struct": "Structs", "constant": "Constants", "extern": "EXTERNs"}
	breaking := true
	for i, c := range r.Changes {
		if i == 0 || c.Breaking != breaking {
			breaking = c.Breaking
			if breaking {
				fmt.Fprintf(w, "\nBreaking changes (existing code may need changing):\n")
			} else {
				fmt.Fprintf(w, "\nOther changes:\n")
			}
		}
		fmt.Fprintf(w, "  %-8s %s: %s\n", c.Section, c.Name, c.Detail)
	}
	fmt.Fprintf(w, "\nSummary:\n")
	for _, sec := range []string{"struct", "constant", "extern"} {
		t := r.Summary[sec]
		fmt.Fprintf(w, "  %-11s %d changed, %d added, %d removed; %d breaking changes\n", titles[sec]+":", t.Changed, t.Added, t.Removed, t.Breaking)
	}
}
