package structview

import (
	"fmt"
	"io"
	"strings"

	"github.com/pyinc/pyinc/layout"
)

// Write draws s, from the model of the Python named title.
func Write(w io.Writer, s *layout.Struct, title string) {
	kind := "struct"
	if s.Union {
		kind = "union"
	}
	fmt.Fprintf(w, "%s %s: size %d, align %d (%s)\n\n", kind, s.CName, s.Size, s.Align, title)
	rows := Rows(s)
	width := len("member")
	for _, r := range rows {
		width = max(width, len(name(r)))
	}
	fmt.Fprintf(w, "%6s %5s  %-*s  %s\n", "offset", "size", width, "member", "type")
	for _, r := range rows {
		off, size := fmt.Sprint(r.Offset), fmt.Sprint(r.Size)
		typ := r.CType
		switch r.Kind {
		case Bitfield:
			size = fmt.Sprintf(":%d", r.Width)
			typ = fmt.Sprintf("%s  %-9s %s", Bits(r), bitSpan(r), r.CType)
		case Storage:
			typ = "bitfield storage"
		case Hole:
			typ = "hole (padding)"
		case Tail:
			typ = "tail padding"
		}
		fmt.Fprintf(w, "%6s %5s  %-*s  %s\n", off, size, width, name(r), strings.TrimSpace(typ))
	}
}

// name is how a row names its member: indented when it sits inside the
// row above, "|" marking an alternative.
func name(r Row) string {
	switch r.Kind {
	case Alt:
		return "| " + r.Path
	case Bitfield:
		return "  " + r.Path
	case Storage, Hole, Tail:
		return "-"
	}
	return r.Path
}
