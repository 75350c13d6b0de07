package main

import (
	"github.com/spf13/pflag"

	"github.com/pyinc/pyinc/cparse"
)

// configFlags are the build configuration flags gen and diff share; prefix
// names a second set ("from-", "to-") for diff.
type configFlags struct {
	cparse.Config
}

func (c *configFlags) register(fs *pflag.FlagSet, prefix, whose string) {
	short := ""
	if prefix == "" {
		short = "D"
	}
	fs.StringArrayVarP(&c.Defines, prefix+"define", short, nil,
		"configuration macro `NAME[=VALUE]`"+whose+" (Py_DEBUG, Py_TRACE_REFS, Py_REF_DEBUG, Py_GIL_DISABLED); repeatable")
	fs.StringVar(&c.LimitedAPI, prefix+"limited-api", "", "set Py_LIMITED_API for `3.X`"+whose+": only the limited API (stable ABI)")
}

// resolve turns the flags into macros for py's headers.
func (c *configFlags) resolve(py *cparse.Python) ([]cparse.Define, error) {
	d, err := c.Config.Resolve(py)
	if err != nil {
		return nil, fail("%v", err)
	}
	return d, nil
}
