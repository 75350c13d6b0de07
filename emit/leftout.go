package emit

import (
	"regexp"
	"strings"
)

// leftOutTitle heads the include's last section, where each line says what
// was left out and why: "; NAME, NAME and NAME: reason".
const leftOutTitle = "Left out"

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// LeftOut reads the "Left out" section of an include pyinc wrote: for each
// name the include leaves out, the reason it gives. Only lines that name
// identifiers count ("PyTuple_GET_ITEM, PyTuple_SET_ITEM and
// PyTuple_GET_SIZE: why"); lines about a bitfield, a C macro's value or a
// collision name no single NASM name the user could have written.
func LeftOut(text string) map[string]string {
	out := map[string]string{}
	_, section, ok := strings.Cut(text, "\n; "+leftOutTitle+"\n; "+strings.Repeat("-", len(leftOutTitle))+"\n")
	if !ok {
		return out
	}
	for _, line := range strings.Split(section, "\n") {
		body, ok := strings.CutPrefix(line, "; ")
		if !ok {
			break
		}
		names, why, ok := strings.Cut(body, ": ")
		if !ok {
			continue
		}
		list := leftOutNames(names)
		for _, n := range list {
			if _, seen := out[n]; !seen {
				out[n] = why
			}
		}
	}
	return out
}

// leftOutNames splits "A, B and C" into identifiers, nil when any part is
// not one.
func leftOutNames(s string) []string {
	var names []string
	for _, part := range strings.Split(s, ", ") {
		for _, n := range strings.Split(part, " and ") {
			if !identRE.MatchString(n) {
				return nil
			}
			names = append(names, n)
		}
	}
	return names
}
