package project

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// pep440RE accepts the version forms PEP 440 allows (case-insensitive,
// with its alternative spellings); NormalizeVersion writes the canonical
// one.
var pep440RE = regexp.MustCompile(`(?i)^\s*v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?:[-_.]?(?P<pre>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<preN>[0-9]+)?)?` +
	`(?:-(?P<postImplicit>[0-9]+)|[-_.]?(?P<post>post|rev|r)[-_.]?(?P<postN>[0-9]+)?)?` +
	`(?:[-_.]?(?P<dev>dev)[-_.]?(?P<devN>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?` +
	`\s*$`)

var preLabels = map[string]string{"alpha": "a", "a": "a", "beta": "b", "b": "b",
	"c": "rc", "rc": "rc", "pre": "rc", "preview": "rc"}

// NormalizeVersion returns the canonical PEP 440 form of v ("1.0-ALPHA1"
// gives "1.0a1"), or an error saying what a version looks like.
func NormalizeVersion(v string) (string, error) {
	m := pep440RE.FindStringSubmatch(v)
	if m == nil {
		return "", fmt.Errorf("%q is not a PEP 440 version (like 0.1.0, 1.2rc1, 2.0.post1, 1.0.dev3)", v)
	}
	g := func(name string) string { return m[pep440RE.SubexpIndex(name)] }
	var b strings.Builder
	if g("epoch") != "" {
		b.WriteString(num(g("epoch")) + "!")
	}
	parts := strings.Split(g("release"), ".")
	for i, p := range parts {
		parts[i] = num(p)
	}
	b.WriteString(strings.Join(parts, "."))
	if g("pre") != "" {
		b.WriteString(preLabels[strings.ToLower(g("pre"))] + num(g("preN")))
	}
	switch {
	case g("postImplicit") != "":
		b.WriteString(".post" + num(g("postImplicit")))
	case g("post") != "":
		b.WriteString(".post" + num(g("postN")))
	}
	if g("dev") != "" {
		b.WriteString(".dev" + num(g("devN")))
	}
	if local := g("local"); local != "" {
		segs := strings.FieldsFunc(strings.ToLower(local), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
		for i, s := range segs {
			if _, err := strconv.Atoi(s); err == nil {
				segs[i] = num(s)
			}
		}
		b.WriteString("+" + strings.Join(segs, "."))
	}
	return b.String(), nil
}

// num drops leading zeros: PEP 440 compares numbers as integers.
func num(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	return t
}
