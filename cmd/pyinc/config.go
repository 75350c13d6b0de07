package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pyinc/pyinc/cparse"
)

// configFlags are the build configuration flags gen and diff share.
type configFlags struct {
	defines    []string
	limitedAPI string
}

func (c *configFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&c.defines, "define", "D", nil,
		"configuration macro `NAME[=VALUE]` (Py_DEBUG, Py_TRACE_REFS, Py_REF_DEBUG, Py_GIL_DISABLED); repeatable.\nThe interpreter's own configuration (its pyconfig.h) is always in effect")
	fs.StringVar(&c.limitedAPI, "limited-api", "", "set Py_LIMITED_API for `3.X`: only the limited API (stable ABI) is emitted")
}

var (
	identRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	limitedRE = regexp.MustCompile(`^3\.([0-9]{1,2})$`)
)

// resolve turns the flags into macros for py's headers.
func (c *configFlags) resolve(py *cparse.Python) ([]cparse.Define, error) {
	var out []cparse.Define
	for _, d := range c.defines {
		name, val, ok := strings.Cut(d, "=")
		if !ok {
			val = "1"
		}
		if !identRE.MatchString(name) {
			return nil, fail("--define %q: %q is not a C identifier; pass NAME or NAME=VALUE", d, name)
		}
		if name == "Py_LIMITED_API" {
			return nil, fail("--define Py_LIMITED_API: use --limited-api 3.X instead")
		}
		out = append(out, cparse.Define{Name: name, Value: val})
	}
	if c.limitedAPI != "" {
		m := limitedRE.FindStringSubmatch(c.limitedAPI)
		if m == nil {
			return nil, fail("--limited-api %q: pass a Python 3 version such as 3.6", c.limitedAPI)
		}
		if strings.HasPrefix(py.Version, "2.") {
			return nil, fail("--limited-api: Python %s has no limited API; pick a Python 3", py.Version)
		}
		minor, _ := strconv.Atoi(m[1])
		if minor < 2 {
			return nil, fail("--limited-api %s: the limited API starts at 3.2", c.limitedAPI)
		}
		out = append(out, cparse.Define{Name: "Py_LIMITED_API", Value: fmt.Sprintf("0x03%02X0000", minor)})
	}
	return out, nil
}
