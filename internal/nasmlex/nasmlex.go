// Package nasmlex reads NASM source text as nasm's own lexer does, for the
// little of it pyinc needs: the identifiers outside comments and strings,
// and the file an %include line names. Both pyinc diff --uses (package
// abidiff) and the include's cut (package inccut) read sources this way.
package nasmlex

import (
	"regexp"
	"strings"
)

// IsIdentStart reports a character an identifier may start with, and
// IsIdentChar one it may hold after that: nasm's isidstart and isidchar.
func IsIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '.' || c == '?' || c == '@'
}

// IsIdentChar: see IsIdentStart.
func IsIdentChar(c byte) bool {
	return IsIdentStart(c) || c >= '0' && c <= '9' || c == '$' || c == '#' || c == '~'
}

// Scan calls ident for each identifier of text, without the $ that escapes
// a reserved word, and code, when not nil, for each other byte outside
// comments and strings. A comment runs from ';' to the end of the line; a
// string from a quote (' " or `) to the same quote on the same line, and in
// a backquoted string a backslash escapes the next character. A number's
// letters (0x1F, 10h) are no identifier.
func Scan(text string, ident func(string), code func(i int)) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == ';':
			for i+1 < len(text) && text[i+1] != '\n' {
				i++
			}
		case c == '\'' || c == '"' || c == '`':
			for i+1 < len(text) && text[i+1] != '\n' {
				i++
				if text[i] == '\\' && c == '`' && i+1 < len(text) && text[i+1] != '\n' {
					i++
				} else if text[i] == c {
					break
				}
			}
		case c >= '0' && c <= '9':
			for i+1 < len(text) && IsIdentChar(text[i+1]) {
				i++
			}
		case IsIdentStart(c) || c == '$' && i+1 < len(text) && IsIdentStart(text[i+1]):
			j := i + 1
			for j < len(text) && IsIdentChar(text[j]) {
				j++
			}
			if ident != nil {
				ident(strings.TrimPrefix(text[i:j], "$"))
			}
			i = j - 1
		default:
			if code != nil {
				code(i)
			}
		}
	}
}

// Identifiers are the identifiers of text in order, repeats included.
func Identifiers(text string) []string {
	var r []string
	Scan(text, func(id string) { r = append(r, id) }, nil)
	return r
}

// includeRE: an %include directive (nasm's directives ignore case) and
// the file it names, quoted, in <>, or bare.
var includeRE = regexp.MustCompile(`(?i)^\s*%include\s+(?:"([^"]*)"|'([^']*)'|<([^>]*)>|(\S+))`)

// Include is the file an %include line names; ok is false for any other
// line.
func Include(line string) (name string, ok bool) {
	if !strings.Contains(strings.ToLower(line), "%include") {
		return "", false // most lines: the regexp would say the same, slower
	}
	m := includeRE.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1] + m[2] + m[3] + m[4], true
}

// incbinRE: an incbin (after a label, if any; nasm's instructions ignore
// case) and the file it names, quoted.
var incbinRE = regexp.MustCompile(`(?i)^\s*(?:[A-Za-z._?@$][A-Za-z0-9._?@$#~]*:?\s+)?incbin\s+(?:"([^"]*)"|'([^']*)'|` + "`([^`]*)`" + `)`)

// Incbin is the file an incbin line names; ok is false for any other line.
func Incbin(line string) (name string, ok bool) {
	if !strings.Contains(strings.ToLower(line), "incbin") {
		return "", false
	}
	m := incbinRE.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return m[1] + m[2] + m[3], true
}
