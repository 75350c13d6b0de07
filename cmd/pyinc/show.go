package main

import (
	"github.com/spf13/cobra"

	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/pipeline"
	"github.com/pyinc/pyinc/layout"
	"github.com/pyinc/pyinc/structview"
)

const showText = `
Draws a struct as pyinc lays it out (and so as a C compiler does): every
member with its offset, size and C type; holes and tail padding; bitfields to
the bit (the storage unit drawn most significant bit first, the field's bits
as #); union alternatives and members of anonymous structs and unions under
the member whose bytes they share (marked |).

With --across, one row per member and one column per Python found that has
the struct, oldest first: the member's offset in each (blank where it is
absent; for a bitfield, its storage unit's offset and first bit, 32:7), the
struct's size on top.

Under --limited-api, a struct the limited API hides is said to be hidden.`

const showExamples = `  pyinc show PyASCIIObject --python 3.12
  pyinc show PyObject --python 3.13 --define Py_GIL_DISABLED
  pyinc show PyTypeObject --across`

func newShowCmd() *cobra.Command {
	var o showOptions
	cmd := &cobra.Command{
		Use:     "show [flags] STRUCT",
		Short:   "Draw a struct's layout, or a member's offset in every Python",
		Long:    showText,
		Example: showExamples,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fail("show takes one argument, the struct's name (see 'pyinc show --help')")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			o.name = args[0]
			return show(o)
		},
	}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&o.python, "python", "", "the Python: a version (3.12), an interpreter name or path; default: the python3 on PATH")
	o.config.register(fs, "", "")
	fs.StringArrayVar(&o.roots, "root", nil, "also look for Pythons in the root file system `DIR`; repeatable")
	fs.BoolVar(&o.across, "across", false, "one column per Python found: where each member is in each")
	completeFlags(cmd)
	return cmd
}

// showOptions are show's argument and flags.
type showOptions struct {
	name, python string
	config       configFlags
	roots        []string
	across       bool
}

func show(o showOptions) error {
	if o.across {
		if o.python != "" {
			return fail("--across shows every Python found: --python does not apply")
		}
		if o.config.Target != "" || o.config.PyConfig != "" {
			return fail("--across shows this machine's Pythons: for another --target, show one Python with --python")
		}
		return showAcross(o)
	}
	py, err := findPython(o.python, "", o.roots)
	if err != nil {
		return err
	}
	m, err := model(py, o.config)
	if err != nil {
		return err
	}
	s := structview.Find(m, o.name)
	if s == nil {
		return notFound(py, o)
	}
	structview.Write(os.Stdout, s, "CPython "+py.Version+", "+describeConfig(m))
	return nil
}

// notFound says why py has no struct o.name: the limited API hides it
// (the full API of the same headers has it), or the headers have none.
func notFound(py *cparse.Python, o showOptions) error {
	if o.config.LimitedAPI != "" {
		full := o.config
		full.LimitedAPI = ""
		if m, err := model(py, full); err == nil && structview.Find(m, o.name) != nil {
			return fail("the limited API %s hides %s: CPython %s has it only in its full API, which an abi3 module cannot rely on; drop --limited-api to see its layout",
				o.config.LimitedAPI, o.name, py.Version)
		}
	}
	return fail("CPython %s has no struct or union %s: pass a typedef name or tag, as in the include", py.Version, o.name)
}

// model builds the layout model of py under the configuration flags.
func model(py *cparse.Python, cfg configFlags) (*layout.Model, error) {
	py, tg, err := cfg.forTarget(py)
	if err != nil {
		return nil, err
	}
	defines, err := cfg.resolve(py)
	if err != nil {
		return nil, err
	}
	r, err := pipeline.RunFor(py, defines, tg)
	if err != nil {
		return nil, err
	}
	return r.Model, nil
}

func describeConfig(m *layout.Model) string {
	if len(m.Config) == 0 {
		return "release build"
	}
	return strings.Join(m.Config, ", ")
}

// showAcross draws the struct in every Python found, oldest first; a
// Python the configuration does not apply to is left out with a note.
func showAcross(o showOptions) error {
	all, err := discoverWith(o.roots)
	if err != nil {
		return err
	}
	sortOldestFirst(all)
	models := make([]*layout.Model, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.NumCPU())
	for i, py := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer recovered(&errs[i])
			slots <- struct{}{}
			models[i], errs[i] = model(py, o.config)
			<-slots
		}()
	}
	wg.Wait()
	var cols []structview.Column
	found := false
	for i, py := range all {
		if errs[i] != nil {
			fmt.Fprintf(os.Stderr, "pyinc show: CPython %s left out: %s\n", py.Version, oneLine(errs[i].Error()))
			continue
		}
		title := py.Version
		if py.IsDebug() {
			title += "d"
		}
		s := structview.Find(models[i], o.name)
		found = found || s != nil
		cols = append(cols, structview.Column{Title: title, Struct: s})
	}
	if !found {
		return fail("no Python found has a struct or union %s: pass a typedef name or tag, as in the include", o.name)
	}
	structview.Across(cols).Write(os.Stdout)
	return nil
}

// sortOldestFirst orders Pythons by version, a release build before a
// debug build of the same version.
func sortOldestFirst(all []*cparse.Python) {
	key := func(p *cparse.Python) []int {
		var v []int
		for _, f := range strings.FieldsFunc(p.Version, func(r rune) bool { return r < '0' || r > '9' }) {
			n, _ := strconv.Atoi(f)
			v = append(v, n)
		}
		if p.IsDebug() {
			v = append(v, 1<<30) // after every further version part
		}
		return v
	}
	slices.SortStableFunc(all, func(a, b *cparse.Python) int { return slices.Compare(key(a), key(b)) })
}
