package cparse

import "bytes"

// includeDirective is an #include, #include_next or #import directive of
// a header: the line its # is on, and whether it is spelled plainly (an
// #include with nothing but blanks before its name, on a line of its
// own), so that the line can be read by includeTarget and replaced whole.
type includeDirective struct {
	line  int
	plain bool
}

// includeDirectives finds the #include directives of C text as the
// preprocessor does (see scanDirectives): an #include in a comment or in a
// macro's body is none, and one spelled across comments or lines is found
// all the same (as not plain).
func includeDirectives(text []byte) []includeDirective {
	var found []includeDirective
	scanDirectives(text, func(lx *lexer, line int, name string, plain bool) {
		switch name {
		case "include", "include_next", "import":
			found = append(found, includeDirective{line, plain && name == "include"})
			lx.headerName()
		}
	})
	return found
}

// hasPragmaOnce reports a #pragma once directive in C text.
func hasPragmaOnce(text []byte) bool {
	if !bytes.Contains(text, []byte("once")) {
		return false // most headers: a search is faster than a scan
	}
	once := false
	scanDirectives(text, func(lx *lexer, _ int, name string, _ bool) {
		if name == "pragma" {
			lx.skipWhite()
			once = once || lx.word() == "once"
		}
	})
	return once
}

// scanDirectives calls visit for each directive of C text, found as the
// preprocessor finds them: a # that is the first token of a line (blanks
// and comments before it are white space), then the directive's name past
// blanks, comments and continued lines; plain when only blanks came before
// the name. Comments, string and character literals and continued lines
// are followed. visit may read on from lx, which is past the name.
func scanDirectives(text []byte, visit func(lx *lexer, line int, name string, plain bool)) {
	lx := lexer{text: text, line: 1}
	lineStart, clean := true, true // only white space since the line began; no comment or continuation in it
	for lx.i < len(text) {
		switch c := text[lx.i]; {
		case c == '\n':
			lx.i++
			lx.line++
			lineStart, clean = true, true
		case lx.blank() || lx.comment():
			clean = false
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			lx.i++
		case c == '#' && lineStart:
			line := lx.line
			lx.i++
			plain := clean && lx.skipWhite()
			visit(&lx, line, lx.word(), plain)
			lineStart = false
		case c == '"' || c == '\'':
			lx.literal(c)
			lineStart = false
		default:
			lx.i++
			lineStart = false
		}
	}
}

// lexer walks C text, counting its lines.
type lexer struct {
	text []byte
	i    int
	line int
}

func (lx *lexer) at(k int) byte {
	if lx.i+k < len(lx.text) {
		return lx.text[lx.i+k]
	}
	return 0
}

// blank skips a continued line's backslash and newline.
func (lx *lexer) blank() bool {
	switch {
	case lx.at(0) == '\\' && lx.at(1) == '\n':
		lx.i += 2
	case lx.at(0) == '\\' && lx.at(1) == '\r' && lx.at(2) == '\n':
		lx.i += 3
	default:
		return false
	}
	lx.line++
	return true
}

// comment skips a /* */ or // comment.
func (lx *lexer) comment() bool {
	switch {
	case lx.at(0) == '/' && lx.at(1) == '*':
		lx.i += 2
		for lx.i < len(lx.text) && !(lx.at(0) == '*' && lx.at(1) == '/') {
			if lx.text[lx.i] == '\n' {
				lx.line++
			}
			lx.i++
		}
		lx.i = min(lx.i+2, len(lx.text))
	case lx.at(0) == '/' && lx.at(1) == '/':
		for lx.i < len(lx.text) && lx.text[lx.i] != '\n' {
			if !lx.blank() { // a continued // comment goes on
				lx.i++
			}
		}
	default:
		return false
	}
	return true
}

// skipWhite skips blanks, comments and continued lines, and reports
// whether there were only blanks.
func (lx *lexer) skipWhite() bool {
	plain := true
	for lx.i < len(lx.text) {
		switch c := lx.text[lx.i]; {
		case c == ' ' || c == '\t':
			lx.i++
		case lx.blank() || lx.comment():
			plain = false
		default:
			return plain
		}
	}
	return plain
}

// word reads an identifier, across continued lines.
func (lx *lexer) word() string {
	var w []byte
	for lx.i < len(lx.text) {
		if lx.blank() {
			continue
		}
		if c := lx.text[lx.i]; isWordByte(c) {
			w = append(w, c)
			lx.i++
			continue
		}
		break
	}
	return string(w)
}

// headerName skips an #include's <name> or "name": as in the
// preprocessor, neither quotes nor comment markers mean anything in it.
func (lx *lexer) headerName() {
	lx.skipWhite()
	closing := byte('>')
	switch lx.at(0) {
	case '"':
		closing = '"'
	case '<':
	default:
		return
	}
	for lx.i++; lx.i < len(lx.text) && lx.text[lx.i] != '\n'; lx.i++ {
		if lx.text[lx.i] == closing {
			lx.i++
			return
		}
	}
}

// literal skips a string or character literal, which ends at its quote
// or, unterminated, at the end of the line.
func (lx *lexer) literal(quote byte) {
	for lx.i++; lx.i < len(lx.text) && lx.text[lx.i] != '\n'; {
		switch {
		case lx.blank():
		case lx.text[lx.i] == '\\':
			lx.i = min(lx.i+2, len(lx.text))
		case lx.text[lx.i] == quote:
			lx.i++
			return
		default:
			lx.i++
		}
	}
}
