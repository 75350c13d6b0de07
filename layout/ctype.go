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
func typeString(t cc.Type) string { return declString(t, "") }

// declString spells a declaration of name with type t ("int x[4]",
// "PyObject *(*f)(PyObject *)").
func declString(t cc.Type, name string) string {
	spec, decl := declParts(t, name, true)
	if decl == "" {
		return spec
	}
	return spec + " " + decl
}

// declParts splits a declaration into its specifier and declarator, the
// way C nests them: the declarator wraps the name inside out.
func declParts(t cc.Type, inner string, top bool) (spec, decl string) {
	// A declaration's own function type is spelled out; any other type
	// that has a typedef name is called by it.
	if td := t.Typedef(); td != nil && !(top && t.Kind() == cc.Function) {
		return qual(t) + td.Name(), inner
	}
	switch x := t.(type) {
	case *cc.PointerType:
		d := "*" + qual(x) + inner // the pointer's own: "int *const p"
		switch x.Elem().(type) {
		case *cc.ArrayType, *cc.FunctionType:
			if x.Elem().Typedef() == nil {
				d = "(" + d + ")"
			}
		}
		return declParts(x.Elem(), d, false)
	case *cc.ArrayType:
		n := ""
		if !x.IsIncomplete() && x.Len() >= 0 {
			n = fmt.Sprint(x.Len())
		}
		return declParts(x.Elem(), inner+"["+n+"]", false)
	case *cc.FunctionType:
		var ps []string
		for _, p := range x.Parameters() {
			ps = append(ps, declString(p.Type(), p.Name()))
		}
		if x.IsVariadic() {
			ps = append(ps, "...")
		}
		if len(ps) == 0 {
			ps = []string{"void"}
		}
		return declParts(x.Result(), inner+"("+strings.Join(ps, ", ")+")", false)
	case *cc.StructType:
		return qual(t) + "struct " + tagName(x.Tag()), inner
	case *cc.UnionType:
		return qual(t) + "union " + tagName(x.Tag()), inner
	case *cc.EnumType:
		return qual(t) + "enum " + tagName(x.Tag()), inner
	}
	if s, ok := kindNames[t.Kind()]; ok {
		return qual(t) + s, inner
	}
	return qual(t) + t.String(), inner
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

// classes gives the System V classes of a value of type t.
func classes(t cc.Type) []abi.Class {
	if t == nil || t.Kind() == cc.Void {
		return nil
	}
	var leaves []abi.Scalar
	scalarLeaves(t, 0, &leaves)
	return abi.Classify(t.Size(), leaves)
}

func scalarLeaves(t cc.Type, off int64, out *[]abi.Scalar) {
	switch x := t.(type) {
	case *cc.StructType:
		for i := 0; i < x.NumFields(); i++ {
			f := x.FieldByIndex(i)
			scalarLeaves(f.Type(), off+f.Offset(), out)
		}
		return
	case *cc.UnionType:
		for i := 0; i < x.NumFields(); i++ {
			f := x.FieldByIndex(i)
			scalarLeaves(f.Type(), off+f.Offset(), out)
		}
		return
	case *cc.ArrayType:
		es := x.Elem().Size()
		for i := int64(0); i < x.Len(); i++ {
			scalarLeaves(x.Elem(), off+i*es, out)
		}
		return
	}
	s := abi.Scalar{Offset: off, Size: t.Size()}
	switch t.Kind() {
	case cc.Float, cc.Double:
		s.Float = true
	case cc.LongDouble:
		s.X87 = true
	case cc.ComplexFloat:
		s.Float = true
	case cc.ComplexDouble:
		*out = append(*out, abi.Scalar{Offset: off, Size: 8, Float: true}, abi.Scalar{Offset: off + 8, Size: 8, Float: true})
		return
	}
	if s.Size <= 0 {
		return
	}
	*out = append(*out, s)
}
