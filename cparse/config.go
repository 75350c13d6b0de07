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
		out = append(out, Define{Name: "Py_LIMITED_API", Value: fmt.Sprintf("0x03%02X0000", minor)})
	}
	return out, nil
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
