package layout

import (
	"strings"

	"modernc.org/cc/v4"
)

// writtenAsBits reports whether the headers write a value as bits: a
// hexadecimal literal, a shift (<<) or an or (|), in toks or in the
// object-like macros they name (PY_VERSION_HEX is shifts of
// PY_MAJOR_VERSION and others; Py_TPFLAGS_DEFAULT an or of flags). Such
// values are written in hexadecimal, as the headers think of them.
func (b *builder) writtenAsBits(toks []cc.Token, depth int) bool {
	if depth > 8 {
		return false
	}
	for _, t := range toks {
		s := t.SrcStr()
		switch {
		case s == "<<" || s == "|":
			return true
		case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
			return true
		case t.Ch == rune(cc.IDENTIFIER):
			if m := b.u.AST.Macros[s]; m != nil && !m.IsFnLike && b.writtenAsBits(m.ReplacementList(), depth+1) {
				return true
			}
		}
	}
	return false
}
