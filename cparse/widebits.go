package cparse

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"modernc.org/cc/v4"

	"github.com/pyinc/pyinc/internal/infile"
)

// gcc accepts bitfields of __int128 up to 128 bits wide; cc/v4 refuses any
// width over 64 with an error, and that error fails the whole unit. So
// that such a header costs the user no more than that bitfield, Parse
// reads the front end's errors: when each is such a width, written as a
// number in a Python header, it parses again with those widths written as
// 64 in a copy of the header (served through Config.FS, every other byte
// where it was) and lists them in Unit.WideBitfields. The front end's
// layout of their structs is then not gcc's: layout lays a named one out
// with its true width and leaves out a struct with an unnamed one.

// WideBitfield is a bitfield wider than 64 bits that the front end read
// as 64 bits wide.
type WideBitfield struct {
	Pos   Pos   // of its width, in the header
	Width int64 // as the header writes it
	// Name is the member's name, "" for an unnamed bitfield; Struct the
	// struct or union that declares it.
	Name   string
	Struct *cc.StructOrUnionSpecifier
	// Where is its file, as the include directory names it, and line:
	// "Python.h:12", for messages.
	Where string
}

// frontEndWidth is the widest bitfield cc/v4 reads.
const frontEndWidth = 64

// wideErrorRE matches the front end's error for a bitfield width it
// refuses: the width's position, then the width.
var wideErrorRE = regexp.MustCompile(`^(.+):([0-9]+):([0-9]+): value out of range: (-?[0-9]+)` + frontEndOrigin.String() + `$`)

// frontEndOrigin matches where in its own code cc/v4 made a message,
// which it appends to some: "(check.go:3904:check:)". It is no position
// of the user's, and is never shown.
var frontEndOrigin = regexp.MustCompile(` \([a-z0-9_]+\.go:[0-9]+:[A-Za-z0-9_]*:?\)`)

// wideBitfields returns the bitfields err refuses as too wide, when every
// error in it is one that a second parse can get past: a width of 65 to
// 128 bits (what gcc accepts, for __int128) in a Python header.
func wideBitfields(err error, u *Unit) ([]WideBitfield, bool) {
	var out []WideBitfield
	for _, l := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
		m := wideErrorRE.FindStringSubmatch(l)
		if m == nil || !u.IsPythonHeader(m[1]) {
			return nil, false
		}
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		w, _ := strconv.ParseInt(m[4], 10, 64)
		if w <= frontEndWidth || w > 128 {
			return nil, false
		}
		out = append(out, WideBitfield{Pos: Pos{File: m[1], Line: line, Col: col}, Width: w})
	}
	return out, len(out) > 0
}

// narrow writes each width of wide as 64 in files (the headers' text by
// path, read when not there yet). It fails when a width is not a number
// written in place (a macro's, or an expression), which cannot be
// rewritten without changing more.
func narrow(files overlayFS, wide []WideBitfield) bool {
	for _, w := range wide {
		src, ok := files[w.Pos.File]
		if !ok {
			b, err := infile.Read(w.Pos.File, infile.HeaderLimit)
			if err != nil {
				return false
			}
			src = b
		}
		lines := bytes.SplitAfter(src, []byte("\n"))
		if w.Pos.Line < 1 || w.Pos.Line > len(lines) {
			return false
		}
		line := lines[w.Pos.Line-1]
		at := w.Pos.Col - 1
		digits := widthLiteral(line, at)
		if digits == 0 || bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			return false
		}
		// Same length, so that every other column stays where it was.
		repl := fmt.Sprintf("%-*d", digits, frontEndWidth)
		lines[w.Pos.Line-1] = append(append(append([]byte{}, line[:at]...), repl...), line[at+digits:]...)
		files[w.Pos.File] = bytes.Join(lines, nil)
	}
	return true
}

// widthLiteral returns the length of the decimal number (with an integer
// suffix) at line[at:], if it is all the width: what follows is ';', ','
// or '}' after blanks. Else 0.
func widthLiteral(line []byte, at int) int {
	if at < 0 || at >= len(line) {
		return 0
	}
	n := at
	for n < len(line) && line[n] >= '0' && line[n] <= '9' {
		n++
	}
	digits := n - at
	for n < len(line) && strings.IndexByte("uUlL", line[n]) >= 0 {
		n++
	}
	rest := bytes.TrimLeft(line[n:], " \t")
	if digits == 0 || len(rest) == 0 || strings.IndexByte(";,}", rest[0]) < 0 {
		return 0
	}
	return n - at
}

// declaring finds, in the unit just parsed, the struct or union that
// declares each wide bitfield and the member's name.
func declaring(ast *cc.AST, wide []WideBitfield) {
	at := map[Pos]*WideBitfield{}
	files := map[string]bool{}
	for i := range wide {
		at[wide[i].Pos] = &wide[i]
		files[wide[i].Pos.File] = true
	}
	for tu := ast.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		if files[tu.ExternalDeclaration.Position().Filename] {
			walkStructs(reflect.ValueOf(tu.ExternalDeclaration), nil, at, map[uintptr]bool{})
		}
	}
}

// walkStructs visits the nodes under v, spec being the innermost struct
// or union around them, and fills in the wide bitfields it meets.
func walkStructs(v reflect.Value, spec *cc.StructOrUnionSpecifier, at map[Pos]*WideBitfield, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Pointer {
			if seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
		}
		switch x := v.Interface().(type) {
		case *cc.StructOrUnionSpecifier:
			spec = x
		case *cc.StructDeclarator:
			if x.Case == cc.StructDeclaratorBitField && x.ConstantExpression != nil {
				p := x.ConstantExpression.Position()
				if w := at[Pos{File: p.Filename, Line: p.Line, Col: p.Column}]; w != nil {
					w.Struct = spec
					if x.Declarator != nil {
						w.Name = x.Declarator.Name()
					}
				}
			}
		}
		walkStructs(v.Elem(), spec, at, seen)
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			if t.Field(i).IsExported() && t.Field(i).Type != reflect.TypeOf(cc.Token{}) {
				walkStructs(v.Field(i), spec, at, seen)
			}
		}
	}
}

// parseNarrowed parses again with the too wide bitfields err names
// narrowed, and records them in u; nil when err is not only those, or the
// narrowed parse fails otherwise. The front end reports one error a line,
// so a line with two such widths takes two rounds.
func parseNarrowed(cfg *cc.Config, srcs []cc.Source, err error, u *Unit) *cc.AST {
	files := overlayFS{}
	var all []WideBitfield
	for round := 0; round < 8; round++ {
		wide, ok := wideBitfields(err, u)
		if !ok || !narrow(files, wide) {
			return nil
		}
		all = append(all, wide...)
		withFiles := *cfg
		withFiles.FS = &guardFS{overlay: files, python: u.IsPythonHeader}
		ast, again := cc.Translate(&withFiles, srcs)
		if again != nil {
			err = again
			continue
		}
		declaring(ast, all)
		for i, w := range all {
			if w.Struct == nil {
				return nil
			}
			all[i].Where = fmt.Sprintf("%s:%d", trimHostPath(w.Pos.File, u.IncludeDirs), w.Pos.Line)
		}
		u.WideBitfields = all
		return ast
	}
	return nil
}

// frontEndMessage is one of the front end's error lines as the user reads
// it: without where in cc/v4 it was made, and a bitfield width it refuses
// said as such.
func frontEndMessage(line string) string {
	if m := wideErrorRE.FindStringSubmatch(line); m != nil {
		return fmt.Sprintf("%s:%s:%s: a bitfield %s bits wide, wider than the C front end reads (%d bits; pyinc reads past it when the width is a number written in the member's declaration)",
			m[1], m[2], m[3], m[4], frontEndWidth)
	}
	return frontEndOrigin.ReplaceAllString(line, "")
}
