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
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pyinc/pyinc/internal/editdist"
	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/internal/pipeline"
)

// Exit statuses, as documented in the root command's help and README.
const (
	exitOK      = 0
	exitDiffers = 1 // diff found differences
	exitError   = 2 // errors and usage errors
)

const rootText = `pyinc turns CPython's C headers into NASM include files, so that Python
extension modules can be written in pure x86-64 assembly, and carries them from
an .asm file to a wheel that pip installs.

Exit status:
  0    success
  1    differences found (pyinc diff)
  2    an error, or a usage error
  129  hung up (SIGHUP)
  130  interrupted (SIGINT)
  143  terminated (SIGTERM)
An interrupted run leaves its output files as they were and no temporary
file behind.`

// usageError is bad input: exit status 2 with a one-line message.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func fail(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// optionalCommands are commands a build tag adds (man, under -tags man).
var optionalCommands []func() *cobra.Command

// errDiffers makes pyinc exit with status 1 without a message.
var errDiffers = errors.New("differs")

// init installs the interrupt handler as early as pyinc's own code runs:
// a signal before this ends the process before it has touched any file.
func init() { handleInterrupts() }

func main() {
	if os.Getenv("GOTRACEBACK") == "" {
		// A fatal error the runtime cannot turn into a panic (out of
		// memory) prints its one line without goroutine stacks.
		debug.SetTraceback("none")
	}
	pipeline.Setup()
	os.Exit(execute(os.Args[1:]))
}

// handleInterrupts makes SIGHUP, SIGINT and SIGTERM end pyinc with the status a
// shell gives a process the signal killed (128 + the signal's number) and
// no half-written file: what is in flight is removed (outfile.Abandon) and
// the output files are left as they were.
func handleInterrupts() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		outfile.Abandon()
		fmt.Fprintf(os.Stderr, "pyinc: interrupted (%v)\n", s)
		os.Exit(128 + int(s.(syscall.Signal)))
	}()
}

// execute runs the command line args and returns the exit status. A
// panic becomes one line and exit status 2: no Go stack trace reaches a
// user.
func execute(args []string) (status int) {
	var bug error
	defer func() {
		if bug != nil {
			outfile.Cleanup()
			fmt.Fprintf(os.Stderr, "pyinc: %s\n", bug)
			status = exitError
		}
	}()
	defer recovered(&bug) // recover works only in the deferred call itself
	root := newRootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errDiffers):
		return exitDiffers
	}
	fmt.Fprintf(os.Stderr, "%s: %s\n", cmd.CommandPath(), oneLine(err.Error()))
	return exitError
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:     "pyinc",
		Short:   "NASM include files from CPython's C headers, and wheels from assembly",
		Long:    rootText,
		Version: buildVersion(),
		// Without a command pyinc shows its help; anything else that is not
		// a command is a mistake, answered with the nearest command.
		Args:              cobra.ArbitraryArgs,
		RunE:              runRoot,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		// "gne" is two edits from "gen".
		SuggestionsMinimumDistance: 2,
	}
	root.SetVersionTemplate("pyinc {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	root.SetHelpCommand(newHelpCmd())
	root.AddCommand(newGenCmd(), newListCmd(), newDiffCmd(), newShowCmd(), newRegenCmd(),
		newNewCmd(), newBuildCmd(), newSdistCmd(), newDevelopCmd(),
		newVersionCmd(), newCompletionCmd())
	for _, c := range optionalCommands {
		root.AddCommand(c())
	}
	return root
}

func runRoot(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	return unknownCommand(cmd, args[0])
}

func unknownCommand(root *cobra.Command, name string) error {
	if s := root.SuggestionsFor(name); len(s) > 0 {
		return fail("unknown command %q; did you mean %q? (run 'pyinc --help' for the list)", name, s[0])
	}
	return fail("unknown command %q; run 'pyinc --help' for the list", name)
}

// newHelpCmd is 'pyinc help [COMMAND]': the command's help on stdout, or
// a usage error with the nearest command for a name that is none.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Prints the help of a command (or of pyinc) on stdout, like 'pyinc COMMAND --help'.",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return commandNames(cmd.Root(), toComplete), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err == nil && len(rest) > 0 {
				return unknownCommand(cmd.Root(), rest[0])
			}
			if err != nil || target == nil {
				return unknownCommand(cmd.Root(), strings.Join(args, " "))
			}
			target.InitDefaultHelpFlag() // listed, as in 'COMMAND --help'
			return target.Help()
		},
	}
}

func commandNames(root *cobra.Command, prefix string) []cobra.Completion {
	var names []cobra.Completion
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && strings.HasPrefix(c.Name(), prefix) {
			names = append(names, cobra.CompletionWithDesc(c.Name(), c.Short))
		}
	}
	return names
}

// flagError turns pflag's messages into one line that names the fix, with
// the nearest flag for a mistyped one.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if near := nearestFlag(cmd, name); near != "" {
			return fail("unknown flag --%s; did you mean --%s? (see 'pyinc %s --help')", name, near, cmd.Name())
		}
	}
	return fail("%s (see '%s --help')", msg, cmd.CommandPath())
}

// nearestFlag is the flag of cmd closest to name, within two edits or
// sharing its first four letters, or "".
func nearestFlag(cmd *cobra.Command, name string) string {
	best, bestDist := "", 3
	consider := func(f *pflag.Flag) {
		d := editdist.Levenshtein(name, f.Name)
		prefix := len(name) >= 4 && strings.HasPrefix(f.Name, name[:4])
		if d < bestDist || (best == "" && prefix) {
			best, bestDist = f.Name, d
		}
	}
	cmd.Flags().VisitAll(consider)
	cmd.InheritedFlags().VisitAll(consider)
	return best
}

// recovered, deferred, turns a panic into *err: a bug in pyinc, said in
// one line. Every goroutine pyinc starts defers it.
func recovered(err *error) {
	if r := recover(); r != nil {
		*err = fail("internal error: %v (a bug in pyinc: please report it with the command that caused it)", oneLine(fmt.Sprint(r)))
	}
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
