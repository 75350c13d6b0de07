// Package structview draws one struct of a layout model for a person to
// look at: every member with offset, size and C type, holes and tail
// padding as such, bitfields to the bit, union alternatives and members
// of anonymous aggregates where they sit; and one struct across several
// Pythons, a row per member and a column per Python.
package structview

import (
	"fmt"
	"strings"

	"github.com/pyinc/pyinc/layout"
)

// RowKind says what a row shows.
type RowKind int

const (
	Member   RowKind = iota // a member that owns its bytes
	Alt                     // a member that shares bytes with the row above: a union alternative, a member of an anonymous aggregate
	Bitfield                // a bitfield, inside its storage
	Storage                 // bytes that hold bitfields
	Hole                    // padding between members
	Tail                    // padding at the end
)

// Row is one line of the view.
type Row struct {
	Kind   RowKind
	Path   string // "" for storage and padding
	CType  string
	Offset int64 // bytes; for a bitfield, of its storage unit
	Size   int64 // bytes; for a bitfield, of its storage unit
	Shift  int   // bitfields: first bit in the unit
	Width  int   // bitfields: bits
	Depth  int   // 1 for what sits inside the row above it
}

// Find is the struct of m named name (typedef name, tag, or as C spells
// it), or nil.
func Find(m *layout.Model, name string) *layout.Struct {
	for _, s := range m.Structs {
		if s.Name == name || s.CName == name || s.CName == "struct "+name || s.CName == "union "+name {
			return s
		}
	}
	return nil
}

// Rows lists s in offset order: each line of the layout, then what sits
// inside it (alternatives, bitfields).
func Rows(s *layout.Struct) []Row {
	var rows []Row
	for i, l := range s.Lines {
		r := Row{Kind: Member, Path: l.Path, CType: l.CType, Offset: l.Offset, Size: l.Size}
		switch {
		case l.Storage:
			r.Kind = Storage
		case l.Padding && i == len(s.Lines)-1:
			r.Kind = Tail
		case l.Padding:
			r.Kind = Hole
		}
		rows = append(rows, r)
		end := l.Offset + l.Size
		for _, a := range s.Alts {
			if within(a.Offset, l.Offset, end, l.Size) {
				rows = append(rows, Row{Kind: Alt, Path: a.Path, CType: a.CType, Offset: a.Offset, Size: a.Size, Depth: 1})
			}
		}
		for _, b := range s.Bitfields {
			if within(b.Offset, l.Offset, end, l.Size) {
				rows = append(rows, Row{Kind: Bitfield, Path: b.Path, CType: b.CType, Offset: b.Offset, Size: b.Unit,
					Shift: b.Shift, Width: b.Width, Depth: 1})
			}
		}
	}
	return rows
}

// within says whether off falls in the line [start, end); a line of no
// bytes holds what starts where it does.
func within(off, start, end, size int64) bool {
	if size == 0 {
		return off == start
	}
	return off >= start && off < end
}

// Bits draws a bitfield's storage unit, most significant bit first, a
// group per byte: "........ ........ ........ #.......".
func Bits(r Row) string {
	var b strings.Builder
	for i := int(r.Size)*8 - 1; i >= 0; i-- {
		if i >= r.Shift && i < r.Shift+r.Width {
			b.WriteByte('#')
		} else {
			b.WriteByte('.')
		}
		if i%8 == 0 && i > 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// bitSpan is "bit 7" or "bits 2-4".
func bitSpan(r Row) string {
	if r.Width == 1 {
		return fmt.Sprintf("bit %d", r.Shift)
	}
	return fmt.Sprintf("bits %d-%d", r.Shift, r.Shift+r.Width-1)
}
