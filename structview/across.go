package structview

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pyinc/pyinc/layout"
)

// Column is one Python's version of the struct; Struct is nil where that
// Python does not have it.
type Column struct {
	Title  string // "3.12"
	Struct *layout.Struct
}

// Table is a struct across Pythons: a row per member, a cell per Python.
type Table struct {
	Titles []string
	Sizes  []string // struct size per Python, "" where absent
	Rows   []TableRow
}

// TableRow is one member's offset in each Python: "" where absent; for a
// bitfield, the offset of its storage unit and its first bit, "32:7".
type TableRow struct {
	Path  string
	Cells []string
}

// Across lays cols side by side, oldest first, without the columns of
// Pythons that lack the struct (they would be all blank). Rows follow the
// last column's order; a member it lacks comes after the member before it
// in the newest column that has it.
func Across(all []Column) Table {
	var cols []Column
	for _, c := range all {
		if c.Struct != nil {
			cols = append(cols, c)
		}
	}
	t := Table{Sizes: make([]string, len(cols))}
	cells := map[string][]string{}
	var order []string
	for _, c := range cols {
		t.Titles = append(t.Titles, c.Title)
	}
	for i := len(cols) - 1; i >= 0; i-- {
		c := cols[i]
		t.Sizes[i] = fmt.Sprint(c.Struct.Size)
		prev := -1
		for _, r := range Rows(c.Struct) {
			if r.Path == "" {
				continue
			}
			at := slices.Index(order, r.Path)
			if at < 0 {
				// After the member before it, and after the newer members
				// this column lacks that follow that one.
				at = prev + 1
				for at < len(order) && !inColumn(c.Struct, order[at]) {
					at++
				}
				order = slices.Insert(order, at, r.Path)
				cells[r.Path] = make([]string, len(cols))
			}
			prev = at
			cells[r.Path][i] = cell(r)
		}
	}
	for _, p := range order {
		t.Rows = append(t.Rows, TableRow{p, cells[p]})
	}
	return t
}

// inColumn says whether s has a member path.
func inColumn(s *layout.Struct, path string) bool {
	for _, r := range Rows(s) {
		if r.Path == path {
			return true
		}
	}
	return false
}

func cell(r Row) string {
	if r.Kind == Bitfield {
		return fmt.Sprintf("%d:%d", r.Offset, r.Shift)
	}
	return fmt.Sprint(r.Offset)
}

// Write draws the table; the first row is the struct's size.
func (t Table) Write(w io.Writer) {
	width := len("member")
	for _, r := range t.Rows {
		width = max(width, len(r.Path))
	}
	cw := make([]int, len(t.Titles))
	for i, title := range t.Titles {
		cw[i] = max(len(title), len(t.Sizes[i]))
		for _, r := range t.Rows {
			cw[i] = max(cw[i], len(r.Cells[i]))
		}
	}
	line := func(first string, cells []string) {
		var b strings.Builder
		fmt.Fprintf(&b, "%-*s", width, first)
		for i, c := range cells {
			fmt.Fprintf(&b, "  %*s", cw[i], c)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line("member", t.Titles)
	line("size", t.Sizes)
	for _, r := range t.Rows {
		line(r.Path, r.Cells)
	}
}
