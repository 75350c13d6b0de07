package extbuild

import (
	"debug/pe"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Checks of a linked Windows module (a PE DLL) before it is packed, each
// naming the fix. They are the PE counterparts of CheckModule's.

// PE data directory indexes (PE/COFF specification, "Optional Header Data
// Directories").
const (
	dirExport    = 0
	dirException = 3
	dirIAT       = 12
)

// CheckPE checks the DLL at path for import name module: PyInit_<module>
// exported; imports from no DLL but those in dlls (any other is named: a C
// runtime the source did not ask for would have to be shipped); no section
// both writable and executable; and every call through an import slot
// inside a function that .pdata describes, because Windows walks stacks
// (exceptions, debuggers, crash dumps, RtlCaptureStackBackTrace) with it and
// a non-leaf function without it breaks every walk through its frame.
func CheckPE(path, module string, dlls []string) error {
	f, err := pe.Open(path)
	if err != nil {
		return fmt.Errorf("%s: not a PE file: %v", filepath.Base(path), err)
	}
	defer f.Close()
	name := filepath.Base(path)
	exports, err := peExports(f)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if want := "PyInit_" + module; !slices.Contains(exports, want) {
		return fmt.Errorf("%s does not export %s, so Python cannot import it: define it in .text and export it (global %s and export %s)", name, want, want, want)
	}
	// debug/pe's ImportedLibraries lists nothing for PE files; each
	// imported symbol is "name:DLL".
	syms, err := f.ImportedSymbols()
	if err != nil {
		return fmt.Errorf("%s: reading its imports: %v", name, err)
	}
	for _, sym := range syms {
		_, l, _ := strings.Cut(sym, ":")
		if !slices.ContainsFunc(dlls, func(d string) bool { return strings.EqualFold(d, l) }) {
			return fmt.Errorf("%s imports from %s, which Python does not provide (only %s may be imported): remove what the source takes from it", name, l, strings.Join(dlls, ", "))
		}
	}
	for _, s := range f.Sections {
		const wx = pe.IMAGE_SCN_MEM_WRITE | pe.IMAGE_SCN_MEM_EXECUTE
		if s.Characteristics&wx == wx {
			return fmt.Errorf("%s: section %s is both writable and executable: keep code in section .text and data in .data or .bss", name, s.Name)
		}
	}
	return checkUnwind(f, name)
}

// dataDir is the optional header's data directory i: RVA and size.
func dataDir(f *pe.File, i int) (rva, size uint32) {
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || uint32(i) >= oh.NumberOfRvaAndSizes {
		return 0, 0
	}
	return oh.DataDirectory[i].VirtualAddress, oh.DataDirectory[i].Size
}

// rvaBytes returns the bytes of the image from rva to the end of the
// section holding it.
func rvaBytes(f *pe.File, rva uint32) ([]byte, error) {
	for _, s := range f.Sections {
		if rva >= s.VirtualAddress && rva < s.VirtualAddress+max(s.VirtualSize, s.Size) {
			data, err := s.Data()
			if err != nil {
				return nil, err
			}
			off := rva - s.VirtualAddress
			if off > uint32(len(data)) {
				return nil, fmt.Errorf("RVA %#x lies past %s's data", rva, s.Name)
			}
			return data[off:], nil
		}
	}
	return nil, fmt.Errorf("RVA %#x is in no section", rva)
}

// peExports lists the names the export directory holds.
func peExports(f *pe.File) ([]string, error) {
	rva, size := dataDir(f, dirExport)
	if rva == 0 || size < 40 {
		return nil, nil
	}
	dir, err := rvaBytes(f, rva)
	if err != nil || len(dir) < 40 {
		return nil, fmt.Errorf("reading its export directory: %v", err)
	}
	n := binary.LittleEndian.Uint32(dir[24:])
	namesRVA := binary.LittleEndian.Uint32(dir[32:])
	names, err := rvaBytes(f, namesRVA)
	if err != nil || uint64(len(names)) < 4*uint64(n) {
		return nil, fmt.Errorf("reading its export names: %v", err)
	}
	var out []string
	for i := range n {
		b, err := rvaBytes(f, binary.LittleEndian.Uint32(names[4*i:]))
		if err != nil {
			return nil, fmt.Errorf("reading its export names: %v", err)
		}
		if end := slices.Index(b, 0); end >= 0 {
			out = append(out, string(b[:end]))
		}
	}
	return out, nil
}

// checkUnwind finds every `call [rip+disp32]` (FF 15) whose slot is in the
// import address table, that is, every call into the Python DLL as the
// include's PY_CALL makes it, and requires a .pdata entry covering it. A
// function that calls is not a leaf: without unwind data Windows cannot
// walk past it.
func checkUnwind(f *pe.File, name string) error {
	iat, iatSize := dataDir(f, dirIAT)
	if iat == 0 {
		return nil
	}
	funcs, err := runtimeFunctions(f)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	for _, s := range f.Sections {
		if s.Characteristics&pe.IMAGE_SCN_MEM_EXECUTE == 0 {
			continue
		}
		data, err := s.Data()
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		data = data[:min(len(data), int(s.VirtualSize))]
		for i := 0; i+6 <= len(data); i++ {
			if data[i] != 0xFF || data[i+1] != 0x15 {
				continue
			}
			at := s.VirtualAddress + uint32(i)
			slot := uint32(int64(at) + 6 + int64(int32(binary.LittleEndian.Uint32(data[i+2:]))))
			if slot < iat || slot >= iat+iatSize || covered(funcs, at) {
				continue
			}
			return fmt.Errorf("%s: the call at RVA %#x (%s+%#x) is in a function without unwind data (.pdata), so Windows cannot walk the stack through it: begin and end each function that calls with the include's prologue and epilogue macros", name, at, s.Name, i)
		}
	}
	return nil
}

// runtimeFunctions are .pdata's RUNTIME_FUNCTION entries as [begin, end)
// RVA pairs.
func runtimeFunctions(f *pe.File) ([][2]uint32, error) {
	rva, size := dataDir(f, dirException)
	if rva == 0 {
		return nil, nil
	}
	data, err := rvaBytes(f, rva)
	if err != nil {
		return nil, fmt.Errorf("reading .pdata: %v", err)
	}
	var out [][2]uint32
	for off := uint32(0); off+12 <= size && int(off)+12 <= len(data); off += 12 {
		out = append(out, [2]uint32{binary.LittleEndian.Uint32(data[off:]), binary.LittleEndian.Uint32(data[off+4:])})
	}
	return out, nil
}

func covered(funcs [][2]uint32, at uint32) bool {
	for _, fn := range funcs {
		if at >= fn[0] && at < fn[1] {
			return true
		}
	}
	return false
}
