package extbuild

import (
	"bufio"
	"bytes"
	"debug/pe"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pyinc/pyinc/internal/cache"
)

// Import libraries for the Windows target, made here from the headers: no
// Windows installation, no python3X.lib, is needed on the build machine.
//
// The symbols are the include's EXTERNs (what the headers declare for that
// version and configuration, or the limited API's declarations for abi3,
// which python3.dll exports), each a function or, when the include marks
// it "; data", an object, imported as data (only its slot __imp_X exists).
// Only the names the module's objects use go into the library: a module
// imports what it calls, and a small library costs dlltool nothing. The
// library is written as a module-definition (.def) file, the documented
// text form MSVC's lib /def, lld-link and GNU dlltool all take, and made
// into an archive by dlltool, from the same binutils as the linker.

// APISymbol is one name the include declares.
type APISymbol struct {
	Name string
	Data bool // an object (PyExc_TypeError, _Py_NoneStruct), not a function
}

// IncludeSymbols reads the EXTERN lines of an include: "EXTERN name ;
// declaration ; data" is an object, any other EXTERN a function. A name
// spelled as its import slot (__imp_X) is taken as X.
func IncludeSymbols(include []byte) map[string]APISymbol {
	syms := map[string]APISymbol{}
	sc := bufio.NewScanner(bytes.NewReader(include))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "EXTERN ")
		if !ok {
			continue
		}
		fields := strings.Split(rest, ";")
		name := strings.TrimSpace(fields[0])
		name = strings.TrimPrefix(name, "__imp_")
		if name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		data := len(fields) > 1 && strings.TrimSpace(fields[len(fields)-1]) == "data"
		syms[name] = APISymbol{Name: name, Data: data}
	}
	return syms
}

// importsOf lists the names the objects take from another module: each
// undefined symbol, as its import slot __imp_X names it or as X (a
// function called directly, through the thunk the library provides).
func importsOf(objs []string) ([]string, error) {
	seen := map[string]bool{}
	defined := map[string]bool{}
	for _, o := range objs {
		f, err := pe.Open(o)
		if err != nil {
			return nil, fmt.Errorf("%s: not a COFF object: %v", filepath.Base(o), err)
		}
		for _, s := range f.Symbols {
			if s.StorageClass != 2 { // IMAGE_SYM_CLASS_EXTERNAL
				continue
			}
			if s.SectionNumber != 0 {
				defined[s.Name] = true
			} else {
				seen[s.Name] = true
			}
		}
		f.Close()
	}
	var out []string
	for n := range seen {
		if !defined[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// definesSymbol reports whether an object defines the global name.
func definesSymbol(objs []string, name string) bool {
	for _, o := range objs {
		f, err := pe.Open(o)
		if err != nil {
			continue
		}
		for _, s := range f.Symbols {
			if s.Name == name && s.StorageClass == 2 && s.SectionNumber > 0 {
				f.Close()
				return true
			}
		}
		f.Close()
	}
	return false
}

// moduleDef writes the .def of dll holding what the objects import, each
// checked against the include's symbols; a name the include does not
// declare is an error naming it (a typo, or an API another Python has).
func moduleDef(dll string, syms map[string]APISymbol, imports []string, pyDesc string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "LIBRARY %s\nEXPORTS\n", dll)
	var done []string
	for _, imp := range imports {
		name, slot := strings.CutPrefix(imp, "__imp_")
		s, ok := syms[name]
		if !ok {
			return nil, errorf("%s is used but not declared by the headers of %s, so %s does not provide it: check the name, or build for a Python that has it", name, pyDesc, dll)
		}
		if s.Data && !slot {
			return nil, errorf("%s is an object that %s exports as data: load its address from its import slot (PY_ADDR, or mov reg, [rel __imp_%s]), not as %s", name, dll, name, name)
		}
		if slices.Contains(done, name) {
			continue
		}
		done = append(done, name)
		if s.Data {
			fmt.Fprintf(&b, "%s DATA\n", name)
		} else {
			fmt.Fprintf(&b, "%s\n", name)
		}
	}
	return b.Bytes(), nil
}

// importLibrary writes the .def for dll into tmp and makes it an import
// library there with dlltool; it returns the library's path. dlltool runs
// the assembler twice, most of a build's time, so the library is kept in
// pyinc's cache (cacheDir, "" for none), by the .def and the dlltool
// binary it was made with.
func importLibrary(tmp, dll string, def []byte, dlltool, cacheDir string) (string, error) {
	base := strings.TrimSuffix(dll, filepath.Ext(dll))
	defPath := filepath.Join(tmp, base+".def")
	lib := filepath.Join(tmp, "lib"+base+".a")
	var key string
	if cacheDir != "" {
		path, _ := exec.LookPath(dlltool)
		key = cache.Key("implib", string(def), cache.FileID(path))
		if b, ok := cache.Dir(cacheDir).Get(key); ok {
			return lib, os.WriteFile(lib, b, 0o644)
		}
	}
	if err := os.WriteFile(defPath, def, 0o644); err != nil {
		return "", err
	}
	defer func() {
		if b, err := os.ReadFile(lib); err == nil && key != "" {
			cache.Dir(cacheDir).Put(key, b)
		}
	}()
	out, err := run(tmp, tmp, dlltool, "-m", "i386:x86-64", "--deterministic-libraries",
		"-t", filepath.Join(tmp, base+"-dlltool"), "-D", dll, "-d", defPath, "-l", lib)
	if err != nil {
		return "", errorf("making the import library of %s: %s", dll, firstMatch(out, "dlltool", err))
	}
	return lib, nil
}
