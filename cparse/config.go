package cparse

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Config is a build configuration as the user states it: -D macros and a
// limited API version.
type Config struct {
	Defines    []string // NAME or NAME=VALUE
	LimitedAPI string   // "3.X", or ""
}

var (
	identRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	limitedRE = regexp.MustCompile(`^3\.([0-9]{1,2})$`)
)

// ConfigPart names the part of a Config an error is about.
type ConfigPart string

const (
	DefinePart     ConfigPart = "define"
	LimitedAPIPart ConfigPart = "limited API"
)

// ConfigError is a build configuration that cannot be: which part, the
// value given, and why. It names no command-line flag: the command that
// took the value adds how it was given.
type ConfigError struct {
	Part   ConfigPart
	Value  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Part, e.Value, e.Reason)
}

func configError(part ConfigPart, value, format string, args ...any) error {
	return &ConfigError{Part: part, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// Resolve turns c into the macros set before py's headers.
func (c Config) Resolve(py *Python) ([]Define, error) {
	var out []Define
	for _, d := range c.Defines {
		name, val, ok := strings.Cut(d, "=")
		if !ok {
			val = "1"
		}
		if !identRE.MatchString(name) {
			return nil, configError(DefinePart, d, "%q is not a C identifier; pass NAME or NAME=VALUE", name)
		}
		if name == "Py_LIMITED_API" {
			return nil, configError(DefinePart, d, "the limited API is chosen by its version, not by this macro")
		}
		if err := checkDefineValue(name, val, ok); err != nil {
			return nil, configError(DefinePart, d, "%v", err)
		}
		out = append(out, Define{Name: name, Value: val})
	}
	if c.LimitedAPI == "" {
		return out, nil
	}
	minor, err := limitedMinor(c.LimitedAPI, py)
	if err != nil {
		return nil, err
	}
	return append(out, Define{Name: "Py_LIMITED_API", Value: fmt.Sprintf("0x03%02X0000", minor)}), nil
}

// defineValueRE is what a -D value may be: C tokens of numbers, names
// and operators, on one line. A quote, a backslash or a comment would
// reach the headers as a broken line, blamed on the first header that
// uses the macro (or not at all).
var defineValueRE = regexp.MustCompile(`^[A-Za-z0-9_ ()+\-*<>|&!~.]*$`)

// checkDefineValue refuses a value the headers would misread: one that is
// no C tokens, or a value for a macro the headers only test with #ifdef.
func checkDefineValue(name, val string, given bool) error {
	if !defineValueRE.MatchString(val) {
		return fmt.Errorf("the value %q is not a C number or name: pass NAME or NAME=VALUE with VALUE such as 1 or 0x030C0000", val)
	}
	for _, m := range ConfigMacros {
		if name == m && given && val != "1" {
			return fmt.Errorf("the headers test only whether %s is defined, so %s=%s would mean %s all the same: leave it out for a build without it", name, name, val, name)
		}
	}
	return nil
}

// limitedMinor checks a limited API version, "3.X", against py's headers
// and returns X.
func limitedMinor(v string, py *Python) (int, error) {
	m := limitedRE.FindStringSubmatch(v)
	if m != nil && len(m[1]) > 1 && m[1][0] == '0' {
		// 3.08 would be read as 3.8 here and tagged cp308 by a wheel.
		return 0, configError(LimitedAPIPart, v, "write the minor version without a leading zero: 3.%s", strings.TrimLeft(m[1], "0"))
	}
	if m == nil {
		return 0, configError(LimitedAPIPart, v, "pass a Python 3 version such as 3.6")
	}
	if strings.HasPrefix(py.Version, "2.") {
		return 0, configError(LimitedAPIPart, v, "Python %s has no limited API; pick a Python 3", py.Version)
	}
	minor, _ := strconv.Atoi(m[1])
	if minor < 2 {
		return 0, configError(LimitedAPIPart, v, "the limited API starts at 3.2")
	}
	// A stable ABI newer than the headers would be a promise they cannot
	// keep: they know nothing of what that version adds.
	if pyMinor, ok := py.minor(); ok && minor > pyMinor {
		return 0, configError(LimitedAPIPart, v, "the headers of Python %s know the limited API only up to 3.%d; pass 3.2 to 3.%d", py.Version, pyMinor, pyMinor)
	}
	return minor, nil
}

// minor is the minor version of a Python 3, e.g. 12 for "3.12.1".
func (p *Python) minor() (int, bool) {
	major, rest, ok := strings.Cut(p.MajorMinor(), ".")
	n, err := strconv.Atoi(rest)
	return n, ok && major == "3" && err == nil
}

// IsDebug reports whether the interpreter itself is a debug build.
func (p *Python) IsDebug() bool {
	for _, d := range p.Defines {
		if d == "Py_DEBUG" {
			return true
		}
	}
	return false
}

// ConfigMacros are the build configuration macros pyinc knows: those an
// interpreter reports in its sysconfig and that -D may set before the
// headers.
var ConfigMacros = []string{"Py_DEBUG", "Py_TRACE_REFS", "Py_REF_DEBUG", "Py_GIL_DISABLED"}
