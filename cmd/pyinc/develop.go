package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pyinc/pyinc/internal/outfile"
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
			for _, w := range paths {
				if err := pipInstall(py.Interpreter, w); err != nil {
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
// to stderr, and its last error line becomes pyinc's.
func pipInstall(python, wheel string) error {
	if exec.Command(python, "-m", "pip", "--version").Run() != nil {
		return fail("%s has no pip: run %s -m ensurepip, then try again", python, python)
	}
	cmd := exec.Command(python, "-m", "pip", "install", "--no-index", "--no-deps", "--force-reinstall",
		"--disable-pip-version-check", "-q", wheel)
	// pip's messages go to stderr as they come; its error lines are kept
	// for pyinc's one-line message.
	var errBuf bytes.Buffer
	cmd.Stdout = os.Stderr
	cmd.Stderr = io.MultiWriter(os.Stderr, &errBuf)
	if err := outfile.Run(cmd); err != nil {
		return fail("%s -m pip install %s failed: %s", python, filepath.Base(wheel), firstErrorLine(errBuf.String(), err))
	}
	return nil
}

func firstErrorLine(s string, err error) string {
	for _, l := range bytes.Split([]byte(s), []byte("\n")) {
		if bytes.Contains(l, []byte("ERROR")) {
			return string(bytes.TrimSpace(l))
		}
	}
	return err.Error()
}
