package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/project"
	"github.com/pyinc/pyinc/wheel"
)

func newSdistCmd() *cobra.Command {
	var output string
	var quiet bool
	c := &cobra.Command{
		Use:   "sdist [DIR]",
		Short: "Write the project's source distribution (name-version.tar.gz)",
		Long: `Writes OUTDIR/name-version.tar.gz (OUTDIR defaults to DIR/dist) holding
PKG-INFO, pyproject.toml, the in-tree backend, the readme, license files, the
modules' sources and what [tool.pyinc] sdist-include names. The same inputs
give the same bytes (SOURCE_DATE_EPOCH sets the timestamps). The path written
is printed on stdout.`,
		Example: `  pyinc sdist
  pyinc sdist path/to/project -o /tmp/dist`,
		Args: argsBetween(0, 1, "[DIR]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := loadProject(args)
			if err != nil {
				return err
			}
			epoch, err := wheel.Epoch()
			if err != nil {
				return fail("%v", err)
			}
			name, data, err := wheel.Sdist(p, epoch)
			if err != nil {
				return fail("%v", err)
			}
			out := outDir(p, output)
			path, err := writeDist(out, name, data)
			if err != nil {
				return err
			}
			fmt.Println(path)
			if !quiet {
				fmt.Fprintf(os.Stderr, "%s: %s %s, %d bytes\n", path, p.Name, p.Version, len(data))
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "write into `OUTDIR` (default DIR/dist)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "no summary line on stderr")
	completeFlags(c)
	c.MarkFlagDirname("output")
	return c
}

// loadProject reads the project in args[0] (default "."); its errors are
// the user's to fix.
func loadProject(args []string) (*project.Project, error) {
	dir := "."
	if len(args) > 0 {
		dir = args[0]
	}
	p, err := project.Load(dir)
	if err != nil {
		return nil, fail("%v", err)
	}
	return p, nil
}

func outDir(p *project.Project, output string) string {
	if output != "" {
		return output
	}
	return filepath.Join(p.Dir, "dist")
}

// checkOutDir refuses an OUTDIR that cannot be written, before anything is
// built: it must be a writable directory, or not exist below one. fix says
// what to do instead ("pick another with -o").
func checkOutDir(dir, fix string) error {
	d := dir
	for {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return fail("cannot write into %s: %s is not a directory; %s", dir, d, fix)
			}
			f, err := os.CreateTemp(d, ".pyinc-probe*")
			if err != nil {
				return fail("cannot write into %s: %v; %s", dir, outfile.Reason(err), fix)
			}
			f.Close()
			os.Remove(f.Name())
			return nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fail("cannot write into %s", dir)
		}
		d = parent
	}
}

// writeDist writes data as dir/name atomically, making dir when missing.
func writeDist(dir, name string, data []byte) (string, error) {
	if err := checkOutDir(dir, "pick another with -o"); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fail("cannot create %s: %v", dir, outfile.Reason(err))
	}
	path := filepath.Join(dir, name)
	if err := writeOutput(path, data); err != nil {
		return "", err
	}
	return path, nil
}
