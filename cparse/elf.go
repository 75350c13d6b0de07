package cparse

import (
	"debug/elf"
	"fmt"
)

// Exports reads the defined, global or weak, dynamic symbols of a shared
// library: what nm -D --defined-only lists and the dynamic linker can bind
// to.
func Exports(lib string) (map[string]bool, error) {
	f, err := elf.Open(lib)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", lib, err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil, fmt.Errorf("cannot read the dynamic symbols of %s: %v", lib, err)
	}
	out := make(map[string]bool, len(syms))
	for _, s := range syms {
		bind := elf.ST_BIND(s.Info)
		if s.Section == elf.SHN_UNDEF || (bind != elf.STB_GLOBAL && bind != elf.STB_WEAK) {
			continue
		}
		out[s.Name] = true
	}
	return out, nil
}
