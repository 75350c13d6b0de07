package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pyinc/pyinc/abidiff"
	"github.com/pyinc/pyinc/emit"
	"github.com/pyinc/pyinc/internal/infile"
	"github.com/pyinc/pyinc/internal/outfile"
	"github.com/pyinc/pyinc/project"
)

const diffText = `
Shows what changed in the ABI between two Pythons, or two build
configurations of one, for a person porting an assembly extension: per struct,
members added, removed or moved, changed sizes and types, members that became
union alternatives or bitfields, bits a bitfield gave up or took over;
constants added, removed or changed; EXTERNs added and removed. Changes that
break existing code come first.

FROM and TO are each a version (3.11), an interpreter name or path, or an
include file (a .inc written by pyinc gen, e.g. one in snapshots/).
--define and --limited-api apply to both sides; --from-... and --to-... to one.

With --uses, only the changes to the names the given assembly sources use
(and the files they %include, except the include itself), each with the
files and lines that use it, and the names they use that TO does not define.
Runs of members that moved by the same amount are one line; --verbose lists
each member, as --format json always does.

Exit status: 0 when nothing differs, 1 when something does, 2 on error. With
--uses: 1 when a name the sources use has a breaking change or is gone.`

const diffExamples = `  pyinc diff 3.11 3.12
  pyinc diff 3.13 3.13 --to-define Py_GIL_DISABLED
  pyinc diff snapshots/python3.9.inc snapshots/python3.10.inc
  pyinc diff --unified 3.9 3.10
  pyinc diff --format json 3.11 3.12
  pyinc diff 3.11 3.12 --uses ext/refext.asm
  pyinc diff 3.11 3.12 --uses src/*.asm`

func newDiffCmd() *cobra.Command {
	var o diffOptions
	cmd := &cobra.Command{
		Use:     "diff [flags] FROM TO [--uses FILE.asm...]",
		Short:   "Show what changed in the ABI between two Pythons or includes",
		Long:    diffText,
		Example: diffExamples,
		RunE: func(_ *cobra.Command, args []string) error {
			o.args = args
			return diff(o)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	o.both.register(fs, "", " for both sides")
	o.from.register(fs, "from-", " for FROM only")
	o.to.register(fs, "to-", " for TO only")
	fs.StringArrayVar(&o.roots, "root", nil, "also look for Pythons in the root file system `DIR`; repeatable")
	fs.BoolVar(&o.unified, "unified", false, "print a plain unified diff of the two includes instead")
	fs.StringVar(&o.format, "format", "text", "report `FORMAT`: text or json")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "list every moved member, not one line per run of members that moved together")
	fs.StringArrayVar(&o.uses, "uses", nil, "report only what the assembly `FILE` (and what it %includes) uses; repeatable, and FILEs after FROM TO count too")
	cmd.RegisterFlagCompletionFunc("format", fixedValues("text", "json"))
	cmd.ValidArgsFunction = completePythonArgs
	completeFlags(cmd)
	return cmd
}

// diffOptions are diff's arguments and flags.
type diffOptions struct {
	args             []string // FROM TO, then sources when uses is set
	both, from, to   configFlags
	roots, uses      []string
	unified, verbose bool
	format           string
}

func diff(o diffOptions) error {
	if len(o.args) != 2 && (len(o.uses) == 0 || len(o.args) < 2) {
		return fail("diff takes two arguments, FROM and TO (see 'pyinc diff --help')")
	}
	if o.format != "text" && o.format != "json" {
		return fail("--format %q: pass text or json", o.format)
	}
	if o.unified && len(o.uses) > 0 {
		return fail("--unified and --uses do not go together: pass one")
	}
	var sources []string
	if len(o.uses) > 0 {
		sources = append(append(sources, o.uses...), o.args[2:]...)
	}
	var texts [2]string
	for i, side := range []configFlags{o.from, o.to} {
		side = side.merged(o.both)
		t, err := includeFor(o.args[i], side, o.roots)
		if err != nil {
			return err
		}
		texts[i] = t
	}
	if o.unified {
		if texts[0] == texts[1] {
			return nil
		}
		fmt.Print(abidiff.Unified(texts[0], texts[1], o.args[0], o.args[1], 3, -1))
		return errDiffers
	}
	var sums [2]*emit.Include
	for i, t := range texts {
		s, err := emit.Read(t)
		if err != nil {
			return fail("%s: %v", o.args[i], err)
		}
		sums[i] = s
	}
	r := abidiff.Compare(sums[0], sums[1])
	if sources != nil {
		return diffUses(r, sums, sources, o.format)
	}
	if o.format == "json" {
		if err := r.WriteJSON(os.Stdout); err != nil {
			return err
		}
	} else {
		r.WriteText(os.Stdout, o.verbose)
	}
	if len(r.Changes) > 0 {
		return errDiffers
	}
	return nil
}

// diffUses reports the changes to what the sources use: status 1 when
// one breaks or is gone.
func diffUses(r *abidiff.Report, sums [2]*emit.Include, sources []string, format string) error {
	// The include itself is the one the project in the current
	// directory names, if any (include-name), else python.inc.
	uses, err := abidiff.Scan(sources, project.IncludeNameIn("."), func(w string) { fmt.Fprintf(os.Stderr, "pyinc diff: %s\n", w) })
	if err != nil {
		return fail("%v", err)
	}
	u := r.Used(sums[0], sums[1], uses, sources)
	if format == "json" {
		if err := u.WriteJSON(os.Stdout); err != nil {
			return err
		}
	} else {
		u.WriteText(os.Stdout)
	}
	if u.Breaking() {
		return errDiffers
	}
	return nil
}

// includeFor reads an include file, or generates the include for a Python.
func includeFor(spec string, cfg configFlags, roots []string) (string, error) {
	if strings.HasSuffix(spec, ".inc") {
		if len(cfg.Defines) > 0 || cfg.LimitedAPI != "" || cfg.Target != "" || cfg.PyConfig != "" {
			return "", fail("%s is an include file: configuration flags do not apply to it", spec)
		}
		b, err := infile.Read(spec, infile.HeaderLimit)
		if err != nil {
			return "", fail("cannot read %s: %v", spec, outfile.Reason(err))
		}
		return string(b), nil
	}
	py, err := findPython(spec, "", roots)
	if err != nil {
		return "", err
	}
	py, tg, err := cfg.forTarget(py)
	if err != nil {
		return "", err
	}
	defines, err := cfg.resolve(py)
	if err != nil {
		return "", err
	}
	r, err := generate(py, defines, tg, true, true)
	if err != nil {
		return "", err
	}
	return string(r.Include), nil
}
