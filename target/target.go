// Package target describes the platforms pyinc writes includes for: one
// value per platform holding every fact that differs between them (the C
// data model, the bitfield rules, the calling convention, the object
// format, how code reaches the interpreter's symbols, unwind data, the
// compiler that is ground truth). It is made once, in the command line,
// and passed down; each package asks it the facts it needs, so that no
// package tests for a platform by name.
package target

import (
	"fmt"
	"slices"
	"strings"
)

// CallConv is a calling convention; package abi gives its facts.
type CallConv int

const (
	SysV         CallConv = iota // x86-64 System V psABI
	MicrosoftX64                 // the Microsoft x64 calling convention
)

func (c CallConv) String() string {
	switch c {
	case SysV:
		return "System V"
	case MicrosoftX64:
		return "Microsoft x64"
	}
	return fmt.Sprintf("CallConv(%d)", int(c))
}

// ImportStyle is how code reaches functions and data of another module.
type ImportStyle int

const (
	// ELFImports: calls through the PLT (call f wrt ..plt), data addresses
	// from the GOT (mov reg, [rel x wrt ..got]).
	ELFImports ImportStyle = iota
	// ImportSlots: each imported name X has a pointer slot __imp_X the
	// loader fills (call [rel __imp_X], mov reg, [rel __imp_X]).
	ImportSlots
)

// UnwindStyle is how a function tells the system how to walk past its
// frame.
type UnwindStyle int

const (
	// NoUnwind: nothing is required of assembly functions (System V's
	// .eh_frame is optional for code that never unwinds through C++);
	// the object marks its stack non-executable instead.
	NoUnwind UnwindStyle = iota
	// PData: every non-leaf function has a .pdata entry pointing at its
	// .xdata unwind codes (Windows x64).
	PData
)

// Target is one platform: its data model, ABI and object-file facts.
type Target struct {
	Name string // "linux-x86_64", "windows-x86_64": what --target takes
	// ABIName describes the target in generated files.
	ABIName string
	// The C data model: sizes in bytes of long (and unsigned long),
	// wchar_t and long double.
	LongSize, WCharSize, LongDoubleSize int64
	// MSBitfields: a bitfield whose declared type differs in size from
	// the previous bitfield's starts a new storage unit of its own type,
	// and units never share bits with members of another type.
	MSBitfields bool
	Conv        CallConv
	ObjFormat   string // nasm -f
	Imports     ImportStyle
	Unwind      UnwindStyle
	// CrossCC is the C compiler whose view of the headers is ground
	// truth (and whose system headers they are parsed with); CrossCFlags
	// make it match the ABI CPython is built with.
	CrossCC     string
	CrossCFlags []string
	// CCOS is the operating system name modernc.org/cc/v4 takes for the
	// target's type sizes ("linux", "windows").
	CCOS string
	// ConfigDefines are macros, "NAME=VALUE" as gcc's -D takes them, the
	// target's compiler needs besides its own predefined ones for the
	// headers to describe the target; see Windows.
	ConfigDefines []string
}

// Linux is the default target: x86-64 Linux, LP64, ELF, System V.
var Linux = Target{
	Name:           "linux-x86_64",
	ABIName:        "x86-64 System V (LP64, ELF)",
	LongSize:       8,
	WCharSize:      4,
	LongDoubleSize: 16,
	Conv:           SysV,
	ObjFormat:      "elf64",
	Imports:        ELFImports,
	Unwind:         NoUnwind,
	CrossCC:        "gcc",
	CCOS:           "linux",
}

// Windows is x86-64 Windows as CPython's MSVC builds define it: LLP64,
// PE/COFF, the Microsoft x64 convention, the MS bitfield rules and a long
// double that is a double. mingw-w64's gcc is the compiler that checks it
// (-mms-bitfields is its default; -mlong-double-64 matches MSVC).
var Windows = Target{
	Name:           "windows-x86_64",
	ABIName:        "x86-64 Microsoft x64 (LLP64, PE/COFF)",
	LongSize:       4,
	WCharSize:      2,
	LongDoubleSize: 8,
	MSBitfields:    true,
	Conv:           MicrosoftX64,
	ObjFormat:      "win64",
	Imports:        ImportSlots,
	Unwind:         PData,
	CrossCC:        "x86_64-w64-mingw32-gcc",
	CrossCFlags:    []string{"-mms-bitfields", "-mlong-double-64"},
	CCOS:           "windows",
	// PC/pyconfig.h up to 3.11 defines MS_WIN64 only under _MSC_VER; any
	// other compiler must be told, or the pointer-size macros say 4.
	// Empty, as the header itself defines it (3.13 does for mingw too):
	// an identical redefinition is no error.
	ConfigDefines: []string{"MS_WIN64="},
}

var all = []*Target{&Linux, &Windows}

// Default is the target when none is named.
func Default() Target { return Linux }

// Names lists the targets' names, the default first.
func Names() []string {
	out := make([]string, len(all))
	for i, t := range all {
		out[i] = t.Name
	}
	return out
}

// Parse returns the target called name ("" is the default).
func Parse(name string) (Target, error) {
	if name == "" {
		return Default(), nil
	}
	for _, t := range all {
		if t.Name == name {
			return t.clone(), nil
		}
	}
	return Target{}, fmt.Errorf("unknown target %q: use one of %s", name, strings.Join(Names(), ", "))
}

// clone copies t so that a caller changing its slices cannot change the
// package's values.
func (t *Target) clone() Target {
	c := *t
	c.CrossCFlags = slices.Clone(t.CrossCFlags)
	c.ConfigDefines = slices.Clone(t.ConfigDefines)
	return c
}

// IsDefault reports whether t is the default target, whose output must
// stay as it was before targets existed.
func (t Target) IsDefault() bool { return t.Name == Default().Name }

// String is the target's name.
func (t Target) String() string { return t.Name }
