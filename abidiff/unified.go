package abidiff

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Unified is a line diff of a and b in unified format, with context lines
// around each change, cut after limit lines.
func Unified(a, b, nameA, nameB string, context, limit int) string {
	dmp := diffmatchpatch.New()
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	type line struct {
		op   byte
		text string
	}
	var all []line
	for _, d := range diffs {
		op := byte(' ')
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			op = '-'
		case diffmatchpatch.DiffInsert:
			op = '+'
		}
		for _, l := range strings.SplitAfter(d.Text, "\n") {
			if l != "" {
				all = append(all, line{op, strings.TrimSuffix(l, "\n")})
			}
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	written := 0
	for i := 0; i < len(all); {
		if all[i].op == ' ' {
			i++
			continue
		}
		// A hunk: from context lines before this change to context lines
		// after the last change that is within 2*context of the next.
		start := max(i-context, 0)
		end := i
		for end < len(all) {
			if all[end].op != ' ' {
				end++
				continue
			}
			j := end
			for j < len(all) && all[j].op == ' ' && j-end < 2*context {
				j++
			}
			if j < len(all) && all[j].op != ' ' {
				end = j
				continue
			}
			break
		}
		stop := min(end+context, len(all))
		la, lb := 1, 1
		for _, l := range all[:start] {
			if l.op != '+' {
				la++
			}
			if l.op != '-' {
				lb++
			}
		}
		na, nb := 0, 0
		for _, l := range all[start:stop] {
			if l.op != '+' {
				na++
			}
			if l.op != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", la, na, lb, nb)
		for _, l := range all[start:stop] {
			if written == limit {
				out.WriteString("... (diff cut)\n")
				return out.String()
			}
			fmt.Fprintf(&out, "%c%s\n", l.op, l.text)
			written++
		}
		i = stop
	}
	return out.String()
}
