package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pyinc/pyinc/abidiff"
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

Exit status: 0 when nothing differs, 1 when something does, 2 on error.

Examples:
  pyinc diff 3.11 3.12
  pyinc diff 3.13 3.13 --to-define Py_GIL_DISABLED
  pyinc diff snapshots/python3.9.inc snapshots/python3.10.inc
  pyinc diff --unified 3.9 3.10
  pyinc diff --format json 3.11 3.12`

// errDiffers makes run exit with status 1 without a message.
var errDiffers = errors.New("differs")

func runDiff(args []string) error {
	fs := newFlags("diff", "[flags] FROM TO", diffText)
	var both, from, to configFlags
	both.register(fs, "", " for both sides")
	from.register(fs, "from-", " for FROM only")
	to.register(fs, "to-", " for TO only")
	roots := fs.StringArray("root", nil, "also look for Pythons in the root file system `DIR`; repeatable")
	unified := fs.Bool("unified", false, "print a plain unified diff of the two includes instead")
	format := fs.String("format", "text", "report `FORMAT`: text or json")
	verbose := fs.BoolP("verbose", "v", false, "list every moved member, not one line per run of members that moved together")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fail("diff takes two arguments, FROM and TO (see 'pyinc diff --help')")
	}
	if *format != "text" && *format != "json" {
		return fail("--format %q: pass text or json", *format)
	}
	var texts [2]string
	for i, side := range []configFlags{from, to} {
		side.Defines = append(append([]string{}, both.Defines...), side.Defines...)
		if side.LimitedAPI == "" {
			side.LimitedAPI = both.LimitedAPI
		}
		t, err := includeFor(fs.Arg(i), side, *roots)
		if err != nil {
			return err
		}
		texts[i] = t
	}
	if *unified {
		if texts[0] == texts[1] {
			return nil
		}
		fmt.Print(abidiff.Unified(texts[0], texts[1], fs.Arg(0), fs.Arg(1), 3, -1))
		return errDiffers
	}
	var sums [2]*snapshots.Summary
	for i, t := range texts {
		s, err := snapshots.Read(t)
		if err != nil {
			return fail("%s: %v", fs.Arg(i), err)
		}
		sums[i] = s
	}
	r := abidiff.Compare(sums[0], sums[1])
	if *format == "json" {
		if err := r.WriteJSON(os.Stdout); err != nil {
			return err
		}
	} else {
		r.WriteText(os.Stdout, *verbose)
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
