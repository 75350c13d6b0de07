package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/target"
)

// forTarget resolves --target and --pyconfig (with the prefix of their
// set): the target, and py as that target's compiler must see it, with
// the target's configuration header where it is not the Python's own.
func (c *configFlags) forTarget(py *cparse.Python) (*cparse.Python, target.Target, error) {
	tg, err := target.Parse(c.Target)
	if err != nil {
		return nil, tg, fail("--%starget: %v", c.prefix, err)
	}
	header := c.PyConfig
	if header == "" && !tg.IsDefault() {
		header = sourceConfigHeader(py)
	}
	if header != "" {
		if py, err = cparse.WithConfigHeader(py, header); err != nil {
			return nil, tg, fail("--%spyconfig %s: %v", c.prefix, header, err)
		}
	}
	if tg.Conv == target.MicrosoftX64 && !windowsConfig(py) {
		dir := "the headers"
		if len(py.IncludeDirs) > 0 {
			dir = py.IncludeDirs[0]
		}
		return nil, tg, fail("--%starget %s: the headers in %s have no Windows configuration header: pass --%spyconfig FILE, CPython's PC/pyconfig.h (3.13 and later: PC/pyconfig.h.in) of the same version, or the include/ of a Windows Python", c.prefix, tg.Name, dir, c.prefix)
	}
	return py, tg, nil
}

// sourceConfigHeader is the Windows configuration header of the source
// tree whose Include/ py's headers are, if they are one's.
func sourceConfigHeader(py *cparse.Python) string {
	if len(py.IncludeDirs) == 0 {
		return ""
	}
	return cparse.SourceConfigHeader(py.IncludeDirs[0])
}

// windowsConfig reports whether the pyconfig.h py's headers include is
// CPython's Windows one, which defines MS_WINDOWS itself.
func windowsConfig(py *cparse.Python) bool {
	if len(py.IncludeDirs) == 0 {
		return false
	}
	b, err := os.ReadFile(filepath.Join(py.IncludeDirs[0], "pyconfig.h"))
	return err == nil && strings.Contains(string(b), "#define MS_WINDOWS")
}
