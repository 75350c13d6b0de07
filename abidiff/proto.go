package abidiff

import (
	"strings"
)

// respelled makes the changed EXTERNs whose prototypes differ only in
// spelling non-breaking, kind "retyped": parameter names, const, and which
// type a pointer points to (struct _typeobject * -> PyTypeObject *), none
// of which changes how the function is called.
func respelled(changes []Change) {
	for i, c := range changes {
		if c.Section != "extern" || c.Kind != "changed" {
			continue
		}
		was, now, _ := strings.Cut(c.Detail, " -> ")
		if callShape(c.Name, was) == callShape(c.Name, now) {
			changes[i].Kind, changes[i].Breaking = "retyped", false
		}
	}
}

// callShape is what of a prototype matters to a caller: each type, with
// every pointer as "*", without names and qualifiers.
func callShape(name, proto string) string {
	ret, rest, ok := strings.Cut(proto, name+"(")
	if !ok || !strings.HasSuffix(rest, ")") {
		return proto // data, or not a prototype this reads: compared as written
	}
	shapes := []string{paramShape(ret, false)}
	for _, p := range splitParams(strings.TrimSuffix(rest, ")")) {
		shapes = append(shapes, paramShape(p, true))
	}
	return strings.Join(shapes, ",")
}

// splitParams splits a parameter list at its top-level commas.
func splitParams(list string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range list {
		switch c {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, list[start:i])
				start = i + 1
			}
		}
	}
	return append(out, list[start:])
}

// cWords are the words of C's basic types: a parameter's last word that is
// not one of them is its name.
var cWords = map[string]bool{
	"void": true, "char": true, "short": true, "int": true, "long": true, "float": true, "double": true,
	"signed": true, "unsigned": true, "_Bool": true, "_Complex": true, "struct": true, "union": true, "enum": true,
}

var tagWord = map[string]bool{"struct": true, "union": true, "enum": true}

// paramShape is the type of a parameter (param) or result as it matters
// to a call.
func paramShape(p string, param bool) string {
	if strings.ContainsAny(p, "*[") {
		return "*"
	}
	var words []string
	for _, w := range strings.Fields(p) {
		if w != "const" && w != "volatile" && w != "restrict" {
			words = append(words, w)
		}
	}
	if n := len(words); param && n > 1 && !cWords[words[n-1]] && !tagWord[words[n-2]] {
		words = words[:n-1]
	}
	return strings.Join(words, " ")
}
