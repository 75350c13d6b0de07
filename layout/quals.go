package layout

import "modernc.org/cc/v4"

// cc/v4's types lose a const between pointer levels (PyObject *const *args
// becomes PyObject **args) and behind the pointers of struct members
// (const char *name becomes char *name). The declarators of the headers
// still hold every qualifier: quals mirrors a declared type's derivation
// with what the source wrote, and the type printer follows it.

// quals is the qualifiers of one level of a declared type. A nil *quals
// means the source is not known there: the printer keeps cc/v4's answer.
type quals struct {
	isConst bool
	elem    *quals   // pointer target, array element, function result
	params  []*quals // function parameters, in order
}

// declQuals derives the qualifiers of the type d declares, given those of
// its specifiers (nil if not known): C's declarators read inside out.
func declQuals(base *quals, d *cc.Declarator) *quals {
	if d == nil {
		return nil
	}
	return directQuals(pointerQuals(base, d.Pointer), d.DirectDeclarator)
}

// pointerQuals applies "* const * ..." to q: the first star in the source
// is the innermost pointer.
func pointerQuals(q *quals, p *cc.Pointer) *quals {
	for ; p != nil; p = p.Pointer {
		q = &quals{isConst: hasConst(p.TypeQualifiers), elem: q}
	}
	return q
}

func directQuals(q *quals, dd *cc.DirectDeclarator) *quals {
	for dd != nil {
		switch dd.Case {
		case cc.DirectDeclaratorIdent:
			return q
		case cc.DirectDeclaratorDecl:
			return declQuals(q, dd.Declarator)
		case cc.DirectDeclaratorFuncParam, cc.DirectDeclaratorFuncIdent:
			q = &quals{elem: q, params: paramQuals(dd.ParameterTypeList)}
		default: // arrays
			q = &quals{elem: q}
		}
		dd = dd.DirectDeclarator
	}
	return q
}

func abstractQuals(q *quals, ad *cc.AbstractDeclarator) *quals {
	if ad == nil {
		return q
	}
	q = pointerQuals(q, ad.Pointer)
	for dad := ad.DirectAbstractDeclarator; dad != nil; dad = dad.DirectAbstractDeclarator {
		switch dad.Case {
		case cc.DirectAbstractDeclaratorDecl:
			return abstractQuals(q, dad.AbstractDeclarator)
		case cc.DirectAbstractDeclaratorFunc:
			q = &quals{elem: q, params: paramQuals(dad.ParameterTypeList)}
		default: // arrays
			q = &quals{elem: q}
		}
	}
	return q
}

func paramQuals(l *cc.ParameterTypeList) []*quals {
	if l == nil {
		return nil
	}
	var out []*quals
	for pl := l.ParameterList; pl != nil; pl = pl.ParameterList {
		pd := pl.ParameterDeclaration
		if pd == nil {
			out = append(out, nil)
			continue
		}
		base := &quals{isConst: specConst(pd.DeclarationSpecifiers)}
		if pd.Declarator != nil {
			out = append(out, declQuals(base, pd.Declarator))
		} else {
			out = append(out, abstractQuals(base, pd.AbstractDeclarator))
		}
	}
	return out
}

func hasConst(l *cc.TypeQualifiers) bool {
	for ; l != nil; l = l.TypeQualifiers {
		if q := l.TypeQualifier; q != nil && q.Case == cc.TypeQualifierConst {
			return true
		}
	}
	return false
}

// specConst reports whether declaration specifiers say const.
func specConst(s *cc.DeclarationSpecifiers) bool {
	for ; s != nil; s = s.DeclarationSpecifiers {
		if q := s.TypeQualifier; q != nil && q.Case == cc.TypeQualifierConst {
			return true
		}
	}
	return false
}

// sqlConst reports whether a struct member's specifiers say const.
func sqlConst(s *cc.SpecifierQualifierList) bool {
	for ; s != nil; s = s.SpecifierQualifierList {
		if q := s.TypeQualifier; q != nil && q.Case == cc.TypeQualifierConst {
			return true
		}
	}
	return false
}

// declaredQuals maps every declarator of the translation unit's file
// scope declarations and struct members to the qualifiers of the type it
// declares.
func declaredQuals(tu *cc.TranslationUnit) map[*cc.Declarator]*quals {
	out := map[*cc.Declarator]*quals{}
	for ; tu != nil; tu = tu.TranslationUnit {
		ed := tu.ExternalDeclaration
		if ed == nil || ed.Declaration == nil {
			continue
		}
		d := ed.Declaration
		base := &quals{isConst: specConst(d.DeclarationSpecifiers)}
		for l := d.InitDeclaratorList; l != nil; l = l.InitDeclaratorList {
			if id := l.InitDeclarator; id != nil && id.Declarator != nil {
				out[id.Declarator] = declQuals(base, id.Declarator)
			}
		}
		for s := d.DeclarationSpecifiers; s != nil; s = s.DeclarationSpecifiers {
			if s.TypeSpecifier != nil {
				memberQuals(s.TypeSpecifier.StructOrUnionSpecifier, out)
			}
		}
	}
	return out
}

// memberQuals adds the members of a struct or union definition, and of
// those defined inside it.
func memberQuals(su *cc.StructOrUnionSpecifier, out map[*cc.Declarator]*quals) {
	if su == nil {
		return
	}
	for l := su.StructDeclarationList; l != nil; l = l.StructDeclarationList {
		sd := l.StructDeclaration
		if sd == nil {
			continue
		}
		base := &quals{isConst: sqlConst(sd.SpecifierQualifierList)}
		for dl := sd.StructDeclaratorList; dl != nil; dl = dl.StructDeclaratorList {
			if x := dl.StructDeclarator; x != nil && x.Declarator != nil {
				out[x.Declarator] = declQuals(base, x.Declarator)
			}
		}
		for s := sd.SpecifierQualifierList; s != nil; s = s.SpecifierQualifierList {
			if s.TypeSpecifier != nil {
				memberQuals(s.TypeSpecifier.StructOrUnionSpecifier, out)
			}
		}
	}
}
