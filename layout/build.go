package layout

import (
	"fmt"
	"sort"
	"strings"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/abi"
	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/target"
)

// Options says what Build checks symbols against.
type Options struct {
	// Exports are the symbols the matching libpython defines; nil when no
	// libpython was found, and then no symbol is left out for it.
	Exports   map[string]bool
	LibPython string // base name, for the output's header
}

// configMacros are the build configuration macros the output reports.
var configMacros = append(append([]string{}, cparse.ConfigMacros...), "Py_LIMITED_API")

// Build turns a parsed unit into the model.
func Build(u *cparse.Unit, opt Options) (*Model, error) {
	if ccInternals != nil {
		return nil, ccInternals
	}
	name := u.Target.ABIName
	if name == "" {
		name = abi.Name
	}
	b := &builder{u: u, m: &Model{Target: name, Platform: u.Target, LibPython: opt.LibPython, ExportsChecked: opt.Exports != nil}, exports: opt.Exports}
	b.m.PyVersion = u.Python.Version
	if m := u.AST.Macros["PY_VERSION"]; m != nil {
		if s, ok := m.Value().(cc.StringValue); ok {
			b.m.PyVersion = strings.TrimRight(string(s), "\x00")
		}
	}
	for _, name := range configMacros {
		m := u.AST.Macros[name]
		if m == nil {
			continue
		}
		switch v := m.Value().(type) {
		case cc.Int64Value:
			if name == "Py_LIMITED_API" {
				b.m.Config = append(b.m.Config, fmt.Sprintf("%s=0x%08x", name, int64(v)))
				continue
			}
		case cc.UInt64Value:
			if name == "Py_LIMITED_API" {
				b.m.Config = append(b.m.Config, fmt.Sprintf("%s=0x%08x", name, uint64(v)))
				continue
			}
		}
		b.m.Config = append(b.m.Config, name)
	}
	b.collect()
	b.structs()
	b.constants()
	b.symbols()
	b.inits()
	b.singletons()
	b.aliases()
	b.refcount()
	b.access()
	return b.m, nil
}

type builder struct {
	u       *cparse.Unit
	m       *Model
	exports map[string]bool

	typedefs []*cc.Declarator // file scope typedefs of Python headers
	tags     []*cc.StructOrUnionSpecifier
	decls    []*cc.Declarator // file scope external declarations of Python headers
	enums    []*cc.Enumerator
	named    map[string]string     // struct key -> emitted name
	current  string                // the struct being laid out, for messages
	layouts  map[string]*aggLayout // struct key -> computed layout
	quals    map[*cc.Declarator]*quals
	defs     map[string][]*cc.FunctionDefinition // funcDefs' index
}

// sourceQuals returns the qualifiers the source wrote for the type d
// declares, nil if d is not a file scope or member declarator.
func (b *builder) sourceQuals(d *cc.Declarator) *quals {
	if d == nil {
		return nil
	}
	if b.quals == nil {
		b.quals = declaredQuals(b.u.AST.TranslationUnit)
	}
	return b.quals[d]
}

func pos(n cc.Node) cparse.Pos {
	p := n.Position()
	return cparse.Pos{File: p.Filename, Line: p.Line, Col: p.Column}
}

func (b *builder) inPython(n cc.Node) bool { return b.u.IsPythonHeader(n.Position().Filename) }

// collect sorts the file scope names of the Python headers by kind.
func (b *builder) collect() {
	for _, nodes := range b.u.AST.Scope.Nodes {
		seenDecl := false
		for _, n := range nodes {
			switch x := n.(type) {
			case *cc.Declarator:
				if seenDecl || !b.inPython(x) {
					continue
				}
				seenDecl = true
				if x.IsTypename() {
					b.typedefs = append(b.typedefs, x)
				} else if x.Linkage() == cc.External && !x.IsStatic() && !x.IsInline() {
					b.decls = append(b.decls, x)
				}
			case *cc.StructOrUnionSpecifier:
				if x.StructDeclarationList != nil && b.inPython(x) {
					b.tags = append(b.tags, x)
				}
			case *cc.Enumerator:
				if b.inPython(x) {
					b.enums = append(b.enums, x)
				}
			}
		}
	}
	// Names first, so that declarations a macro expansion puts at one
	// position keep a fixed order.
	byName := func(ds []*cc.Declarator) {
		sort.Slice(ds, func(i, j int) bool { return ds[i].Name() < ds[j].Name() })
	}
	byName(b.typedefs)
	byName(b.decls)
	sort.Slice(b.tags, func(i, j int) bool { return b.tags[i].Token.SrcStr() < b.tags[j].Token.SrcStr() })
	sort.Slice(b.enums, func(i, j int) bool { return b.enums[i].Token.SrcStr() < b.enums[j].Token.SrcStr() })
	cparse.SortPos(b.u, b.typedefs, func(d *cc.Declarator) cparse.Pos { return pos(d) })
	cparse.SortPos(b.u, b.tags, func(s *cc.StructOrUnionSpecifier) cparse.Pos { return pos(s) })
	cparse.SortPos(b.u, b.decls, func(d *cc.Declarator) cparse.Pos { return pos(d) })
	cparse.SortPos(b.u, b.enums, func(e *cc.Enumerator) cparse.Pos { return pos(e) })
}

// constants gathers integer and string macros and enumerators.
func (b *builder) constants() {
	have := map[string]bool{}
	var out []Constant
	type item struct {
		c Constant
		p cparse.Pos
	}
	var items []item
	suspect := b.suspects()
	for name, m := range b.u.AST.Macros {
		if m.IsFnLike || !b.u.IsPythonHeader(m.Position().Filename) || strings.HasPrefix(name, "__pyinc") {
			continue
		}
		if d := b.dependsOnSuspect(m.ReplacementList(), suspect); d != "" && m.Value() != cc.Unknown {
			b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("macro %s: left out, its value depends on the layout of %s", name, d))
			continue
		}
		c := Constant{Name: name}
		switch v := m.Value().(type) {
		case cc.Int64Value:
			c.Bits, c.Signed = uint64(v), true
		case cc.UInt64Value:
			c.Bits = uint64(v)
		case cc.StringValue:
			c.Kind, c.Str = StringConst, strings.TrimSuffix(string(v), "\x00")
		default:
			continue
		}
		c.Hex = c.Kind == IntConst && b.writtenAsBits(m.ReplacementList(), 0)
		mp := m.Position()
		items = append(items, item{c, cparse.Pos{File: mp.Filename, Line: mp.Line, Col: mp.Column}})
	}
	for _, e := range b.enums {
		c := Constant{Name: e.Token.SrcStr()}
		if e.ConstantExpression != nil {
			if d := b.dependsOnSuspect(cc.NodeTokens(e.ConstantExpression), suspect); d != "" {
				b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("enumerator %s: left out, its value depends on the layout of %s", c.Name, d))
				continue
			}
		}
		switch v := e.Value().(type) {
		case cc.Int64Value:
			c.Bits, c.Signed = uint64(v), true
		case cc.UInt64Value:
			c.Bits = uint64(v)
		default:
			b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("enumerator %s: value unknown", c.Name))
			continue
		}
		if e.ConstantExpression != nil {
			c.Hex = b.writtenAsBits(cc.NodeTokens(e.ConstantExpression), 0)
		}
		items = append(items, item{c, pos(e)})
	}
	// Enumerators that one macro expansion declares share a position:
	// order those by value, then name.
	sort.Slice(items, func(i, j int) bool {
		if items[i].c.Bits != items[j].c.Bits {
			return items[i].c.Bits < items[j].c.Bits
		}
		return items[i].c.Name < items[j].c.Name
	})
	cparse.SortPos(b.u, items, func(i item) cparse.Pos { return i.p })
	for _, it := range items {
		if have[it.c.Name] {
			continue
		}
		have[it.c.Name] = true
		out = append(out, it.c)
	}
	b.m.Constants = out
}

// aggregate returns the struct or union t is, if it is one.
func aggregate(t cc.Type) (fields []*cc.Field, union bool, ok bool) {
	switch x := t.(type) {
	case *cc.StructType:
		for i := 0; i < x.NumFields(); i++ {
			fields = append(fields, x.FieldByIndex(i))
		}
		return fields, false, true
	case *cc.UnionType:
		for i := 0; i < x.NumFields(); i++ {
			fields = append(fields, x.FieldByIndex(i))
		}
		return fields, true, true
	}
	return nil, false, false
}

// structKey identifies a struct definition however often its type was
// cloned: the position of its first named member, found depth first, with
// the index path to it, so that an anonymous member whose first member is
// the same declarator gets a key of its own.
func structKey(t cc.Type) string {
	k, _ := keyFrom(t, "")
	return k
}

// keyFrom returns the key and the position of the member it names.
func keyFrom(t cc.Type, path string) (string, cparse.Pos) {
	fields, _, ok := aggregate(t)
	if !ok {
		return "", cparse.Pos{}
	}
	for i, f := range fields {
		if d := f.Declarator(); d != nil && f.Name() != "" {
			p := d.Position()
			return fmt.Sprintf("%s:%d:%d|%s%d", p.Filename, p.Line, p.Column, path, i),
				cparse.Pos{File: p.Filename, Line: p.Line, Col: p.Column}
		}
		if k, p := keyFrom(f.Type(), fmt.Sprintf("%s%d.", path, i)); k != "" {
			return k, p
		}
	}
	return "", cparse.Pos{}
}

// structs names every complete struct and union of the Python headers by
// its first typedef, else its tag, and lays each out.
func (b *builder) structs() {
	type def struct {
		name, cname string
		t           cc.Type
		key         string
		p           cparse.Pos
	}
	var defs []def
	byKey := map[string]int{}
	add := func(name, cname string, t cc.Type) {
		if t.IsIncomplete() || t.Size() < 0 {
			return
		}
		k, p := keyFrom(t, "")
		if k == "" {
			return
		}
		if _, ok := byKey[k]; ok {
			return
		}
		byKey[k] = len(defs)
		defs = append(defs, def{name, cname, t, k, p})
	}
	for _, td := range b.typedefs {
		t := td.Type()
		if _, _, ok := aggregate(t); ok {
			add(td.Name(), td.Name(), t)
		}
	}
	for _, s := range b.tags {
		t := s.Type()
		kw := "struct "
		if t.Kind() == cc.Union {
			kw = "union "
		}
		tag := s.Token.SrcStr() // the IDENTIFIER of struct IDENTIFIER { ... }
		if tag == "" {
			continue
		}
		add(tag, kw+tag, t)
	}
	cparse.SortPos(b.u, defs, func(d def) cparse.Pos { return d.p })
	b.named = map[string]string{}
	used := map[string]bool{}
	var keep []def
	for _, d := range defs {
		if used[d.name] {
			b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("%s: a second definition with this name", d.name))
			continue
		}
		used[d.name] = true
		b.named[d.key] = d.name
		keep = append(keep, d)
	}
	for _, d := range keep {
		if s, err := b.layoutStruct(d.name, d.cname, d.t); err != nil {
			b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("%s: %v", d.name, err))
		} else {
			b.m.Structs = append(b.m.Structs, s)
		}
	}
}

// leaf is one member met while walking a struct, before it is placed.
type leaf struct {
	Member
	nested bool // inside a named member of an anonymous aggregate type
	bf     *Bitfield
	bitLo  int64 // bitfield bits [bitLo, bitHi) from the start of the struct
	bitHi  int64
}

func (b *builder) layoutStruct(name, cname string, t cc.Type) (*Struct, error) {
	_, union, _ := aggregate(t)
	l, err := b.aggregateLayout(t)
	if err != nil {
		return nil, err
	}
	s := &Struct{Name: name, CName: cname, Union: union, Size: l.size, Align: l.align}
	b.current = name
	var leaves []leaf
	if err := b.walk(t, 0, "", false, s.Size, &leaves); err != nil {
		return nil, err
	}
	cursor := int64(0)
	var bits []leaf // bitfields not yet covered by a line
	// flush lays out [cursor, end): runs of bytes that bitfields occupy
	// become storage lines naming them, the rest is padding.
	covered := func(i int64) bool {
		for _, l := range bits {
			if l.bitLo/8 <= i && i < (l.bitHi+7)/8 {
				return true
			}
		}
		return false
	}
	flush := func(end int64) {
		for cursor < end {
			c := covered(cursor)
			j := cursor + 1
			for j < end && covered(j) == c {
				j++
			}
			m := Member{Offset: cursor, Size: j - cursor, Padding: !c, Storage: c}
			for _, l := range bits {
				if c && l.Path != "" && l.bitLo/8 < j && (l.bitHi+7)/8 > cursor {
					m.Bits = append(m.Bits, l.Path)
				}
			}
			s.Lines = append(s.Lines, m)
			cursor = j
		}
	}
	for _, l := range leaves {
		switch {
		case l.bf != nil:
			if l.bf.Path != "" {
				s.Bitfields = append(s.Bitfields, *l.bf)
			}
			if !l.nested {
				bits = append(bits, l)
			}
		case l.nested || l.Offset < cursor:
			s.Alts = append(s.Alts, l.Member)
		default:
			flush(l.Offset)
			s.Lines = append(s.Lines, l.Member)
			cursor = l.Offset + l.Size
		}
	}
	flush(s.Size)
	return s, nil
}

// walk lists the members of aggregate t at byte offset base, flattening
// anonymous members; prefix is the dotted path of the enclosing named
// member of an anonymous type, if any.
func (b *builder) walk(t cc.Type, base int64, prefix string, nested bool, outerSize int64, out *[]leaf) error {
	l, err := b.aggregateLayout(t)
	if err != nil {
		return err
	}
	for _, p := range l.fields {
		f := p.f
		ft := f.Type()
		name := f.Name()
		if f.IsBitfield() {
			w := int(p.bits)
			lo := base*8 + p.bitOff
			lf := leaf{nested: nested, bitLo: lo, bitHi: lo + int64(w)}
			lf.bf = &Bitfield{}
			if name != "" {
				bf, ok := bitfieldUnit(lo, w, ft.Size(), outerSize)
				if ok {
					bf.Path, bf.CType, bf.Signed = prefix+name, typeString(ft), cc.IsSignedInteger(ft)
					lf.bf = &bf
					lf.Path = bf.Path
				} else {
					b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("bitfield %s.%s%s (width %d at bit %d): no load of 1, 2, 4 or 8 bytes inside the struct reads it", b.current, prefix, name, w, lo))
				}
			}
			*out = append(*out, lf)
			continue
		}
		off := base + p.bitOff/8
		if name == "" {
			if _, _, ok := aggregate(ft); ok {
				if err := b.walk(ft, off, prefix, nested, outerSize, out); err != nil {
					return err
				}
			}
			continue
		}
		m, err := b.member(prefix+name, ft, off)
		if err != nil {
			return err
		}
		if q := b.sourceQuals(f.Declarator()); q != nil {
			m.CType = declString(ft, "", q) // with the consts cc/v4's type lost
		}
		m.Flexible = f.IsFlexibleArrayMember()
		if m.Flexible {
			m.Size = 0
		}
		*out = append(*out, leaf{Member: m, nested: nested})
		// The members of a named member whose type has no name of its own
		// are reached through its path: S.state.interned.
		if _, _, ok := aggregate(ft); ok && b.named[structKey(ft)] == "" {
			if err := b.walk(ft, off, prefix+name+".", true, outerSize, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// member describes a named, non-bitfield member of type t at off.
func (b *builder) member(path string, t cc.Type, off int64) (Member, error) {
	size, _, err := b.sizeAlign(t)
	if err != nil {
		return Member{}, fmt.Errorf("member %s: %v", path, err)
	}
	m := Member{Path: path, CType: typeString(t), Offset: off, Size: size, Count: 1}
	elem := t
	for {
		a, ok := elem.(*cc.ArrayType)
		if !ok {
			break
		}
		if a.IsVLA() {
			return m, fmt.Errorf("member %s is a variable length array", path)
		}
		if a.Len() >= 0 {
			m.Count *= a.Len()
		} else {
			m.Count = 0
		}
		elem = a.Elem()
	}
	if _, _, ok := aggregate(elem); ok {
		m.Aggregate = b.named[structKey(elem)]
		return m, nil
	}
	if es := elem.Size(); es > 0 {
		m.Elem = es
	}
	return m, nil
}

// bitfieldUnit finds the storage unit to load for a bitfield of width w at
// bit lo: the aligned unit of its declared type when it holds the bits and
// lies inside the struct (always, for a struct that is not packed); else
// the smallest unit of 1, 2, 4 or 8 bytes inside the struct that holds
// them. ok is false when no single load can read the bitfield.
func bitfieldUnit(lo int64, w int, typeSize, structSize int64) (bf Bitfield, ok bool) {
	hi := lo + int64(w)
	fits := func(off, unit int64) bool {
		return off >= 0 && off+unit <= structSize && lo >= off*8 && hi <= (off+unit)*8
	}
	off, unit := (lo/(8*typeSize))*typeSize, typeSize
	// An __int128 bitfield's own unit is no load: a smaller one must do.
	if unit > 8 || !fits(off, unit) {
		ok := false
		for unit = 1; unit <= 8 && !ok; unit *= 2 {
			off = min(lo/8, structSize-unit)
			if ok = fits(off, unit); ok {
				break
			}
		}
		if !ok {
			return Bitfield{}, false
		}
	}
	shift := int(lo - off*8)
	mask := uint64(1)<<uint(w) - 1
	if w >= 64 {
		mask = ^uint64(0)
	}
	return Bitfield{Offset: off, Unit: unit, Shift: shift, Width: w, Mask: mask << uint(shift)}, true
}

// locate says where a function's arguments travel and its result comes
// back, under the target's calling convention.
func (b *builder) locate(ft *cc.FunctionType) ([]abi.Loc, abi.Loc) {
	var params []cc.Type
	for _, p := range ft.Parameters() {
		if p.Type().Kind() != cc.Void {
			params = append(params, p.Type())
		}
	}
	if b.u.Target.Conv == target.MicrosoftX64 {
		types := make([]*abi.Type, len(params))
		for i, p := range params {
			types[i] = b.abiType(p)
		}
		var result *abi.Type
		if r := ft.Result(); r != nil && r.Kind() != cc.Void {
			result = b.abiType(r)
		}
		return abi.LocateMS(types, result)
	}
	classes := make([][]abi.Class, len(params))
	for i, p := range params {
		classes[i] = b.classes(p)
	}
	return abi.Locate(classes, b.classes(ft.Result()))
}

// symbols lists the functions and objects with external linkage, with
// where their arguments and results travel.
func (b *builder) symbols() {
	seen := map[string]bool{}
	for _, d := range b.decls {
		name := d.Name()
		if seen[name] || strings.HasPrefix(name, "__") {
			continue
		}
		seen[name] = true
		t := d.Type()
		s := Symbol{Name: name, Proto: declString(t, name, b.sourceQuals(d))}
		if ft, ok := t.(*cc.FunctionType); ok {
			s.Func = true
			s.Variadic = ft.IsVariadic()
			s.Args, s.Ret = b.locate(ft)
		}
		if b.exports != nil && !b.exports[name] {
			s.NotInLib = true
		}
		b.m.Symbols = append(b.m.Symbols, s)
	}
}

// lookupObject finds the file scope object (not function) with external
// linkage called name.
func (b *builder) lookupObject(name string) *cc.Declarator {
	for _, n := range b.u.AST.Scope.Nodes[name] {
		if d, ok := n.(*cc.Declarator); ok && !d.IsTypename() && d.Linkage() == cc.External && d.Type().Kind() != cc.Function {
			return d
		}
	}
	return nil
}

// declared returns the symbol called name, if the headers declare one.
func (b *builder) declared(name string) *Symbol {
	for i := range b.m.Symbols {
		if b.m.Symbols[i].Name == name {
			return &b.m.Symbols[i]
		}
	}
	return nil
}

func (b *builder) isConstant(name string) bool {
	for _, c := range b.m.Constants {
		if c.Name == name && c.Kind == IntConst {
			return true
		}
	}
	return false
}

// aliases finds the object-like macros that rename a declared symbol, as
// Py_TRACE_REFS does with #define PyModule_Create2 PyModule_Create2TraceRefs.
func (b *builder) aliases() {
	// next maps a macro to the identifier it expands to, when that is all
	// it expands to.
	next := map[string]string{}
	for name, m := range b.u.AST.Macros {
		if m.IsFnLike || !b.u.IsPythonHeader(m.Position().Filename) {
			continue
		}
		if l := m.ReplacementList(); len(l) == 1 && l[0].Ch == rune(cc.IDENTIFIER) {
			next[name] = l[0].SrcStr()
		}
	}
	var out []Alias
	for name, target := range next {
		// Follow chains (PyObject_MALLOC -> PyObject_Malloc -> ...) to the
		// name the C compiler ends up with.
		for i := 0; i < 16; i++ {
			t, ok := next[target]
			if !ok || t == target {
				break
			}
			target = t
		}
		if target != name && b.declared(target) != nil && b.declared(name) == nil {
			out = append(out, Alias{Name: name, Target: target})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	b.m.Aliases = out
}

// singletons finds the data symbol each singleton macro takes the address
// of, from its expansion in the probe.
func (b *builder) singletons() {
	expansions := b.u.Probes().Expansions
	for _, name := range cparse.Singletons {
		toks, ok := expansions[name]
		if !ok {
			continue
		}
		targets := map[string]bool{}
		var funcs, args []string
		for _, tok := range toks {
			if tok.Ch == rune(cc.INTCONST) {
				args = append(args, tok.SrcStr()) // a constant macro, expanded
				continue
			}
			if tok.Ch != rune(cc.IDENTIFIER) {
				continue
			}
			id := tok.SrcStr()
			switch s := b.declared(id); {
			case b.lookupObject(id) != nil:
				targets[id] = true
			case s != nil && s.Func:
				funcs = append(funcs, id)
			case b.isConstant(id):
				args = append(args, id)
			}
		}
		if len(targets) == 0 && len(funcs) == 1 && len(args) == 1 {
			// Py_GetConstantBorrowed(Py_CONSTANT_NONE): the limited API
			// from 3.13 reaches the singletons through a function.
			if s := b.declared(funcs[0]); s.NotInLib {
				b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("%s: %s is not exported by %s", name, funcs[0], b.m.LibPython))
				continue
			}
			b.m.Singletons = append(b.m.Singletons, Alias{Name: name, Func: funcs[0], Arg: args[0]})
			continue
		}
		if len(targets) != 1 {
			b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("%s: its expansion names no single data symbol", name))
			continue
		}
		for tgt := range targets {
			if b.exports != nil && !b.exports[tgt] {
				b.m.Omitted = append(b.m.Omitted, fmt.Sprintf("%s: %s is not exported by %s", name, tgt, b.m.LibPython))
				continue
			}
			b.m.Singletons = append(b.m.Singletons, Alias{Name: name, Target: tgt})
		}
	}
}
