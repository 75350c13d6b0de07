// Package emit writes pyinc's layout model in an assembler's syntax. It
// knows the model and the output formats, nothing of C parsing.
package emit

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pyinc/pyinc/abi"
	"github.com/pyinc/pyinc/layout"
)

// Options are what the output states about its own making.
type Options struct {
	Generator string       // "pyinc 0.1.0"
	Warn      func(string) // told of what is left out for a name collision; may be nil
}

// GuardName is the include guard macro.
const GuardName = "PYINC_PYTHON_INC"

// NASM writes m as a NASM include file.
func NASM(w io.Writer, m *layout.Model, opt Options) error {
	bw := bufio.NewWriter(w)
	e := &nasm{w: bw, m: m, pl: newPlatform(m.Platform), names: names{owner: map[string]string{}, warn: opt.Warn}}
	for _, n := range reservedNames {
		e.names.owner[n] = "defined by pyinc"
	}
	e.header(opt)
	e.config()
	e.constants()
	e.structs()
	e.helpers()
	e.refcount()
	e.bitfieldMacros()
	e.accessors()
	e.symbols()
	e.aliases()
	e.portable()
	e.omitted()
	e.p("\n%%endif ; %s\n", GuardName)
	return bw.Flush()
}

type nasm struct {
	w     *bufio.Writer
	m     *layout.Model
	pl    platform
	names names
}

func (e *nasm) p(format string, args ...any) { fmt.Fprintf(e.w, format, args...) }

func (e *nasm) section(title string) {
	e.p("\n; %s\n; %s\n", title, strings.Repeat("-", len(title)))
}

func (e *nasm) header(opt Options) {
	m := e.m
	cfg := "release build, full API"
	if len(m.Config) > 0 {
		cfg = strings.Join(m.Config, " ")
	}
	lib := "not checked: no libpython was found"
	if m.ExportsChecked {
		lib = "checked against the exports of " + m.LibPython
	}
	e.p(headerFormat, m.PyVersion, opt.Generator)
	e.p("; Build configuration: %s\n", cfg)
	e.p("; Target ABI: %s\n", m.Target)
	e.p("; Symbols: %s\n", lib)
	e.p(";\n; Every size, offset and value below is what a C compiler computes from the same headers.\n")
	e.p("; The format is specified in docs/include-format.md of pyinc's repository.\n")
	e.p(`;
; Structs: S.m is the offset of member m of struct S and S_size the size of S. S.m? is defined
; for every member and bitfield, so that "%%ifdef PyASCIIObject.wstr?" asks whether the struct
; has one (members are labels, which %%ifdef cannot see).
; Bitfields: S.f is the offset of the storage unit that holds f; S.f_UNIT the unit's size in
; bytes (1, 2, 4 or 8: load exactly that many); S.f_SHIFT the bit of the unit where f starts;
; S.f_WIDTH its number of bits; S.f_MASK its bits within the unit, in place (not shifted down);
; S.f_SIGNED is defined for a signed bitfield. To read f: load the unit, and it with S.f_MASK,
; shift it right by S.f_SHIFT (and sign-extend from bit S.f_WIDTH-1 if S.f_SIGNED). For example:
`)
	e.bitfieldExample()
	e.p(`; or PY_BF_LOAD, which does it in two shifts. An 8-byte unit's mask can exceed the 32-bit
; immediate of and/test: put it in a register first, or use PY_BF_LOAD and PY_BF_TEST.
`)
	e.p("\n%%ifndef %[1]s\n%%define %[1]s\n", GuardName)
	e.p("%s\n%%define NULL 0\n", e.pl.prelude())
}

// bitfieldExample shows how to read a bitfield of this include (one with
// both a shift and a mask, if there is one), else of a made-up struct S.
func (e *nasm) bitfieldExample() {
	var ex *layout.Bitfield
	owner := ""
	for _, s := range e.m.Structs {
		for i, b := range s.Bitfields {
			if ex == nil || (ex.Shift == 0 || ex.Width == 1) && b.Shift > 0 && b.Width > 1 {
				ex, owner = &s.Bitfields[i], s.Name
			}
		}
	}
	name, unit, shift := "S.f", int64(4), "3"
	if ex != nil {
		name, unit, shift = Name(owner)+"."+ex.Path, ex.Unit, strconv.Itoa(ex.Shift)
	}
	load := map[int64]string{1: "movzx eax, byte", 2: "movzx eax, word", 4: "mov eax, dword", 8: "mov rax, qword"}[unit]
	reg := "eax"
	if unit == 8 {
		reg = "rax"
	}
	e.p(";   %-44s ; the %d-byte unit (%s_UNIT is %d)\n", fmt.Sprintf("%s [rdi + %s]", load, name), unit, name, unit)
	if unit == 8 {
		e.p(";   %-44s ; an 8-byte mask needs a register\n", "mov r11, "+name+"_MASK")
		e.p(";   %-44s ; its bits, in place\n", "and rax, r11")
	} else {
		e.p(";   %-44s ; its bits, in place\n", "and eax, "+name+"_MASK")
	}
	e.p(";   %-44s ; %s = the field (%s_SHIFT is %s)\n", "shr "+reg+", "+name+"_SHIFT", reg, name, shift)
}

// config defines the configuration macros in effect that the headers'
// own constants do not (those set with --define, --limited-api), so that
// code can test them: %ifdef Py_LIMITED_API.
func (e *nasm) config() {
	have := map[string]bool{}
	for _, c := range e.m.Constants {
		have[c.Name] = true
	}
	for _, c := range e.m.Config {
		name, val, ok := strings.Cut(c, "=")
		if !ok {
			val = "1"
		}
		if !have[name] && e.claim("configuration macro "+name, Name(name)) {
			e.p("%%define %s %s ; build configuration\n", Name(name), val)
		}
	}
}

func (e *nasm) constants() {
	e.section("Constants: integer and string macros and enumerators of the headers")
	for _, c := range e.m.Constants {
		name := Name(c.Name)
		if !e.claim("constant "+c.Name, name) {
			continue
		}
		switch c.Kind {
		case layout.StringConst:
			e.p("%%define %s %s\n", name, quote(c.Str))
		default:
			e.p("%%define %s %s\n", name, constLiteral(c))
		}
	}
}

// constLiteral spells an integer constant: in hexadecimal, in whole
// bytes, where the headers write it as bits and it is not negative; else
// as intLiteral.
func constLiteral(c layout.Constant) string {
	if c.Hex && !(c.Signed && int64(c.Bits) < 0) {
		h := fmt.Sprintf("%X", c.Bits)
		if len(h)%2 == 1 {
			h = "0" + h // whole bytes, as the headers write PY_VERSION_HEX: 0x030C01F0
		}
		return "0x" + h
	}
	return intLiteral(c.Bits, c.Signed)
}

// intLiteral spells a 64-bit value for NASM: negative numbers in
// parentheses so that they survive textual substitution.
func intLiteral(bits uint64, signed bool) string {
	if signed && int64(bits) < 0 {
		return "(" + strconv.FormatInt(int64(bits), 10) + ")"
	}
	if bits > 1<<63-1 {
		return fmt.Sprintf("0x%X", bits)
	}
	return strconv.FormatUint(bits, 10)
}

// quote writes s as a NASM string: double quotes when that is enough,
// else backquotes, which take C-style escapes.
func quote(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' {
			plain = false
		}
	}
	if plain {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('`')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '`' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteByte('`')
	return b.String()
}

var resByElem = map[int64]string{1: "resb", 2: "resw", 4: "resd", 8: "resq", 10: "rest", 16: "reso", 32: "resy", 64: "resz"}

func (e *nasm) structs() {
	e.section("Structs and unions")
	for _, s := range e.m.Structs {
		e.strct(s)
	}
}

func (e *nasm) strct(s *layout.Struct) {
	name := Name(s.Name)
	kind := "struct"
	if s.Union {
		kind = "union"
	}
	title := kind + " " + s.CName
	if strings.HasPrefix(s.CName, kind+" ") {
		title = s.CName + " (no typedef)" // a tag: "struct _frame"
	}
	e.p(structHeadFormat, title, s.Size, s.Align)
	if !e.claim(kind+" "+s.CName, name, name+"_size") {
		return
	}
	type row struct{ label, data, comment string }
	var rows []row
	var has []string // the paths this include names: each gets a S.path? macro
	for _, l := range s.Lines {
		r := row{}
		switch {
		case l.Padding:
			r.data, r.comment = fmt.Sprintf("resb %d", l.Size), "padding"
		case l.Storage && len(l.Bits) == 0:
			r.data, r.comment = fmt.Sprintf("resb %d", l.Size), "unnamed bitfields"
		case l.Storage:
			r.data, r.comment = fmt.Sprintf("resb %d", l.Size), "bitfields: "+strings.Join(l.Bits, ", ")
		case !e.claim("member "+s.Name+"."+l.Path, name+"."+l.Path):
			r.data, r.comment = fmt.Sprintf("resb %d", l.Size), "member "+l.Path+" left out: its name collides"
		default:
			has = append(has, l.Path)
			r.label = "." + l.Path + ":"
			r.data = resDirective(l)
			what := l.CType
			if l.Flexible {
				what += " (flexible array)"
			}
			r.comment = fmt.Sprintf(memberFormat, what, l.Offset)
		}
		rows = append(rows, r)
	}
	lw, dw := 0, 0
	for _, r := range rows {
		lw, dw = max(lw, len(r.label)), max(dw, len(r.data))
	}
	e.p(strucFormat, name)
	for _, r := range rows {
		line := fmt.Sprintf("    %-*s  %-*s", lw, r.label, dw, r.data)
		if r.data == "" {
			line = "    " + r.label
		}
		e.p("%s ; %s\n", strings.TrimRight(line, " "), r.comment)
	}
	e.p("ENDSTRUC\n")
	for _, a := range s.Alts {
		if e.claim("member "+s.Name+"."+a.Path, name+"."+a.Path) {
			e.p(altFormat, name, a.Path, a.Offset, a.CType, a.Size)
			has = append(has, a.Path)
		}
	}
	for _, b := range s.Bitfields {
		full := name + "." + b.Path
		derived := []string{full, full + "_UNIT", full + "_SHIFT", full + "_WIDTH", full + "_MASK"}
		if b.Signed {
			derived = append(derived, full+"_SIGNED")
		}
		if !e.claim("bitfield "+s.Name+"."+b.Path, derived...) {
			continue
		}
		e.p(bitfieldFormat, full, b.Offset, b.CType, b.Width)
		e.p(bitfieldDefinesFormat,
			full, b.Unit, full, b.Shift, full, b.Width, full, b.Mask)
		if b.Signed {
			e.p("%%define %s_SIGNED 1 ; a signed bitfield\n", full)
		}
		has = append(has, b.Path)
	}
	// Members are labels, which %ifdef cannot see: S.path? is the macro
	// that says the struct has the member.
	for _, p := range has {
		e.p("%%define %s.%s? 1\n", name, p)
	}
}

// resDirective reserves a member's storage: resX count for scalars and
// arrays of scalars, resb Inner_size for embedded aggregates.
func resDirective(l layout.Member) string {
	if l.Flexible || l.Count == 0 {
		return ""
	}
	if l.Aggregate != "" {
		if l.Count == 1 {
			return fmt.Sprintf("resb %s_size", Name(l.Aggregate))
		}
		return fmt.Sprintf("resb %s_size*%d", Name(l.Aggregate), l.Count)
	}
	if d, ok := resByElem[l.Elem]; ok && l.Elem*l.Count == l.Size {
		return fmt.Sprintf("%s %d", d, l.Count)
	}
	return fmt.Sprintf("resb %d", l.Size)
}

func (e *nasm) helpers() {
	e.section("Helper macros, from the headers' own definitions")
	for _, s := range e.m.Structs {
		if s.Name == "PyMethodDef" {
			e.p("; The zeroed PyMethodDef that ends a method table.\n")
			e.p("%%define NullMethodDef times PyMethodDef_size db 0\n")
		}
	}
	for _, in := range e.m.Inits {
		if !e.claim(in.Name, in.Name) {
			continue
		}
		data, ok := initData(in)
		if !ok {
			e.p("; %s left out: its bytes cannot be written as one line of data directives\n", in.Name)
			continue
		}
		var params []string
		for _, p := range in.Params {
			params = append(params, p.Name)
		}
		e.p("; %s: the bytes of the C initializer, a %s\n", in.Name, in.CType)
		if len(params) > 0 {
			e.p("%%define %s(%s) %s\n", in.Name, strings.Join(params, ", "), data)
		} else {
			e.p("%%define %s %s\n", in.Name, data)
		}
	}
	if len(e.m.Singletons) > 0 {
		e.p("; The singletons, as the data symbols their macros take the address of.\n")
	}
	for _, a := range e.m.Singletons {
		if a.Func != "" {
			e.p("; %s is %s(%s) in this API: no data symbol; Py_RETURN_* call it.\n", a.Name, a.Func, a.Arg)
			continue
		}
		if e.claim(a.Name, Name(a.Name)) {
			e.p("%%define %s %s\n", Name(a.Name), Name(a.Target))
		}
	}
	e.p("%s", e.pl.accessMacros())
}

// initData writes an initializer image as one dq directive (parameters at
// their 8-byte slots), or as one db directive when it has no parameters
// and is not a whole number of quadwords.
func initData(in layout.Init) (string, bool) {
	n := int64(len(in.Bytes))
	if n%8 != 0 {
		if len(in.Params) > 0 {
			return "", false
		}
		var items []string
		for _, c := range in.Bytes {
			items = append(items, strconv.Itoa(int(c)))
		}
		return "db " + strings.Join(items, ", "), true
	}
	var items []string
	for off := int64(0); off < n; off += 8 {
		item := ""
		for _, p := range in.Params {
			if p.Offset == off && p.Size == 8 {
				item = "(" + p.Name + ")"
			} else if p.Offset > off-8 && p.Offset < off+8 && p.Offset != off || p.Offset == off && p.Size != 8 {
				return "", false
			}
		}
		if item == "" {
			v := binary.LittleEndian.Uint64(in.Bytes[off:])
			item = intLiteral(v, false)
			if v > 0xFFFF {
				item = fmt.Sprintf("0x%X", v)
			}
		}
		items = append(items, item)
	}
	return "dq " + strings.Join(items, ", "), true
}

func (e *nasm) symbols() {
	e.section("Symbols: functions and data with external linkage")
	for _, s := range e.m.Symbols {
		where := "data"
		if s.Func {
			var words []string
			for _, a := range s.Args {
				words = append(words, argWords(a))
			}
			args := strings.Join(words, ", ")
			if args == "" {
				args = "none"
			}
			if s.Variadic {
				args += e.pl.variadicWords()
			}
			where = fmt.Sprintf("args %s; returns %s", args, e.resultWords(s.Ret))
		}
		if s.NotInLib {
			e.p("; not exported by %s, so not EXTERN: %s ; %s\n", e.m.LibPython, s.Name, s.Proto)
			continue
		}
		if e.claim("symbol "+s.Name, Name(s.Name)) {
			e.p(externFormat, e.pl.externName(s.Name), s.Proto, where)
		}
	}
}

// argWords says where an argument travels: "rdi", "rdi:xmm0", "stack".
func argWords(l abi.Loc) string {
	switch l.Where {
	case abi.InRegs:
		return regWords(l.Regs)
	case abi.OnStack:
		return "stack"
	case abi.Nothing:
		return "nothing (empty)"
	case abi.ByReference:
		return regWords(l.Regs) + " (address of a copy)"
	case abi.ByReferenceOnStack:
		return "stack (address of a copy)"
	}
	return "unknown (pyinc cannot classify this type)"
}

// resultWords says where the result comes back.
func (e *nasm) resultWords(l abi.Loc) string {
	switch l.Where {
	case abi.InRegs:
		return regWords(l.Regs)
	case abi.InMemory:
		return e.pl.hiddenResult()
	case abi.Nothing:
		return "none"
	}
	return "unknown (pyinc cannot classify this type)"
}

func regWords(regs []abi.Reg) string {
	s := make([]string, len(regs))
	for i, r := range regs {
		s[i] = string(r)
	}
	return strings.Join(s, ":")
}

func (e *nasm) aliases() {
	if len(e.m.Aliases) == 0 {
		return
	}
	e.section("Symbols the headers rename with a macro")
	for _, a := range e.m.Aliases {
		if e.claim("the alias "+a.Name, Name(a.Name)) {
			e.p("%%define %s %s\n", Name(a.Name), Name(a.Target))
		}
	}
}

func (e *nasm) omitted() {
	if len(e.m.Omitted) == 0 {
		return
	}
	e.section(leftOutTitle)
	for _, o := range e.m.Omitted {
		e.p("; %s\n", o)
	}
}
