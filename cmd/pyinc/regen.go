package main

import (
	"github.com/spf13/cobra"

	"fmt"
	"os"
	"path/filepath"

	"github.com/pyinc/pyinc/snapshots"
	"github.com/pyinc/pyinc/target"
)

const regenText = `
Regenerates the snapshot includes listed in snapshots/manifest.txt (built into
pyinc) from the Pythons on this machine, into --dir, and rewrites the folder's
README index. A snapshot whose Python is not installed is left untouched, and
said so. A snapshot for another --target is made from CPython's source tree of
its version, found under a --src directory (as Python-X.Y.Z). make regen-inc
runs it.`

func newRegenCmd() *cobra.Command {
	var dir string
	var roots, srcs []string
	cmd := &cobra.Command{
		Use:   "regen [flags]",
		Short: "Regenerate the committed snapshots (make regen-inc)",
		Long:  regenText,
		Args:  noArgs,
		RunE:  func(*cobra.Command, []string) error { return runRegen(dir, roots, srcs) },
	}
	cmd.Flags().StringVar(&dir, "dir", "snapshots", "the snapshots `DIR`")
	cmd.Flags().StringArrayVar(&roots, "root", nil, "also use the Pythons of the root file system `DIR`; repeatable")
	cmd.Flags().StringArrayVar(&srcs, "src", nil, "look for CPython source trees (Python-X.Y.Z) in `DIR`, for the snapshots of other targets; repeatable")
	completeFlags(cmd)
	return cmd
}

func runRegen(dir string, roots, srcs []string) error {
	entries, err := snapshots.Manifest()
	if err != nil {
		return err
	}
	all, err := discoverWith(roots)
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.File)
		tg, err := target.Parse(e.Target)
		if err != nil {
			return fail("%s: %v", e.File, err)
		}
		py := e.Find(all)
		if !tg.IsDefault() {
			py = e.FindSource(srcs)
		}
		if py == nil && !tg.IsDefault() {
			fmt.Fprintf(os.Stderr, "regen: %s left as it is: no source tree Python-%s in --src\n", path, e.Version)
			continue
		}
		if py == nil {
			build := "release"
			if e.Debug {
				build = "debug"
			}
			fmt.Fprintf(os.Stderr, "regen: %s left as it is: Python %s (%s) is not installed\n", path, e.Version, build)
			continue
		}
		defines, err := e.Config.Resolve(py)
		if err != nil {
			return fail("%s: %v", e.File, err)
		}
		r, err := generate(py, defines, tg, true, true)
		if err != nil {
			return err
		}
		if err := writeOutput(path, r.Include); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "regen: %s from %s %s\n", path, py.Version, e.Flags())
	}
	index := snapshots.Index(entries, func(file string) string {
		b, _ := os.ReadFile(filepath.Join(dir, file))
		return snapshots.HeaderConfig(b)
	})
	return writeOutput(filepath.Join(dir, "README.md"), index)
}
