// Package pipeline runs pyinc's stages in order: cparse parses a Python's
// headers, layout builds the model, emit writes the include. The command
// and the tests share it, so that they generate exactly the same thing.
package pipeline

import (
	"bytes"
	"path/filepath"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/layout"
	"github.com/pyinc/pyinc/target"
)

// Version is pyinc's version, written into every generated file.
const Version = "0.1.0"

// Result is what each stage produced.
type Result struct {
	Unit    *cparse.Unit
	Model   *layout.Model
	Include []byte
	// Warnings name what was left out of the include and why: constructs
	// NASM cannot express, values pyinc cannot vouch for, name collisions.
	Warnings []string
	Summary  Summary
	Cached   bool // taken from the cache: Unit and Model are nil
}

// Run parses py's headers under defines, builds the model and writes the
// include, keeping what each stage produced.
func Run(py *cparse.Python, defines []cparse.Define) (*Result, error) {
	return RunFor(py, defines, target.Default())
}

// RunFor is Run for the target tg. A libpython is checked against only
// for the default target: it is the host's.
func RunFor(py *cparse.Python, defines []cparse.Define, tg target.Target) (*Result, error) {
	u, err := cparse.ParseFor(py, defines, tg)
	if err != nil {
		return nil, err
	}
	opt := layout.Options{}
	if py.LibPython != "" && tg.IsDefault() {
		exp, err := cparse.Exports(py.LibPython)
		if err != nil {
			return nil, err
		}
		opt.Exports, opt.LibPython = exp, filepath.Base(py.LibPython)
	}
	m, err := layout.Build(u, opt)
	if err != nil {
		return nil, err
	}
	r := &Result{Unit: u, Model: m, Warnings: append([]string{}, m.Omitted...)}
	var buf bytes.Buffer
	warn := func(s string) { r.Warnings = append(r.Warnings, s) }
	if err := emit.NASM(&buf, m, emit.Options{Generator: "pyinc " + Version, Warn: warn}); err != nil {
		return nil, err
	}
	r.Include = buf.Bytes()
	r.Summary = Summary{PyVersion: m.PyVersion, Structs: len(m.Structs), Constants: len(m.Constants)}
	for _, s := range m.Symbols {
		if !s.NotInLib {
			r.Summary.Externs++
		}
	}
	return r, nil
}
