package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/project"
)

func newDevelopCmd() *cobra.Command {
	var f buildFlags
	var python string
	c := &cobra.Command{
		Use:   "develop [DIR]",
		Short: "Build the project and install it into a Python environment",
		Long: `Builds the project's wheel for one interpreter and installs it with that
interpreter's own pip (--no-index --no-deps --force-reinstall), as maturin
develop does. The interpreter is --python, else the active virtual
environment's ($VIRTUAL_ENV), else the python3 on PATH. pip's output goes to
stderr; the installed wheel's name is printed on stdout.`,
		Example: `  pyinc develop --python .venv/bin/python
  . .venv/bin/activate && pyinc develop`,
		Args: argsBetween(0, 1, "[DIR]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadProject(args)
			if err != nil {
				return err
			}
			if python == "" {
				if venv := os.Getenv("VIRTUAL_ENV"); venv != "" {
					python = filepath.Join(venv, "bin", "python")
				}
			}
			py, err := findPython(python, "", f.roots)
			if err != nil {
				return err
			}
			if py.Root != "" || py.Interpreter == "" {
				return fail("Python %s cannot run on this system, so cannot install: pick one with --python", py.Version)
			}
			tmp, done, err := outfile.TempDir("pyinc-develop")
			if err != nil {
				return err
			}
			defer done()
			f.pythons, f.output = []string{py.Interpreter}, tmp
			paths, err := runBuild(p, f)
			if err != nil {
				return err
			}
			// pip and the import check run from a neutral directory: every
			// path they get is absolute.
			for _, w := range paths {
				if w, err = filepath.Abs(w); err != nil {
					return fail("%v", err)
				}
				if err := pipInstall(py, w); err != nil {
					return err
				}
				if err := checkImports(py, p.Modules); err != nil {
					return err
				}
				fmt.Println(filepath.Base(w))
			}
			return nil
		},
	}
	fs := c.Flags()
	fs.StringVar(&python, "python", "", "the interpreter to install into: version, name or path")
	fs.StringArrayVar(&f.roots, "root", nil, "also look for Pythons in the root file system `DIR`; repeatable")
	fs.StringVar(&f.limitedAPI, "limited-api", "", "build an abi3 wheel for CPython `3.X` and newer")
	fs.BoolVar(&f.debug, "debug", false, "assemble with DWARF debug information")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines on stderr")
	completeFlags(c)
	return c
}

// pipInstall installs wheel with python's pip, offline; pip's messages go
// to stderr, and its last error line becomes pyinc's. pip runs isolated
// from a neutral directory (cparse's IsolatedCommand): a pip.py in the
// project or the working directory must not take its place.
func pipInstall(py *cparse.Python, wheel string) error {
	python := py.Interpreter
	if py.IsolatedCommand("-m", "pip", "--version").Run() != nil {
		return fail("%s has no pip: run %s -m ensurepip, then try again", python, python)
	}
	cmd := py.IsolatedCommand("-m", "pip", "install", "--no-index", "--no-deps", "--force-reinstall",
		"--disable-pip-version-check", "-q", wheel)
	// pip's messages go to stderr as they come; its error lines are kept
	// for pyinc's one-line message.
	var errBuf bytes.Buffer
	cmd.Stdout = os.Stderr
	cmd.Stderr = io.MultiWriter(os.Stderr, &errBuf)
	if err := outfile.Run(cmd); err != nil {
		if strings.Contains(errBuf.String(), "externally-managed-environment") {
			return fail("%s is externally managed (PEP 668): its pip installs nothing there; make a virtual environment (%s -m venv .venv) and pass --python .venv/bin/python", python, python)
		}
		return fail("%s -m pip install %s failed: %s", python, filepath.Base(wheel), firstErrorLine(errBuf.String(), err))
	}
	return nil
}

// checkImports imports each module with python, isolated and from a
// neutral directory, so that what is imported is what pip installed into
// python's environment, not a file of the project's.
func checkImports(py *cparse.Python, modules []project.Module) error {
	python := py.Interpreter
	for _, m := range modules {
		cmd := py.IsolatedCommand("-c", "import "+m.Name)
		var errBuf bytes.Buffer
		cmd.Stderr = &errBuf
		if err := outfile.Run(cmd); err != nil {
			return fail("pip installed the wheel, but %s cannot import %s from its environment: %s", python, m.Name, lastErrorLine(errBuf.String(), err))
		}
	}
	return nil
}

// lastErrorLine is the last line of a Python traceback (the exception),
// else err.
func lastErrorLine(s string, err error) string {
	if l := strings.TrimSpace(s); l != "" {
		lines := strings.Split(l, "\n")
		return strings.TrimSpace(lines[len(lines)-1])
	}
	return err.Error()
}

func firstErrorLine(s string, err error) string {
	for _, l := range bytes.Split([]byte(s), []byte("\n")) {
		if bytes.Contains(l, []byte("ERROR")) {
			return string(bytes.TrimSpace(l))
		}
	}
	return err.Error()
}
