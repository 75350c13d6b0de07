package main

import (
	"regexp"
	"strings"
)

// A block is a piece of a generated include that defines some names: a
// %define line, a STRUC with its equ and bitfield lines, a %macro, an
// EXTERN. Lines outside any block (guard, section, comments) are kept.
type block struct {
	names []string
	text  []string
	keep  bool // always kept: the guard and the stack note
}

var (
	identRE  = regexp.MustCompile(`\$?[A-Za-z_.?@][A-Za-z0-9_.$#@~?]*`)
	headRE   = regexp.MustCompile(`^; (struct|union) `)
	strucRE  = regexp.MustCompile(`^STRUC \$?(\S+)$`)
	defineRE = regexp.MustCompile(`^%define \$?([A-Za-z_][\w.]*)`)
	macroRE  = regexp.MustCompile(`^%macro (\S+)`)
	externRE = regexp.MustCompile(`^EXTERN \$?(\S+)`)
)

// minimal keeps of include only what asm uses, directly or through what it
// keeps: the include a person would write by hand for that one file.
func minimal(include, asm string) string {
	var blocks []*block
	lines := strings.Split(include, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case headRE.MatchString(l) && i+1 < len(lines) && strucRE.MatchString(lines[i+1]):
			name := strucRE.FindStringSubmatch(lines[i+1])[1]
			b := &block{names: []string{name}}
			for ; i < len(lines); i++ {
				b.text = append(b.text, lines[i])
				if lines[i] == "ENDSTRUC" {
					break
				}
			}
			// the struct's equ and bitfield lines follow
			for i+1 < len(lines) && (strings.HasPrefix(strings.TrimPrefix(lines[i+1], "$"), name+".") ||
				strings.HasPrefix(lines[i+1], "%define "+name+".") || strings.HasPrefix(lines[i+1], "%define $"+name+".")) {
				i++
				b.text = append(b.text, lines[i])
			}
			blocks = append(blocks, b)
		case macroRE.MatchString(l):
			b := &block{names: []string{macroRE.FindStringSubmatch(l)[1]}}
			for ; i < len(lines); i++ {
				b.text = append(b.text, lines[i])
				if lines[i] == "%endmacro" {
					break
				}
			}
			blocks = append(blocks, b)
		case strings.HasPrefix(l, "%define PYINC_PYTHON_INC") || strings.HasPrefix(l, "%ifndef PYINC") || strings.HasPrefix(l, "%endif ; PYINC"):
			blocks = append(blocks, &block{text: []string{l}, keep: true})
		case defineRE.MatchString(l):
			name := defineRE.FindStringSubmatch(l)[1]
			blocks = append(blocks, &block{names: []string{name}, text: []string{l}})
		case externRE.MatchString(l):
			blocks = append(blocks, &block{names: []string{externRE.FindStringSubmatch(l)[1]}, text: []string{l}})
		case strings.HasPrefix(l, ";") || l == "":
			// comments go
		default:
			blocks = append(blocks, &block{text: []string{l}, keep: true})
		}
	}
	byName := map[string]*block{}
	for _, b := range blocks {
		for _, n := range b.names {
			byName[n] = b
		}
	}
	used := map[*block]bool{}
	var use func(text string)
	use = func(text string) {
		for _, id := range identRE.FindAllString(text, -1) {
			id = strings.TrimPrefix(id, "$")
			// S.member and S_size name the STRUC S.
			cands := []string{id, strings.SplitN(id, ".", 2)[0], strings.TrimSuffix(id, "_size")}
			for _, c := range cands {
				if b := byName[c]; b != nil && !used[b] {
					used[b] = true
					use(strings.Join(b.text, "\n"))
				}
			}
		}
	}
	use(stripComments(asm))
	var out strings.Builder
	for _, b := range blocks {
		if b.keep || used[b] {
			for _, t := range b.text {
				out.WriteString(t)
				out.WriteByte('\n')
			}
		}
	}
	return out.String()
}

func stripComments(asm string) string {
	var b strings.Builder
	for _, l := range strings.Split(asm, "\n") {
		code, _, _ := strings.Cut(l, ";")
		b.WriteString(code)
		b.WriteByte('\n')
	}
	return b.String()
}
