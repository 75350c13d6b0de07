package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/target"
)

const listText = `
Lists every Python pyinc finds: pyenv's versions, the interpreters on PATH,
and header directories in /usr/include and /usr/local/include; with --root,
also the Pythons of another root file system (whose interpreters may not run
here: pyinc reads their files). --python takes any VERSION shown here; the
first match in this order wins.

--porcelain prints one tab-separated line per Python, no header, for scripts:
VERSION INTERPRETER INCLUDE-DIR LIBPYTHON EXT-SUFFIX BUILD ("-" when unknown).

--target windows-x86_64 lists what pyinc build --target windows-x86_64 can
build for: each Python 3's headers, with the module suffix and the Python DLL
its Windows build has (a Windows Python cannot run here: nothing is asked of
an interpreter). Building needs the Windows configuration header besides:
--pyconfig, or --include-dir of a CPython source tree. --porcelain: VERSION
INCLUDE-DIR MODULE-SUFFIX PYTHON-DLL BUILD.`

func newListCmd() *cobra.Command {
	var porcelain bool
	var roots []string
	var tgName string
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the Pythons found on this machine",
		Long:  listText,
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			tg, err := target.Parse(tgName)
			if err != nil {
				return fail("--target: %v", err)
			}
			if tg.Build().FromVersion {
				return runListFor(tg, porcelain, roots)
			}
			return runList(porcelain, roots)
		},
	}
	cmd.Flags().StringVar(&tgName, "target", "", "list what can be built for the platform `NAME`: "+strings.Join(target.Names(), " (default), "))
	cmd.Flags().BoolVar(&porcelain, "porcelain", false, "tab-separated lines for scripts, no header")
	cmd.Flags().StringArrayVar(&roots, "root", nil, "also list the Pythons of the root file system `DIR` (a debootstrap tree); repeatable")
	completeFlags(cmd)
	return cmd
}

func runList(porcelain bool, roots []string) error {
	all, err := discoverWith(roots)
	if err != nil {
		return err
	}
	rows := [][]string{}
	for _, p := range all {
		rows = append(rows, []string{p.Version, dash(p.Interpreter), p.IncludeDirs[0], dash(p.LibPython), dash(p.ExtSuffix), buildName(p)})
	}
	return printRows(porcelain, "VERSION\tINTERPRETER\tINCLUDE DIR\tLIBPYTHON\tEXT SUFFIX\tBUILD", rows)
}

// buildName is the BUILD column: the configuration macros, or release.
func buildName(p *cparse.Python) string {
	if len(p.Defines) == 0 {
		return "release"
	}
	return strings.Join(p.Defines, ",")
}

// printRows prints rows as tab-separated lines (porcelain) or as a table
// under header.
func printRows(porcelain bool, header string, rows [][]string) error {
	if porcelain {
		for _, r := range rows {
			fmt.Println(strings.Join(r, "\t"))
		}
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// runListFor lists, for a target whose modules are named from the
// version (Windows), each Python 3's headers with the module suffix and
// DLL a build for it gets.
func runListFor(tg target.Target, porcelain bool, roots []string) error {
	all, err := discoverWith(roots)
	if err != nil {
		return err
	}
	b := tg.Build()
	rows := [][]string{}
	for _, p := range all {
		if !strings.HasPrefix(p.Version, "3.") {
			continue
		}
		ft := slices.Contains(p.Defines, "Py_GIL_DISABLED")
		rows = append(rows, []string{p.Version, p.IncludeDirs[0], b.ModuleSuffix(p.MajorMinor(), false, p.IsDebug(), ft),
			b.PythonDLL(p.MajorMinor(), false, p.IsDebug(), ft), buildName(p)})
	}
	if err := printRows(porcelain, "VERSION\tINCLUDE DIR\tMODULE SUFFIX\tPYTHON DLL\tBUILD", rows); err != nil || porcelain {
		return err
	}
	fmt.Printf("abi3 (--limited-api 3.X): module%s, importing %s. Building for %s also takes the headers' Windows configuration header: --pyconfig CPYTHON_SOURCE/PC/pyconfig.h (3.13+: pyconfig.h.in), or --include-dir CPYTHON_SOURCE/Include.\n",
		b.ABI3Suffix, b.PythonDLL("3", true, false, false), tg.Name)
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
