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

// Resolve turns c into the macros set before py's headers.
func (c Config) Resolve(py *Python) ([]Define, error) {
	var out []Define
	for _, d := range c.Defines {
		name, val, ok := strings.Cut(d, "=")
		if !ok {
			val = "1"
		}
		if !identRE.MatchString(name) {
			return nil, fmt.Errorf("--define %q: %q is not a C identifier; pass NAME or NAME=VALUE", d, name)
		}
		if name == "Py_LIMITED_API" {
			return nil, fmt.Errorf("--define Py_LIMITED_API: use --limited-api 3.X instead")
		}
		out = append(out, Define{Name: name, Value: val})
	}
	if c.LimitedAPI != "" {
		m := limitedRE.FindStringSubmatch(c.LimitedAPI)
		if m == nil {
			return nil, fmt.Errorf("--limited-api %q: pass a Python 3 version such as 3.6", c.LimitedAPI)
		}
		if strings.HasPrefix(py.Version, "2.") {
			return nil, fmt.Errorf("--limited-api: Python %s has no limited API; pick a Python 3", py.Version)
		}
		minor, _ := strconv.Atoi(m[1])
		if minor < 2 {
			return nil, fmt.Errorf("--limited-api %s: the limited API starts at 3.2", c.LimitedAPI)
		}
		// A stable ABI newer than the headers would be a promise they
		// cannot keep: they know nothing of what that version adds.
		if pyMinor, ok := py.minor(); ok && minor > pyMinor {
			return nil, fmt.Errorf("--limited-api %s: the headers of Python %s know the limited API only up to 3.%d; pass 3.2 to 3.%d", c.LimitedAPI, py.Version, pyMinor, pyMinor)
		}
		out = append(out, Define{Name: "Py_LIMITED_API", Value: fmt.Sprintf("0x03%02X0000", minor)})
	}
	return out, nil
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
