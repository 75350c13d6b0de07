package main

import (
	"errors"
	"strings"

	"github.com/spf13/pflag"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/target"
)

// configFlags are the build configuration flags gen and diff share; prefix
// names a second set ("from-", "to-") for diff.
type configFlags struct {
	cparse.Config
	// Target is --target, PyConfig --pyconfig: the platform and, for a
	// target whose configuration header is not the Python's own, that
	// header.
	Target, PyConfig string
	prefix           string
}

func (c *configFlags) register(fs *pflag.FlagSet, prefix, whose string) {
	c.prefix = prefix
	short := ""
	if prefix == "" {
		short = "D"
	}
	fs.StringArrayVarP(&c.Defines, prefix+"define", short, nil,
		"configuration macro `NAME[=VALUE]`"+whose+" ("+strings.Join(cparse.ConfigMacros, ", ")+"); repeatable")
	fs.StringVar(&c.LimitedAPI, prefix+"limited-api", "", "set Py_LIMITED_API for `3.X`"+whose+": only the limited API (stable ABI)")
	fs.StringVar(&c.Target, prefix+"target", "", "the platform `NAME`"+whose+": "+strings.Join(target.Names(), " (default), "))
	fs.StringVar(&c.PyConfig, prefix+"pyconfig", "", "the target's configuration header `FILE`"+whose+", for Windows CPython's PC/pyconfig.h (PC/pyconfig.h.in); found beside a source tree's Include/")
}

// merged is this set of flags with the values of both that it does not
// set itself (diff's --define and --target apply to both sides).
func (c configFlags) merged(both configFlags) configFlags {
	c.Defines = append(append([]string{}, both.Defines...), c.Defines...)
	if c.LimitedAPI == "" {
		c.LimitedAPI = both.LimitedAPI
	}
	if c.Target == "" {
		c.Target = both.Target
	}
	if c.PyConfig == "" {
		c.PyConfig = both.PyConfig
	}
	return c
}

// resolve turns the flags into macros for py's headers.
func (c *configFlags) resolve(py *cparse.Python) ([]cparse.Define, error) {
	d, err := c.Config.Resolve(py)
	if err != nil {
		return nil, configFail(err, c.prefix)
	}
	return d, nil
}

// configFail says which flag gave the value a cparse.ConfigError is about.
func configFail(err error, prefix string) error {
	var ce *cparse.ConfigError
	if !errors.As(err, &ce) {
		return fail("%v", err)
	}
	switch {
	case ce.Part == cparse.DefinePart && strings.HasPrefix(ce.Value, "Py_LIMITED_API"):
		return fail("--%sdefine %s: %s; use --%slimited-api 3.X instead", prefix, ce.Value, ce.Reason, prefix)
	case ce.Part == cparse.DefinePart:
		return fail("--%sdefine %s: %s", prefix, ce.Value, ce.Reason)
	default:
		return fail("--%slimited-api %s: %s", prefix, ce.Value, ce.Reason)
	}
}
