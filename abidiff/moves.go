package abidiff

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/pyinc/pyinc/emit"
)

// MoveRun is a run of members, next to each other in the old layout, that
// all moved by the same amount: usually because something before them
// grew or shrank, which one line says better than one line per member.
type MoveRun struct {
	Struct  string   `json:"struct"`
	Members []string `json:"members"` // member paths, in the old layout's order
	Delta   int64    `json:"delta"`
	ToEnd   bool     `json:"to_end"` // no member of the struct follows the run
}

// minRun is the fewest members a run collapses.
const minRun = 3

// String is the run's line in the text report.
func (m MoveRun) String() string {
	span := fmt.Sprintf("from `%s` to `%s`", m.Members[0], m.Members[len(m.Members)-1])
	if m.ToEnd {
		span = fmt.Sprintf("from `%s` on", m.Members[0])
	}
	return fmt.Sprintf("%s: %d members %s moved %+d", m.Struct, len(m.Members), span, m.Delta)
}

// moveRuns finds the runs among changes, the changes of struct a: members
// of a, in offset order, that kept their place relative to each other.
// A member removed in between does not end a run; one that stayed does.
func moveRuns(a *emit.StructInfo, changes []Change) []MoveRun {
	delta := map[string]int64{}
	gone := map[string]bool{}
	for _, c := range changes {
		switch c.Kind {
		case "moved":
			delta[c.Name[len(a.Name)+1:]] = c.Delta
		case "removed":
			gone[c.Name] = true
		}
	}
	if len(delta) < minRun {
		return nil
	}
	order := slices.Clone(a.Members)
	slices.SortStableFunc(order, func(x, y emit.MemberInfo) int { return cmp.Compare(x.Offset, y.Offset) })
	var runs []MoveRun
	var cur *MoveRun
	flush := func(toEnd bool) {
		if cur != nil && len(cur.Members) >= minRun {
			cur.ToEnd = toEnd
			runs = append(runs, *cur)
		}
		cur = nil
	}
	for _, m := range order {
		if gone[a.Name+"."+m.Path] {
			continue
		}
		d, moved := delta[m.Path]
		if cur != nil && (!moved || d != cur.Delta) {
			flush(false)
		}
		if !moved {
			continue
		}
		if cur == nil {
			cur = &MoveRun{Struct: a.Name, Delta: d}
		}
		cur.Members = append(cur.Members, m.Path)
	}
	flush(true)
	return runs
}
