package main

import (
	"github.com/spf13/cobra"

	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/snapshots"
)

const diffText = `
Shows what changed in the ABI between two Pythons, or two build
configurations of one, for a person porting an assembly extension: per struct,
members added, removed or moved, changed sizes and types, members that became
union alternatives or bitfields; constants added, removed or changed; EXTERNs
added and removed. Changes that break existing code come first.

FROM and TO are each a version (3.11), an interpreter name or path, or an
include file (a .inc written by pyinc gen, e.g. one in snapshots/).
--define and --limited-api apply to both sides; --from-... and --to-... to one.

Exit status: 0 when nothing differs, 1 when something does, 2 on error.`

const diffExamples = `  pyinc diff 3.11 3.12
  pyinc diff 3.13 3.13 --to-define Py_GIL_DISABLED
  pyinc diff snapshots/python3.9.inc snapshots/python3.10.inc
  pyinc diff --unified 3.9 3.10
  pyinc diff --format json 3.11 3.12`

type diffFlags struct {
	both, from, to configFlags
	roots          []string
	unified        bool
	format         string
}

func newDiffCmd() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:     "diff [flags] FROM TO",
		Short:   "Show what changed in the ABI between two Pythons or includes",
		Long:    diffText,
		Example: diffExamples,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return fail("diff takes two arguments, FROM and TO (see 'pyinc diff --help')")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error { return runDiff(f, args[0], args[1]) },
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	f.both.register(fs, "", " for both sides")
	f.from.register(fs, "from-", " for FROM only")
	f.to.register(fs, "to-", " for TO only")
	fs.StringArrayVar(&f.roots, "root", nil, "also look for Pythons in the root file system `DIR`; repeatable")
	fs.BoolVar(&f.unified, "unified", false, "print a plain unified diff of the two includes instead")
	fs.StringVar(&f.format, "format", "text", "report `FORMAT`: text or json")
	cmd.RegisterFlagCompletionFunc("format", fixedValues("text", "json"))
	cmd.ValidArgsFunction = completePythonArgs
	completeFlags(cmd)
	return cmd
}

func runDiff(f diffFlags, fromSpec, toSpec string) error {
	if f.format != "text" && f.format != "json" {
		return fail("--format %q: pass text or json", f.format)
	}
	specs := [2]string{fromSpec, toSpec}
	var texts [2]string
	for i, side := range []configFlags{f.from, f.to} {
		side.Defines = append(append([]string{}, f.both.Defines...), side.Defines...)
		if side.LimitedAPI == "" {
			side.LimitedAPI = f.both.LimitedAPI
		}
		t, err := includeFor(specs[i], side, f.roots)
		if err != nil {
			return err
		}
		texts[i] = t
	}
	if f.unified {
		if texts[0] == texts[1] {
			return nil
		}
		fmt.Print(snapshots.Unified(texts[0], texts[1], fromSpec, toSpec, 3, -1))
		return errDiffers
	}
	var sums [2]*snapshots.Summary
	for i, t := range texts {
		s, err := snapshots.Read(t)
		if err != nil {
			return fail("%s: %v", specs[i], err)
		}
		sums[i] = s
	}
	r := snapshots.Compare(sums[0], sums[1])
	if f.format == "json" {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		r.WriteText(os.Stdout)
	}
	if len(r.Changes) > 0 {
		return errDiffers
	}
	return nil
}

// includeFor reads an include file, or generates the include for a Python.
func includeFor(spec string, cfg configFlags, roots []string) (string, error) {
	if strings.HasSuffix(spec, ".inc") {
		if len(cfg.Defines) > 0 || cfg.LimitedAPI != "" {
			return "", fail("%s is an include file: configuration flags do not apply to it", spec)
		}
		b, err := os.ReadFile(spec)
		if err != nil {
			return "", fail("cannot read %s: %v", spec, outfile.Reason(err))
		}
		return string(b), nil
	}
	py, err := findPython(spec, "", roots)
	if err != nil {
		return "", err
	}
	defines, err := cfg.resolve(py)
	if err != nil {
		return "", err
	}
	r, err := generate(py, defines, true, true)
	if err != nil {
		return "", err
	}
	return string(r.Include), nil
}
