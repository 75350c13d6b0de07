package project

import (
	"fmt"
	"regexp"
	"strings"
)

// The checks of this file follow PEP 508 (dependency specifiers) and
// PEP 440 (version specifiers) as written: a requirement or specifier
// pip would refuse is refused here, naming the value, before it goes
// into the metadata.

// lineBreaks are the characters a metadata reader may take for the end
// of a line: Python's str.splitlines splits at every one of them.
const lineBreaks = "\r\n\v\f\x1c\x1d\x1e\u0085\u2028\u2029"

func hasLineBreak(s string) bool { return strings.ContainsAny(s, lineBreaks) }

var releaseRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*`)

var specOps = []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"}

// CheckSpecifierSet checks a PEP 440 version specifier set, such as
// ">=3.8, !=3.9.*".
func CheckSpecifierSet(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%q is empty: write a version specifier such as >=3.8", s)
	}
	if hasLineBreak(s) {
		return fmt.Errorf("%q holds a line break, which would end its metadata field", s)
	}
	for _, one := range strings.Split(s, ",") {
		if err := checkSpecifier(strings.TrimSpace(one)); err != nil {
			return fmt.Errorf("%q is not a PEP 440 version specifier set: %v", s, err)
		}
	}
	return nil
}

// checkSpecifier checks one clause: an operator and a version.
func checkSpecifier(s string) error {
	op := ""
	for _, o := range specOps {
		if strings.HasPrefix(s, o) {
			op = o
			break
		}
	}
	if op == "" {
		return fmt.Errorf("%q has no comparison operator (one of %s)", s, strings.Join(specOps, " "))
	}
	v := strings.TrimSpace(s[len(op):])
	if v == "" {
		return fmt.Errorf("%q has no version", s)
	}
	if op == "===" {
		if strings.ContainsAny(v, " \t,;") {
			return fmt.Errorf("%q: an arbitrary equality takes one word", s)
		}
		return nil
	}
	prefix := strings.HasSuffix(v, ".*")
	if prefix {
		if op != "==" && op != "!=" {
			return fmt.Errorf("%q: .* goes only with == and !=", s)
		}
		v = strings.TrimSuffix(v, ".*")
	}
	if _, err := NormalizeVersion(v); err != nil || strings.TrimSpace(v) != v || strings.HasPrefix(strings.ToLower(v), "v") {
		return fmt.Errorf("%q: %q is not a PEP 440 version", s, v)
	}
	local := strings.Contains(v, "+")
	if local && (prefix || (op != "==" && op != "!=")) {
		return fmt.Errorf("%q: a local version (+...) goes only with == and !=", s)
	}
	if op == "~=" && !strings.Contains(releaseRE.FindString(v[strings.IndexByte(v, '!')+1:]), ".") {
		return fmt.Errorf("%q: ~= needs a version of two parts or more (~=1.2)", s)
	}
	return nil
}

// CheckRequirement checks a PEP 508 dependency specifier, such as
// `numpy[extra] >=1.20; python_version < "3.12"`.
func CheckRequirement(s string) error {
	if hasLineBreak(s) {
		return fmt.Errorf("%q holds a line break, which would end its metadata field", s)
	}
	r := &reqParser{s: s}
	if err := r.requirement(); err != nil {
		return fmt.Errorf("%q is not a PEP 508 requirement: %v", s, err)
	}
	return nil
}

type reqParser struct {
	s   string
	pos int
}

func (r *reqParser) ws() {
	for r.pos < len(r.s) && (r.s[r.pos] == ' ' || r.s[r.pos] == '\t') {
		r.pos++
	}
}

func (r *reqParser) peek(t string) bool { return strings.HasPrefix(r.s[r.pos:], t) }

func (r *reqParser) eat(t string) bool {
	if r.peek(t) {
		r.pos += len(t)
		return true
	}
	return false
}

func (r *reqParser) done() bool { return r.pos >= len(r.s) }

func (r *reqParser) rest() string { return r.s[r.pos:] }

// identifier reads a PEP 508 identifier.
func (r *reqParser) identifier(what string) (string, error) {
	start := r.pos
	for r.pos < len(r.s) && isIdentChar(r.s[r.pos]) {
		r.pos++
	}
	id := r.s[start:r.pos]
	if !nameRE.MatchString(id) {
		return "", fmt.Errorf("expected %s at %q", what, r.s[start:])
	}
	return id, nil
}

func isIdentChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

func (r *reqParser) requirement() error {
	r.ws()
	if _, err := r.identifier("a distribution name"); err != nil {
		return err
	}
	r.ws()
	if r.eat("[") {
		if err := r.extras(); err != nil {
			return err
		}
		r.ws()
	}
	switch {
	case r.eat("@"):
		r.ws()
		start := r.pos
		for r.pos < len(r.s) && r.s[r.pos] != ' ' && r.s[r.pos] != '\t' {
			r.pos++
		}
		if !strings.Contains(r.s[start:r.pos], "://") && !strings.HasPrefix(r.s[start:r.pos], "file:") {
			return fmt.Errorf("%q after @ is not a URL", r.s[start:r.pos])
		}
		r.ws()
		if !r.done() && !r.peek(";") {
			return fmt.Errorf("unexpected %q after the URL", r.rest())
		}
	case r.eat("("):
		if err := r.versions(")"); err != nil {
			return err
		}
		if !r.eat(")") {
			return fmt.Errorf("expected ) at %q", r.rest())
		}
	default:
		if err := r.versions(";"); err != nil {
			return err
		}
	}
	r.ws()
	if r.eat(";") {
		if err := r.markerOr(); err != nil {
			return fmt.Errorf("marker: %v", err)
		}
		r.ws()
	}
	if !r.done() {
		return fmt.Errorf("unexpected %q", r.rest())
	}
	return nil
}

// extras reads a comma-separated list of extra names up to "]".
func (r *reqParser) extras() error {
	r.ws()
	if r.eat("]") {
		return nil
	}
	for {
		r.ws()
		if _, err := r.identifier("an extra name"); err != nil {
			return err
		}
		r.ws()
		if r.eat("]") {
			return nil
		}
		if !r.eat(",") {
			return fmt.Errorf("expected , or ] at %q", r.rest())
		}
	}
}

// versions reads an optional specifier set, up to end or the string's
// end.
func (r *reqParser) versions(end string) error {
	start := r.pos
	for r.pos < len(r.s) && !r.peek(end) {
		r.pos++
	}
	spec := strings.TrimSpace(r.s[start:r.pos])
	if spec == "" {
		return nil
	}
	for _, one := range strings.Split(spec, ",") {
		if err := checkSpecifier(strings.TrimSpace(one)); err != nil {
			return err
		}
	}
	return nil
}

// markerVars are the environment markers PEP 508 defines.
var markerVars = map[string]bool{"python_version": true, "python_full_version": true, "os_name": true,
	"sys_platform": true, "platform_release": true, "platform_system": true, "platform_version": true,
	"platform_machine": true, "platform_python_implementation": true, "implementation_name": true,
	"implementation_version": true, "extra": true,
	// PEP 508's older spellings, still accepted by packaging.
	"os.name": true, "sys.platform": true, "platform.version": true, "platform.machine": true,
	"platform.python_implementation": true, "python_implementation": true}

func (r *reqParser) markerOr() error {
	if err := r.markerAnd(); err != nil {
		return err
	}
	for r.ws(); r.eatWord("or"); r.ws() {
		if err := r.markerAnd(); err != nil {
			return err
		}
	}
	return nil
}

func (r *reqParser) markerAnd() error {
	if err := r.markerExpr(); err != nil {
		return err
	}
	for r.ws(); r.eatWord("and"); r.ws() {
		if err := r.markerExpr(); err != nil {
			return err
		}
	}
	return nil
}

// eatWord eats w when a word boundary follows it.
func (r *reqParser) eatWord(w string) bool {
	if !r.peek(w) {
		return false
	}
	if n := r.pos + len(w); n < len(r.s) && isIdentChar(r.s[n]) {
		return false
	}
	r.pos += len(w)
	return true
}

func (r *reqParser) markerExpr() error {
	r.ws()
	if r.eat("(") {
		if err := r.markerOr(); err != nil {
			return err
		}
		r.ws()
		if !r.eat(")") {
			return fmt.Errorf("expected ) at %q", r.rest())
		}
		return nil
	}
	if err := r.markerValue(); err != nil {
		return err
	}
	r.ws()
	if !r.markerOp() {
		return fmt.Errorf("expected a comparison at %q", r.rest())
	}
	r.ws()
	return r.markerValue()
}

func (r *reqParser) markerOp() bool {
	for _, o := range []string{"===", "~=", "==", "!=", "<=", ">=", "<", ">"} {
		if r.eat(o) {
			return true
		}
	}
	if r.eatWord("in") {
		return true
	}
	save := r.pos
	if r.eatWord("not") {
		r.ws()
		if r.eatWord("in") {
			return true
		}
	}
	r.pos = save
	return false
}

// markerValue reads an environment marker or a quoted string.
func (r *reqParser) markerValue() error {
	if r.done() {
		return fmt.Errorf("missing a value at the end")
	}
	if q := r.s[r.pos]; q == '"' || q == '\'' {
		end := strings.IndexByte(r.s[r.pos+1:], q)
		if end < 0 {
			return fmt.Errorf("unterminated string at %q", r.rest())
		}
		r.pos += end + 2
		return nil
	}
	start := r.pos
	for r.pos < len(r.s) && (isIdentChar(r.s[r.pos])) {
		r.pos++
	}
	if name := r.s[start:r.pos]; !markerVars[name] {
		return fmt.Errorf("%q is not an environment marker (python_version, sys_platform, extra, ...) nor a quoted string", name)
	}
	return nil
}
