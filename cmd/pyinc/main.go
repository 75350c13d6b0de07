// Command pyinc turns CPython's C headers into NASM include files, so that
// Python extension modules can be written in x86-64 assembly.
//
//	pyinc gen --python 3.9            write ./python.inc for CPython 3.9
//	pyinc list                        every Python found on this machine
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/internal/pipeline"
)

// Version is pyinc's version, written into every generated file.
const Version = pipeline.Version

// usageError is bad input: exit status 2 with a one-line message.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func fail(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

var commands = []struct {
	name, summary string
	run           func(args []string) error
}{
	{"gen", "generate python.inc for one Python", runGen},
	{"list", "list the Pythons found on this machine", runList},
	{"diff", "show what changed in the ABI between two Pythons or includes", runDiff},
	{"regen", "regenerate the committed snapshots (make regen-inc)", runRegen},
}

func usage() {
	fmt.Fprintf(os.Stderr, `pyinc %s: NASM include files from CPython's C headers.

Usage:
  pyinc <command> [flags]

Commands:
`, Version)
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-6s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun 'pyinc <command> --help' for a command's flags.\n")
}

// init installs the interrupt handler as early as pyinc's own code runs:
// a signal before this ends the process before it has touched any file.
func init() { handleInterrupts() }

func main() {
	pipeline.Setup()
	os.Exit(run(os.Args[1:]))
}

// handleInterrupts makes SIGINT and SIGTERM end pyinc with status 2 and
// no half-written file: what is in flight is removed (outfile.Abandon) and
// the output files are left as they were.
func handleInterrupts() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		outfile.Abandon()
		fmt.Fprintf(os.Stderr, "pyinc: interrupted (%v)\n", s)
		os.Exit(2)
	}()
}

func run(args []string) int {
	if len(args) == 0 {
		usage()
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage()
		return 0
	case "-v", "--version", "version":
		fmt.Println("pyinc", Version)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, pflag.ErrHelp):
				return 0
			case errors.Is(err, errDiffers):
				return 1
			default:
				fmt.Fprintf(os.Stderr, "pyinc %s: %s\n", c.name, oneLine(err.Error()))
				return 2
			}
		}
	}
	fmt.Fprintf(os.Stderr, "pyinc: unknown command %q; run 'pyinc --help' for the list\n", args[0])
	return 2
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// newFlags makes a flag set whose --help prints the command's own text.
func newFlags(name, synopsis, text string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: pyinc %s %s\n\n%s\n\nFlags:\n%s", name, synopsis, strings.TrimSpace(text), fs.FlagUsages())
	}
	return fs
}

// parseFlags parses args; a bad flag is a usage error naming it.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	fs.SetOutput(discard{})
	err := fs.Parse(args)
	fs.SetOutput(os.Stderr)
	if errors.Is(err, pflag.ErrHelp) {
		fs.Usage()
		return err
	}
	if err != nil {
		return fail("%v (see 'pyinc %s --help')", err, fs.Name())
	}
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
