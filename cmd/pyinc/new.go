package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/pyinc/pyinc/project"
)

func newNewCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "new NAME [DIR]",
		Short: "scaffold an extension module project in assembly",
		Long: `Writes a project whose extension module NAME is written in x86-64 assembly:
pyproject.toml (with [tool.pyinc] naming the module and its sources, and
pyinc_backend, an in-tree PEP 517 backend, so pip install . works offline),
NAME.asm, test_NAME.py, README.md and .gitignore. NAME must be a Python
identifier. DIR defaults to ./NAME; an existing non-empty DIR is refused.
The project's directory is printed on stdout.`,
		Example: `  pyinc new fastmath
  cd fastmath && pyinc build --inplace && python3 test_fastmath.py`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, dir := args[0], args[0]
			if len(args) == 2 {
				dir = args[1]
			}
			if err := project.New(name, dir); err != nil {
				return fail("%v", err)
			}
			fmt.Println(dir)
			fmt.Fprintf(os.Stderr, "created %s: cd %s && pyinc build --inplace && python3 test_%s.py\n", dir, dir, name)
			return nil
		},
	}
}
