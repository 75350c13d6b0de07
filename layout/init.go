package layout

import (
	"encoding/binary"
	"fmt"
	"strings"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/cparse"
)

// initProbes are the probe objects cparse declares, and the parameters
// whose stand-in values mark where the macro's arguments go.
var initProbes = []struct {
	macro  string
	params []string
}{
	{"PyModuleDef_HEAD_INIT", nil},
	{"PyObject_HEAD_INIT", []string{"type"}},
	{"PyVarObject_HEAD_INIT", []string{"type", "size"}},
}

var probeValues = map[string]uint64{"type": cparse.ProbeType, "size": cparse.ProbeSize}

// inits evaluates the headers' initializer macros into byte images.
func (b *builder) inits() {
	found := map[string]*cc.InitDeclarator{}
	for tu := b.u.AST.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		d := tu.ExternalDeclaration.Declaration
		if d == nil {
			continue
		}
		for l := d.InitDeclaratorList; l != nil; l = l.InitDeclaratorList {
			if id := l.InitDeclarator; id != nil && strings.HasPrefix(id.Declarator.Name(), "__pyinc_") {
				found[strings.TrimPrefix(id.Declarator.Name(), "__pyinc_")] = id
			}
		}
	}
	for _, p := range initProbes {
		id := found[p.macro]
		if id == nil {
			continue
		}
		in, err := evalInit(p.macro, p.params, id)
		if err != nil {
			b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("%s: %v", p.macro, err))
			continue
		}
		b.m.Inits = append(b.m.Inits, in)
	}
}

func evalInit(name string, params []string, id *cc.InitDeclarator) (Init, error) {
	t := id.Declarator.Type()
	if a, ok := t.(*cc.ArrayType); ok {
		t = a.Elem() // probes of macros that carry a trailing comma are arrays of one
	}
	in := Init{Name: name, CType: typeString(t), Bytes: make([]byte, t.Size())}
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
		for _, p := range params {
			if bits == probeValues[p] {
				in.Params = append(in.Params, Param{Name: p, Offset: n.Offset(), Size: size})
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
	for _, p := range params {
		ok := false
		for _, q := range in.Params {
			ok = ok || q.Name == p
		}
		if !ok {
			return in, fmt.Errorf("parameter %s not found in the evaluated initializer", p)
		}
	}
	return in, nil
}
