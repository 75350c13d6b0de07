package layout

import (
	"encoding/binary"
	"fmt"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/cparse"
)

// inits evaluates the headers' initializer macros into byte images.
func (b *builder) inits() {
	for _, p := range b.u.Probes().Inits {
		in, err := evalInit(p)
		if err != nil {
			b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("%s: %v", p.Macro, err))
			continue
		}
		b.m.Inits = append(b.m.Inits, in)
	}
}

// evalInit reads the byte image of the initializer the probe evaluated;
// the stand-in values of the macro's parameters give their places.
func evalInit(p cparse.InitProbe) (Init, error) {
	id := p.Decl
	t := id.Declarator.Type()
	if a, ok := t.(*cc.ArrayType); ok {
		t = a.Elem() // probes of macros that carry a trailing comma are arrays of one
	}
	in := Init{Name: p.Macro, CType: typeString(t), Bytes: make([]byte, t.Size())}
	var err error
	var visit func(n *cc.Initializer)
	visit = func(n *cc.Initializer) {
		if err != nil || n == nil {
			return
		}
		if n.Case == cc.InitializerInitList {
			for l := n.InitializerList; l != nil; l = l.InitializerList {
				visit(l.Initializer)
			}
			return
		}
		if n.Offset() >= t.Size() {
			return // a second array element: not part of the macro
		}
		var bits uint64
		switch v := n.Value().(type) {
		case cc.Int64Value:
			bits = uint64(v)
		case cc.UInt64Value:
			bits = uint64(v)
		default:
			err = fmt.Errorf("the initializer at offset %d has no constant value", n.Offset())
			return
		}
		size := n.Type().Size()
		if f := n.Field(); f != nil && f.IsBitfield() {
			lo := n.Offset()*8 + int64(f.OffsetBits())
			for i := int64(0); i < f.ValueBits(); i++ {
				if bits>>uint(i)&1 != 0 {
					bit := lo + i
					in.Bytes[bit/8] |= 1 << uint(bit%8)
				}
			}
			return
		}
		for _, q := range p.Params {
			if bits == q.Value {
				in.Params = append(in.Params, Param{Name: q.Name, Offset: n.Offset(), Size: size})
				bits = 0
			}
		}
		var buf [8]byte
		binary.LittleEndian.PutUint64(buf[:], bits)
		copy(in.Bytes[n.Offset():n.Offset()+size], buf[:size])
	}
	visit(id.Initializer)
	if err != nil {
		return in, err
	}
	for _, q := range p.Params {
		ok := false
		for _, r := range in.Params {
			ok = ok || r.Name == q.Name
		}
		if !ok {
			return in, fmt.Errorf("parameter %s not found in the evaluated initializer", q.Name)
		}
	}
	return in, nil
}
