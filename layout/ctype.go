package layout

import (
	"fmt"
	"strings"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/abi"
)

// kindNames spells cc's basic kinds as C does.
var kindNames = map[cc.Kind]string{
	cc.Bool: "_Bool", cc.Char: "char", cc.SChar: "signed char", cc.UChar: "unsigned char",
	cc.Short: "short", cc.UShort: "unsigned short", cc.Int: "int", cc.UInt: "unsigned int",
	cc.Long: "long", cc.ULong: "unsigned long", cc.LongLong: "long long",
	cc.ULongLong: "unsigned long long", cc.Int128: "__int128", cc.UInt128: "unsigned __int128",
	cc.Float: "float", cc.Double: "double", cc.LongDouble: "long double", cc.Void: "void",
	cc.ComplexFloat: "float _Complex", cc.ComplexDouble: "double _Complex",
	cc.ComplexLongDouble: "long double _Complex", cc.Float128: "_Float128",
}

// typeString spells t as a C type name, using typedef names where the
// headers do.
func typeString(t cc.Type) string { return declString(t, "", nil) }

// declString spells a declaration of name with type t ("int x[4]",
// "PyObject *(*f)(PyObject *)"), with the qualifiers q the source wrote
// (nil: as cc/v4 has them).
func declString(t cc.Type, name string, q *quals) string {
	spec, decl := declParts(t, name, true, q)
	decl = strings.TrimRight(decl, " ")
	if decl == "" {
		return spec
	}
	return spec + " " + decl
}

// declParts splits a declaration into its specifier and declarator, the
// way C nests them: the declarator wraps the name inside out.
func declParts(t cc.Type, inner string, top bool, q *quals) (spec, decl string) {
	cq := constWord(t, q)
	// A declaration's own function type is spelled out; any other type
	// that has a typedef name is called by it.
	if td := t.Typedef(); td != nil && !(top && t.Kind() == cc.Function) {
		return cq + td.Name(), inner
	}
	var elem *quals
	if q != nil {
		elem = q.elem
	}
	switch x := t.(type) {
	case *cc.PointerType:
		d := "*" + cq + inner // the pointer's own: "int *const p"
		if inner == "" {
			d = strings.TrimRight(d, " ") // "(*const)(void)"
		}
		switch x.Elem().(type) {
		case *cc.ArrayType, *cc.FunctionType:
			if x.Elem().Typedef() == nil {
				d = "(" + d + ")"
			}
		}
		return declParts(x.Elem(), d, false, elem)
	case *cc.ArrayType:
		n := ""
		if !x.IsIncomplete() && x.Len() >= 0 {
			n = fmt.Sprint(x.Len())
		}
		return declParts(x.Elem(), inner+"["+n+"]", false, elem)
	case *cc.FunctionType:
		var ps []string
		params := x.Parameters()
		for i, p := range params {
			var pq *quals
			if q != nil && len(q.params) == len(params) {
				pq = q.params[i]
			}
			ps = append(ps, declString(p.Type(), p.Name(), pq))
		}
		if x.IsVariadic() {
			ps = append(ps, "...")
		}
		if len(ps) == 0 {
			ps = []string{"void"}
		}
		return declParts(x.Result(), inner+"("+strings.Join(ps, ", ")+")", false, elem)
	case *cc.StructType:
		return cq + "struct " + tagName(x.Tag()), inner
	case *cc.UnionType:
		return cq + "union " + tagName(x.Tag()), inner
	case *cc.EnumType:
		return cq + "enum " + tagName(x.Tag()), inner
	}
	if s, ok := kindNames[t.Kind()]; ok {
		return cq + s, inner
	}
	return cq + t.String(), inner
}

// constWord is "const " when the source (q), else cc/v4, says t is const.
func constWord(t cc.Type, q *quals) string {
	if q != nil {
		if q.isConst {
			return "const "
		}
		return ""
	}
	return qual(t)
}

func tagName(t cc.Token) string {
	tag := t.SrcStr()
	if tag == "" {
		return "{...}"
	}
	return tag
}

func qual(t cc.Type) string {
	if a := t.Attributes(); a != nil && a.IsConst() {
		return "const "
	}
	return ""
}

// classes gives the System V classes of a value of type t, from pyinc's
// own layout of it (cc/v4's offsets are wrong for packed structs).
func (b *builder) classes(t cc.Type) []abi.Class {
	if t == nil || t.Kind() == cc.Void {
		return nil
	}
	return abi.Classify(b.abiType(t))
}

// isFlexible reports whether f is a flexible array member, "[]": the
// classifier ignores it, while a GNU zero-length array "[0]" is classified
// (at a misaligned offset, it sends the struct to memory).
func isFlexible(f *cc.Field) bool {
	a, ok := f.Type().(*cc.ArrayType)
	return ok && f.IsFlexibleArrayMember() && a.Len() < 0
}

// scalarKinds says how the classifier sees each scalar kind of cc/v4.
var scalarKinds = map[cc.Kind]abi.Kind{
	cc.Bool: abi.Int, cc.Char: abi.Int, cc.SChar: abi.Int, cc.UChar: abi.Int,
	cc.Short: abi.Int, cc.UShort: abi.Int, cc.Int: abi.Int, cc.UInt: abi.Int,
	cc.Long: abi.Int, cc.ULong: abi.Int, cc.LongLong: abi.Int, cc.ULongLong: abi.Int,
	cc.Int128: abi.Int, cc.UInt128: abi.Int, cc.Enum: abi.Int, cc.Ptr: abi.Int,
	cc.Float: abi.Float, cc.Double: abi.Float, cc.LongDouble: abi.LongDouble,
	cc.Float128: abi.Float128, cc.ComplexFloat: abi.Complex, cc.ComplexDouble: abi.Complex,
	cc.ComplexLongDouble: abi.ComplexLongDouble,
}

// abiType describes t to the classifier. A type pyinc cannot lay out or
// does not know becomes abi.Invalid, which the comment reports.
func (b *builder) abiType(t cc.Type) *abi.Type {
	switch x := t.(type) {
	case *cc.StructType, *cc.UnionType:
		l, err := b.aggregateLayout(t)
		if err != nil {
			return &abi.Type{Kind: abi.Invalid}
		}
		at := &abi.Type{Kind: abi.Struct, Size: l.size}
		if _, union, _ := aggregate(t); union {
			at.Kind = abi.Union
		}
		for _, p := range l.all {
			f := abi.Field{BitOffset: p.bitOff, Flexible: isFlexible(p.f)}
			if p.f.IsBitfield() {
				f.Bitfield, f.Width = true, p.bits
				f.Padding = p.f.Name() == ""
				f.Ordinary = p.ordinary
			} else {
				f.Type = b.abiType(p.f.Type())
			}
			at.Fields = append(at.Fields, f)
		}
		return at
	case *cc.ArrayType:
		size, _, err := b.sizeAlign(t)
		if err != nil {
			return &abi.Type{Kind: abi.Invalid}
		}
		return &abi.Type{Kind: abi.Array, Size: size, Elem: b.abiType(x.Elem())}
	}
	k, ok := scalarKinds[t.Kind()]
	if !ok || t.IsIncomplete() || t.Size() <= 0 {
		return &abi.Type{Kind: abi.Invalid}
	}
	return &abi.Type{Kind: k, Size: t.Size()}
}
