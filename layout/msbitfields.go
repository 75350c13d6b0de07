package layout

import (
	"fmt"

	"modernc.org/cc/v4"
)

// msLayout lays out a struct or union by the Microsoft rules, as gcc's
// -mms-bitfields (the default of x86_64-w64-mingw32-gcc) implements them
// in place_field (gcc/stor-layout.cc), and as MSVC, which builds Windows
// CPython, defines them:
//   - adjacent bitfields share a storage unit only while their declared
//     types have the same size and the next one fits in what is left of
//     the unit; otherwise the rest of the unit is skipped and a new unit
//     of the new type starts, aligned to that type;
//   - a member that is not a bitfield starts after the whole unit;
//   - a zero-width bitfield ends the run it follows, and then aligns the
//     next member to its type if that type's size differs; after a member
//     that is not a bitfield it is ignored;
//   - every bitfield's declared type counts toward the aggregate's
//     alignment, unnamed ones too (a zero-width one only right after a
//     bitfield that is not), unless the member is packed.
//
// The differential fuzzer in crosscheck holds this code to mingw gcc.
func (b *builder) msLayout(t cc.Type) (*aggLayout, error) {
	fields, union, _ := aggregate(t)
	packed := isPacked(t)
	l := &aggLayout{align: 1}
	st := msState{}
	end := int64(0)
	for i, f := range fields {
		ts, ta, err := b.sizeAlign(f.Type())
		if err != nil {
			return nil, fmt.Errorf("member %s: %v", f.Name(), err)
		}
		m := msField{f: f, bitfield: f.IsBitfield(), typeBits: ts * 8, typeAlign: ta, user: requestedAlign(f)}
		if m.bitfield {
			m.width = b.bitWidth(t, f)
		} else {
			m.width = ts * 8
			if f.IsFlexibleArrayMember() {
				m.width, ts = 0, 0
			}
		}
		if union {
			p := b.msUnionMember(l, m, packed)
			l.all = append(l.all, p)
			if !(m.bitfield && m.width == 0) {
				l.fields = append(l.fields, p)
			}
			end = max(end, m.width)
			continue
		}
		l.align = max(l.align, st.alignFor(m, packed))
		pos := st.place(m, packed)
		p := placed{f: f, bitOff: pos}
		if m.bitfield {
			p.bits = m.width
		} else {
			p.size = ts
		}
		l.all = append(l.all, p)
		if !(m.bitfield && m.width == 0) {
			l.fields = append(l.fields, p)
		}
		if m.bitfield && m.width > 0 && i == len(fields)-1 {
			st.pos += st.remaining // the last unit is used up
		}
		end = max(end, st.pos)
	}
	l.align = max(l.align, definitionAlign(t))
	l.size = roundUp((end+7)/8, l.align)
	return l, nil
}

// msField is what the MS rules need of a member.
type msField struct {
	f         *cc.Field
	bitfield  bool
	width     int64 // bits: a bitfield's width, else the type's size
	typeBits  int64 // the declared type's size in bits
	typeAlign int64 // bytes
	user      int64 // _Alignas / aligned(N) on the member, 0 if none
}

// msState is gcc's record layout state for the MS rules: the next free
// bit, the first bitfield of the current run (prev_field), and the bits
// left in the current unit (remaining_in_alignment).
type msState struct {
	pos       int64
	run       *msField
	remaining int64
}

// alignFor is the alignment member m gives the struct
// (update_alignment_for_field), read before m is placed.
func (s *msState) alignFor(m msField, packed bool) int64 {
	switch {
	case !m.bitfield:
		a := m.typeAlign
		if packed {
			a = 1
		}
		return max(a, m.user)
	case m.width > 0:
		if packed {
			return max(1, m.user)
		}
		return max(m.typeAlign, m.user)
	case s.run != nil && s.run.bitfield && s.run.width > 0:
		return max(m.typeAlign, m.user)
	}
	return 1
}

// place gives m its bit offset and moves past it.
func (s *msState) place(m msField, packed bool) int64 {
	prev := s.run
	if s.run != nil {
		if m.bitfield && m.width > 0 && s.run.width > 0 && m.typeBits == s.run.typeBits {
			// In a run of bitfields of one type size.
			if s.remaining < m.width {
				s.pos += s.remaining // out of bits: the next unit
				s.run = &m
				s.remaining = max(0, m.typeBits-m.width)
			} else {
				s.remaining -= m.width
			}
		} else {
			// The end of a run: the rest of its unit is used up.
			if s.run.width > 0 {
				s.pos += s.remaining
			} else {
				prev = nil // a zero-width one is used up itself
			}
			if !m.bitfield || m.width == 0 {
				s.run = nil
			}
		}
	}
	var starts bool
	switch {
	case !m.bitfield:
		starts = true
	case prev != nil:
		starts = m.typeBits != prev.typeBits
	default:
		starts = m.width > 0
	}
	if starts {
		s.remaining = max(0, m.typeBits-m.width)
		a := int64(1)
		if !packed {
			a = m.typeAlign
		}
		s.pos = roundUp(s.pos, a*8)
		s.run = nil
	}
	if m.user > 0 && (s.run == nil) {
		s.pos = roundUp(s.pos, m.user*8)
	}
	at := s.pos
	if s.run == nil && m.bitfield {
		mm := m
		s.run = &mm
	}
	s.pos += m.width
	return at
}

// msUnionMember places a member of a union (always at 0) and returns it;
// it raises the union's alignment as the MS rules do.
func (b *builder) msUnionMember(l *aggLayout, m msField, packed bool) placed {
	switch {
	case m.bitfield && m.width == 0:
	case packed:
		l.align = max(l.align, 1, m.user)
	default:
		l.align = max(l.align, m.typeAlign, m.user)
	}
	p := placed{f: m.f}
	if m.bitfield {
		p.bits = m.width
	} else {
		p.size = m.typeBits / 8
		if m.f.IsFlexibleArrayMember() {
			p.size = 0
		}
	}
	return p
}
