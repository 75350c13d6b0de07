package main

import (
	"github.com/spf13/cobra"

	"fmt"
	"os"
	"strings"
	"text/tabwriter"
)

const listText = `
Lists every Python pyinc finds: pyenv's versions, the interpreters on PATH,
and header directories in /usr/include and /usr/local/include; with --root,
also the Pythons of another root file system (whose interpreters may not run
here: pyinc reads their files). --python takes any VERSION shown here; the
first match in this order wins.

--porcelain prints one tab-separated line per Python, no header, for scripts:
VERSION INTERPRETER INCLUDE-DIR LIBPYTHON EXT-SUFFIX BUILD ("-" when unknown).`

func newListCmd() *cobra.Command {
	var porcelain bool
	var roots []string
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List the Pythons found on this machine",
		Long:  listText,
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return runList(porcelain, roots) },
	}
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
		build := strings.Join(p.Defines, ",")
		if build == "" {
			build = "release"
		}
		rows = append(rows, []string{p.Version, dash(p.Interpreter), p.IncludeDirs[0], dash(p.LibPython), dash(p.ExtSuffix), build})
	}
	if porcelain {
		for _, r := range rows {
			fmt.Println(strings.Join(r, "\t"))
		}
		return nil
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tINTERPRETER\tINCLUDE DIR\tLIBPYTHON\tEXT SUFFIX\tBUILD")
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
