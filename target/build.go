package target

import "strings"

// The build side of a target: how a module is linked, checked, named and
// tagged. Kept apart from the include facts in target.go.

// LinkStyle is how a module becomes a loadable file.
type LinkStyle int

const (
	// ELFShared: cc -shared, without libpython (the interpreter provides
	// the symbols); the ELF's versioned imports decide the manylinux tag.
	ELFShared LinkStyle = iota
	// PEDLL: a DLL linked against an import library of the Python DLL,
	// exporting PyInit_<module>.
	PEDLL
)

// BuildFacts are a target's facts for building and shipping modules.
type BuildFacts struct {
	Link LinkStyle
	// Linker and DllTool are the programs that link a PEDLL and make
	// its import library, from BinutilsPackage (Debian's name).
	Linker, DllTool, BinutilsPackage string
	// FromVersion: the module's suffix, ABI tag and DLL are worked out
	// from the Python's version and build, as CPython's own build does
	// for the platform, because its interpreter cannot run here to say.
	// Otherwise the interpreter's EXT_SUFFIX is used.
	FromVersion bool
	// Platform is the wheel's platform tag ("win_amd64"); "" means it is
	// judged from the linked module (manylinux).
	Platform string
	// ModuleExt ends a module's file name; ABI3Suffix is the whole suffix
	// of an abi3 module.
	ModuleExt, ABI3Suffix string
	// DebugMark marks a debug build's module and DLL names ("_d").
	DebugMark string
}

var buildFacts = map[string]BuildFacts{
	"linux-x86_64": {Link: ELFShared, ABI3Suffix: ".abi3.so", ModuleExt: ".so"},
	"windows-x86_64": {
		Link:            PEDLL,
		Linker:          "x86_64-w64-mingw32-ld",
		DllTool:         "x86_64-w64-mingw32-dlltool",
		BinutilsPackage: "binutils-mingw-w64-x86-64",
		FromVersion:     true,
		Platform:        "win_amd64",
		ModuleExt:       ".pyd",
		ABI3Suffix:      ".pyd",
		DebugMark:       "_d",
	},
}

// Build returns t's build facts; the zero Target has the default's.
func (t Target) Build() BuildFacts {
	if b, ok := buildFacts[t.Name]; ok {
		return b
	}
	return buildFacts[Default().Name]
}

// ModuleSuffix is what follows a module's name in its file name when the
// suffix is worked out from the version (FromVersion), as CPython's
// PC/ builds spell it: "_d" for a debug build, then
// ".cp<XY><t>-<platform>" and ModuleExt: mod.cp314-win_amd64.pyd,
// mod_d.cp311-win_amd64.pyd, mod.cp313t-win_amd64.pyd. abi3 modules are
// mod.pyd (mod_d.pyd for a debug build).
func (b BuildFacts) ModuleSuffix(majorMinor string, abi3, debug, freeThreaded bool) string {
	d := ""
	if debug {
		d = b.DebugMark
	}
	if abi3 {
		return d + b.ABI3Suffix
	}
	t := ""
	if freeThreaded {
		t = "t"
	}
	return d + ".cp" + strings.ReplaceAll(majorMinor, ".", "") + t + "-" + b.Platform + b.ModuleExt
}

// PythonDLL is the DLL a module imports the API from: python3XY.dll
// (python3XY_d.dll for a debug build, python3XYt.dll free-threaded), or
// python3.dll, the stable ABI's, for abi3.
func (b BuildFacts) PythonDLL(majorMinor string, abi3, debug, freeThreaded bool) string {
	d := ""
	if debug {
		d = b.DebugMark
	}
	if abi3 {
		return "python3" + d + ".dll"
	}
	t := ""
	if freeThreaded {
		t = "t"
	}
	return "python" + strings.ReplaceAll(majorMinor, ".", "") + t + d + ".dll"
}
