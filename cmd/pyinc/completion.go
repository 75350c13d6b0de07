package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/target"
)

const completionText = `
Prints a completion script for bash, zsh or fish. It completes commands,
flags, and flag values: --python from the Pythons 'pyinc list' finds,
--define from the configuration macros, --limited-api from 3.2 up to the
newest Python found, and file or directory names where a flag takes one.

  bash:  source <(pyinc completion bash)
         (or save it as /etc/bash_completion.d/pyinc)
  zsh:   pyinc completion zsh > "${fpath[1]}/_pyinc"
  fish:  pyinc completion fish > ~/.config/fish/completions/pyinc.fish`

func newCompletionCmd() *cobra.Command {
	return &cobra.Command{
		Use:       "completion bash|zsh|fish",
		Short:     "Print a shell completion script",
		Long:      completionText,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 || !slices.Contains(cmd.ValidArgs, args[0]) {
				return fail("completion takes one shell: bash, zsh or fish")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			default:
				return root.GenFishCompletion(out, true)
			}
		},
	}
}

// argsBetween accepts min to max positional arguments, else a usage error
// that shows the command's synopsis.
func argsBetween(min, max int, synopsis string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return fail("expected %s, got %d arguments (see '%s --help')", synopsis, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// noArgsHint refuses positional arguments, saying what to do instead.
func noArgsHint(hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return fail("unexpected argument %q: %s", args[0], hint)
		}
		return nil
	}
}

// completeFlags attaches value completion to the flags of cmd that pyinc's
// commands share, by name: call it once the flags are defined.
func completeFlags(cmd *cobra.Command) {
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		switch name := f.Name; {
		case name == "python":
			cmd.RegisterFlagCompletionFunc(name, completePythonValues)
		case strings.HasSuffix(name, "define"):
			cmd.RegisterFlagCompletionFunc(name, fixedValues(cparse.ConfigMacros...))
		case strings.HasSuffix(name, "limited-api"):
			cmd.RegisterFlagCompletionFunc(name, completeLimitedAPI)
		case strings.HasSuffix(name, "target"):
			cmd.RegisterFlagCompletionFunc(name, fixedValues(target.Names()...))
		case strings.HasSuffix(name, "pyconfig"):
			cmd.MarkFlagFilename(name, "h", "in")
		case name == "root" || name == "include-dir" || name == "dir":
			cmd.MarkFlagDirname(name)
		case name == "uses":
			cmd.MarkFlagFilename(name, "asm")
		}
	})
}

func fixedValues(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// pythonsFor lists the Pythons found, with those of the --root trees
// already on the command line.
func pythonsFor(cmd *cobra.Command) []*cparse.Python {
	roots, _ := cmd.Flags().GetStringArray("root")
	return cparse.DiscoverWith(roots)
}

// completePythonValues offers what --python takes: each version found, its
// major.minor, and each interpreter's path.
func completePythonValues(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	seen := map[string]bool{}
	add := func(v, desc string) {
		if v != "" && !seen[v] && strings.HasPrefix(v, toComplete) {
			seen[v] = true
			out = append(out, cobra.CompletionWithDesc(v, desc))
		}
	}
	for _, py := range pythonsFor(cmd) {
		desc := "CPython " + py.Version
		add(py.MajorMinor(), desc)
		add(py.Version, desc)
		add(py.Interpreter, desc)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completePythonArgs completes diff's FROM and TO: Pythons, or .inc files.
func completePythonArgs(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) >= 2 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	if strings.Contains(toComplete, "/") || strings.HasSuffix(toComplete, ".inc") {
		return []cobra.Completion{"inc"}, cobra.ShellCompDirectiveFilterFileExt
	}
	out, _ := completePythonValues(cmd, args, toComplete)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeLimitedAPI offers 3.2 (where the limited API starts) up to the
// newest Python 3 found.
func completeLimitedAPI(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	newest := 2
	for _, py := range pythonsFor(cmd) {
		major, minor, ok := strings.Cut(py.MajorMinor(), ".")
		if n, err := strconv.Atoi(minor); ok && major == "3" && err == nil && n > newest {
			newest = n
		}
	}
	var out []cobra.Completion
	for m := 2; m <= newest; m++ {
		if v := fmt.Sprintf("3.%d", m); strings.HasPrefix(v, toComplete) {
			out = append(out, v)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
