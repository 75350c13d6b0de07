package extbuild

import (
	"debug/elf"
	"fmt"
	"path/filepath"
)

// Checks of a linked module before it is packed, each naming the fix.

// Report is what the checks found in one linked module.
type Report struct {
	Linkage  *Linkage
	Warnings []string
}

// CheckModule checks the linked module at path for import name module:
// PyInit_<module> defined and global, a non-executable stack (glibc 2.41
// refuses to load a module that asks for an executable one), and text
// relocations (a warning). objects are the objects it was linked from, to
// name the source without a .note.GNU-stack.
func CheckModule(path, module string, objects []Object) (*Report, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not an ELF file: %v", filepath.Base(path), err)
	}
	defer f.Close()
	name := filepath.Base(path)
	if err := checkInit(f, name, module); err != nil {
		return nil, err
	}
	if execStack(f) {
		culprit := "a source has no .note.GNU-stack"
		for _, o := range objects {
			if why := stackNote(o.Path); why != "" {
				culprit = o.Source + " " + why
				break
			}
		}
		return nil, fmt.Errorf("%s asks for an executable stack (%s, and newer glibc refuses to load such a module): %%include \"python.inc\" in every source, or add: section .note.GNU-stack noalloc noexec nowrite progbits", name, culprit)
	}
	r := &Report{}
	if textRel(f) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s has text relocations (absolute addresses in .text): call API functions with PY_CALL and load API objects' addresses with PY_ADDR, so the code is position-independent", name))
	}
	if r.Linkage, err = ReadLinkage(f); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return r, nil
}

// checkInit requires PyInit_<module> among the exported (dynamic) symbols,
// defined; a local one is named as such.
func checkInit(f *elf.File, file, module string) error {
	want := "PyInit_" + module
	dyn, _ := f.DynamicSymbols()
	for _, s := range dyn {
		if s.Name == want && s.Section != elf.SHN_UNDEF && elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
			return nil
		}
	}
	syms, _ := f.Symbols()
	for _, s := range syms {
		if s.Name == want && s.Section != elf.SHN_UNDEF {
			return fmt.Errorf("%s: %s is defined but not global: add global %s:function before it", file, want, want)
		}
	}
	return fmt.Errorf("%s: no %s: define it and declare global %s:function (it creates the module; see PyModule_Create2)", file, want, want)
}

// execStack reports whether the ELF asks for an executable stack: a
// PT_GNU_STACK with PF_X, or none at all (the x86-64 default).
func execStack(f *elf.File) bool {
	for _, p := range f.Progs {
		if p.Type == elf.PT_GNU_STACK {
			return p.Flags&elf.PF_X != 0
		}
	}
	return true
}

func textRel(f *elf.File) bool {
	if v, _ := f.DynValue(elf.DT_TEXTREL); len(v) > 0 {
		return true
	}
	flags, _ := f.DynValue(elf.DT_FLAGS)
	for _, v := range flags {
		if elf.DynFlag(v)&elf.DF_TEXTREL != 0 {
			return true
		}
	}
	return false
}

// Object is an object file linked into a module and the source it was
// assembled from, which messages name (the object is a temporary file).
type Object struct{ Path, Source string }

// stackNote says how an object file asks for an executable stack: it has
// no .note.GNU-stack section, or one marked executable; "" when it does
// not.
func stackNote(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := f.Section(".note.GNU-stack")
	switch {
	case s == nil:
		return "has no .note.GNU-stack"
	case s.Flags&elf.SHF_EXECINSTR != 0:
		return "marks its .note.GNU-stack executable"
	}
	return ""
}
