package cparse

import (
	"fmt"
	"strings"

	"modernc.org/cc/v4"
)

// A probe is C that pyinc appends to the headers so that the front end
// evaluates what the include needs from macros: the initializer macros
// (PyObject_HEAD_INIT, ...) as static objects, and the singleton macros
// (Py_None, ...) expanded in function bodies. cparse writes the probes and
// hands back what they evaluated by macro (Unit.Probes); no other package
// knows how they are spelled.

// probeSourceName names the probe in the front end's positions.
const probeSourceName = "<pyinc-probe>"

// mainSourceName names the source pyinc writes: the configuration macros
// and the #include lines.
const mainSourceName = "<pyinc>"

// probePrefix starts the name of every probe declaration.
const probePrefix = "__pyinc_"

// ProbeParam is a parameter of an initializer macro and the value that
// stands for it in the probe: where the value shows up in the evaluated
// initializer is where the macro puts its argument.
type ProbeParam struct {
	Name  string
	Value uint64
}

// The values that stand for the initializer macros' parameters.
const (
	probeType  = 0x7079696e63547970 // PyObject_HEAD_INIT's type
	probeSize  = 0x7079696e6353697a // PyVarObject_HEAD_INIT's size
	probeID    = 0x7079             // the PySlot_* macros' slot id (a uint16_t)
	probeValue = 0x7079696e6356616c // and their value
)

// slotMacro is the probe of one of 3.15's PySlot_* initializers (PEP 793):
// a slot id and a value of the type the macro casts it to.
func slotMacro(name string) struct {
	macro, ctype, args string
	params             []ProbeParam
} {
	value := fmt.Sprintf("%dULL", uint64(probeValue))
	if name == "PySlot_STATIC_DATA" {
		value = "(void *)" + value // the only one that does not cast it
	}
	return struct {
		macro, ctype, args string
		params             []ProbeParam
	}{name, "struct PySlot", fmt.Sprintf("%d, %s", probeID, value), []ProbeParam{{"id", probeID}, {"value", probeValue}}}
}

// initMacros are the initializer macros probed, in the order the include
// lists them: the type each initializes, the arguments the probe passes
// (the macros with parameters end in a comma: their probes are arrays of
// one) and the parameters those arguments stand for.
var initMacros = []struct {
	macro, ctype, args string
	params             []ProbeParam
}{
	{"PyModuleDef_HEAD_INIT", "PyModuleDef_Base", "", nil},
	{"PyObject_HEAD_INIT", "PyObject", fmt.Sprintf("(PyTypeObject *)%dULL", uint64(probeType)),
		[]ProbeParam{{"type", probeType}}},
	{"PyVarObject_HEAD_INIT", "PyVarObject", fmt.Sprintf("(PyTypeObject *)%dULL, %dLL", uint64(probeType), int64(probeSize)),
		[]ProbeParam{{"type", probeType}, {"size", probeSize}}},
	// 3.15's module export (PEP 793): slot entries, the end of a slot
	// array, and the ABI information the Py_mod_abi slot points at.
	slotMacro("PySlot_DATA"), slotMacro("PySlot_FUNC"), slotMacro("PySlot_SIZE"), slotMacro("PySlot_INT64"),
	slotMacro("PySlot_UINT64"), slotMacro("PySlot_STATIC_DATA"), slotMacro("PySlot_PTR"), slotMacro("PySlot_PTR_STATIC"),
	{"PySlot_END", "struct PySlot", "", nil},
	{"_PyABIInfo_DEFAULT", "PyABIInfo", "", nil},
}

// Singletons are the object macros whose data symbols the include names.
var Singletons = []string{"Py_None", "Py_True", "Py_False", "Py_NotImplemented", "Py_Ellipsis"}

// InitProbe is an initializer macro as the front end evaluated it.
type InitProbe struct {
	Macro string
	// Decl is the probe object initialized with the macro; an object
	// whose macro ends in a comma is an array of one.
	Decl   *cc.InitDeclarator
	Params []ProbeParam
}

// Probes is what the probes evaluated.
type Probes struct {
	// Inits holds the initializer macros the headers define, in the order
	// the include lists them.
	Inits []InitProbe
	// Expansions maps each singleton macro the headers define to the
	// tokens it expands to.
	Expansions map[string][]cc.Token
}

// Probes returns what the probes evaluated, by macro.
func (u *Unit) Probes() Probes { return u.probes }

// probeSource asks the front end to evaluate the headers' initializer
// macros, and keeps the expansions of the singleton macros as tokens in
// (unchecked) function bodies.
func probeSource() string {
	var b strings.Builder
	b.WriteString("\n")
	for _, m := range initMacros {
		if m.params == nil {
			fmt.Fprintf(&b, "#ifdef %[1]s\nstatic %[2]s %[3]s%[1]s = %[1]s;\n#endif\n", m.macro, m.ctype, probePrefix)
			continue
		}
		fmt.Fprintf(&b, "#ifdef %[1]s\nstatic %[2]s %[3]s%[1]s[] = { %[1]s(%[4]s) };\n#endif\n", m.macro, m.ctype, probePrefix, m.args)
	}
	for _, s := range Singletons {
		fmt.Fprintf(&b, "#ifdef %[1]s\nvoid %[2]s%[1]s(void) { (void)(%[1]s); }\n#endif\n", s, probePrefix)
	}
	return b.String()
}

// collectProbes finds the probe declarations in the parsed unit.
func (u *Unit) collectProbes() {
	decls := map[string]*cc.InitDeclarator{}
	u.probes.Expansions = map[string][]cc.Token{}
	for tu := u.AST.TranslationUnit; tu != nil; tu = tu.TranslationUnit {
		ed := tu.ExternalDeclaration
		if ed.Position().Filename != probeSourceName {
			continue
		}
		if fd := ed.FunctionDefinition; fd != nil {
			if name, ok := strings.CutPrefix(fd.Declarator.Name(), probePrefix); ok {
				u.probes.Expansions[name] = cc.NodeTokens(fd.CompoundStatement)
			}
			continue
		}
		if ed.Declaration == nil {
			continue
		}
		for l := ed.Declaration.InitDeclaratorList; l != nil; l = l.InitDeclaratorList {
			if id := l.InitDeclarator; id != nil {
				if name, ok := strings.CutPrefix(id.Declarator.Name(), probePrefix); ok {
					decls[name] = id
				}
			}
		}
	}
	for _, m := range initMacros {
		if d := decls[m.macro]; d != nil {
			u.probes.Inits = append(u.probes.Inits, InitProbe{Macro: m.macro, Decl: d, Params: m.params})
		}
	}
}
