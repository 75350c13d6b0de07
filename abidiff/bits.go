package abidiff

import (
	"fmt"
	"strings"

	"github.com/pyinc/pyinc/emit"
)

// Bitfields are compared at the bit: code that tests a bit of a storage
// unit keeps testing that bit, whatever field the headers now give it.
// Bits are counted from the first byte of the member that holds the
// bitfields (PyASCIIObject.state), or of the struct when they sit in it
// directly, so that a holder that moved does not make every bit differ.

// holder is the member that holds bitfield m (its path before the last
// dot) and that member's offset; "" and 0 for the struct itself.
func holder(s *emit.StructInfo, m emit.MemberInfo) (string, int64) {
	i := strings.LastIndexByte(m.Path, '.')
	if i < 0 {
		return "", 0
	}
	for _, h := range s.Members {
		if h.Path == m.Path[:i] && !h.Bitfield {
			return h.Path, h.Offset
		}
	}
	return "", 0
}

// firstBit is the first bit of bitfield m, counted from its holder.
func firstBit(s *emit.StructInfo, m emit.MemberInfo) int64 {
	_, off := holder(s, m)
	return (m.Offset-off)*8 + int64(m.Shift)
}

// bitPlace says where bitfield m sits: "bit 7 of PyASCIIObject.state".
func bitPlace(s *emit.StructInfo, m emit.MemberInfo) string {
	return bitRange(s, m, firstBit(s, m), m.Width)
}

func bitRange(s *emit.StructInfo, m emit.MemberInfo, first int64, width int) string {
	where := s.Name
	if h, _ := holder(s, m); h != "" {
		where += "." + h
	}
	if width == 1 {
		return fmt.Sprintf("bit %d of %s", first, where)
	}
	return fmt.Sprintf("bits %d-%d of %s", first, first+int64(width)-1, where)
}

// compareBitfield compares one bitfield present on both sides.
func compareBitfield(a, b *emit.StructInfo, m, n emit.MemberInfo, add func(Change)) {
	name := a.Name + "." + m.Path
	fa, fb := firstBit(a, m), firstBit(b, n)
	ha, _ := holder(a, m)
	hb, _ := holder(b, n)
	switch {
	case ha != hb || fa != fb || m.Width != n.Width:
		kind := "moved"
		if m.Width != n.Width {
			kind = "resized"
		}
		add(chg("struct", name, kind, true, fmt.Sprintf("%s -> %s (%s :%d -> %s :%d)",
			bitPlace(a, m), bitPlace(b, n), m.CType, m.Width, n.CType, n.Width)))
	case m.Offset != n.Offset && m.Offset*8+int64(m.Shift) != n.Offset*8+int64(n.Shift):
		// Same bits of a holder that moved: a move like any other.
		c := chg("struct", name, "moved", true, fmt.Sprintf("moved @%d -> @%d (%s)", m.Offset, n.Offset, bitPlace(b, n)))
		c.Delta = n.Offset - m.Offset
		add(c)
	case m.Offset != n.Offset || m.Unit != n.Unit:
		// The same bits, read through another storage unit.
		add(chg("struct", name, "unit", false, fmt.Sprintf("the same bits, read as %d bytes @%d (was %d bytes @%d)", n.Unit, n.Offset, m.Unit, m.Offset)))
	}
}

// bitKey is one bit of a holder.
type bitKey struct {
	holder string
	bit    int64
}

// owners maps every bit of s's bitfields to the bitfield that holds it.
func owners(s *emit.StructInfo) map[bitKey]string {
	out := map[bitKey]string{}
	for _, m := range s.Members {
		if !m.Bitfield {
			continue
		}
		h, _ := holder(s, m)
		first := firstBit(s, m)
		for i := range int64(m.Width) {
			out[bitKey{h, first + i}] = m.Path
		}
	}
	return out
}

// compareBits reports each run of bits that a bitfield of a held and
// another bitfield of b holds now: code testing those bits tests another
// flag without a word from the assembler.
func compareBits(a, b *emit.StructInfo, add func(Change)) {
	now := owners(b)
	for _, m := range a.Members {
		if !m.Bitfield {
			continue
		}
		h, _ := holder(a, m)
		first := firstBit(a, m)
		for i := int64(0); i < int64(m.Width); {
			other := now[bitKey{h, first + i}]
			j := i + 1
			for j < int64(m.Width) && now[bitKey{h, first + j}] == other {
				j++
			}
			if other != "" && other != m.Path {
				c := chg("struct", a.Name+"."+m.Path, "bit-reused", true,
					fmt.Sprintf("%s: was %s, now %s", bitRange(a, m, first+i, int(j-i)), leaf(m.Path), leaf(other)))
				c.Names = []string{a.Name + "." + m.Path, a.Name + "." + other}
				add(c)
			}
			i = j
		}
	}
}

// leaf is the last part of a member path.
func leaf(path string) string {
	return path[strings.LastIndexByte(path, '.')+1:]
}
