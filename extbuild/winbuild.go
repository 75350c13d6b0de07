package extbuild

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/target"
)

// Building a module as a Windows DLL (target windows-x86_64): nasm -f
// win64, an import library of the Python DLL made from the include, the
// DLL linked by mingw-w64's ld with only PyInit_<module> (and 3.15's
// PyModExport_<module>, when defined) exported, then CheckPE.

// TargetTags are Tags for tg: for a target whose names are worked out from
// the version (Windows), cp3X-cp3X[t][d] and the suffix CPython's own
// build for that platform gives; else Tags.
func TargetTags(tg target.Target, py *cparse.Python, limitedAPI string, abi3t bool) (pyTag, abiTag, suffix string, err error) {
	b := tg.Build()
	if !b.FromVersion {
		return Tags(py, limitedAPI, abi3t)
	}
	if abi3t {
		// No Windows CPython 3.15 is at hand to say how it names and
		// imports an abi3t module.
		return "", "", "", &cparse.ConfigError{Part: cparse.ABI3TPart, Reason: fmt.Sprintf("abi3t modules are built for %s only; drop --abi3t for %s", target.Linux.Name, tg.Name)}
	}
	// Tags checks the version and the limited API the same way for every
	// target; its suffix is the host's and is replaced.
	// The tags' ABI flags come from the build configuration, not from the
	// host interpreter whose headers these may be.
	probe := *py
	probe.ExtSuffix = ".cpython-" + strings.ReplaceAll(py.MajorMinor(), ".", "") + flagsOf(py) + "-x86_64-linux-gnu.so"
	pyTag, abiTag, _, err = Tags(&probe, limitedAPI, false)
	if err != nil {
		return "", "", "", err
	}
	abi3 := limitedAPI != ""
	return pyTag, abiTag, b.ModuleSuffix(py.MajorMinor(), abi3, py.IsDebug(), freeThreaded(py)), nil
}

// flagsOf are the ABI flags pip's tags use for py's build: "t" for a
// free-threaded build, "d" for a debug one.
func flagsOf(py *cparse.Python) string {
	f := ""
	if freeThreaded(py) {
		f += "t"
	}
	if py.IsDebug() {
		f += "d"
	}
	return f
}

func freeThreaded(py *cparse.Python) bool {
	return slices.Contains(py.Defines, "Py_GIL_DISABLED") || strings.Contains(py.ABIFlags, "t")
}

// dllFor is the DLL the module imports the API from.
func dllFor(b target.BuildFacts, py *cparse.Python, limitedAPI string) string {
	return b.PythonDLL(py.MajorMinor(), limitedAPI != "", py.IsDebug(), freeThreaded(py))
}

// objFormat is nasm's -f for tg.
func objFormat(tg target.Target) string {
	if tg.ObjFormat == "" {
		return target.Default().ObjFormat
	}
	return tg.ObjFormat
}

// debugFormat is nasm's -F for an object format: DWARF for ELF, CodeView
// (which Windows debuggers read) for win64.
func debugFormat(objFormat string) string {
	if objFormat == "win64" {
		return "cv8"
	}
	return "dwarf"
}

// buildDLL links objs into the DLL out for module, importing from dll
// the names they use as the include declares them, checks it and returns
// its bytes.
func buildDLL(dir, tmp, out, module string, objs []string, include []byte, dll string, py *cparse.Python, b target.BuildFacts, cacheDir string) ([]byte, error) {
	imports, err := importsOf(objs)
	if err != nil {
		return nil, err
	}
	def, err := moduleDef(dll, IncludeSymbols(include), imports, "CPython "+py.Version)
	if err != nil {
		return nil, err
	}
	lib, err := importLibrary(tmp, dll, def, b.DllTool, cacheDir)
	if err != nil {
		return nil, err
	}
	exports := filepath.Join(tmp, module+".exports.def")
	if err := os.WriteFile(exports, exportsDef(module, objs), 0o644); err != nil {
		return nil, err
	}
	args := append([]string{"--dll", "-o", out, "-e", "0", "-s", "--no-insert-timestamp",
		"--subsystem", "windows", "--dynamicbase", "--nxcompat", "--high-entropy-va"}, objs...)
	args = append(args, exports, lib)
	if ld, err := run(dir, tmp, b.Linker, args...); err != nil {
		return nil, errorf("linking %s: %s", filepath.Base(out), linkerReason(ld, err))
	}
	if err := CheckPE(out, module, []string{dll}); err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	return os.ReadFile(out)
}

// exportsDef is the .def naming what the DLL exports: PyInit_<module>
// and PyModExport_<module> (3.15's export hook), those the objects
// define. Nothing else leaves the DLL, whatever else is global; one
// missing is CheckPE's to name.
func exportsDef(module string, objs []string) []byte {
	var b strings.Builder
	b.WriteString("EXPORTS\n")
	for _, name := range []string{"PyInit_" + module, "PyModExport_" + module} {
		if definesSymbol(objs, name) {
			fmt.Fprintf(&b, "    %s\n", name)
		}
	}
	return []byte(b.String())
}

// objectPaths are the objects' files.
func objectPaths(objs []Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Path
	}
	return out
}
