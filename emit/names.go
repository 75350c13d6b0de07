package emit

import "fmt"

// names records every name the include defines, as NASM sees it, so that a
// second definition of a name is reported and left out instead of quietly
// redefining the first: a %define would rewrite every later use of a label
// of the same name, and a label defined twice does not assemble.
type names struct {
	owner map[string]string
	warn  func(string)
}

// claim takes all of the given names for what, or none of them when one is
// taken; it then writes a comment and warns, and returns false.
func (e *nasm) claim(what string, ns ...string) bool {
	for _, n := range ns {
		if prev, ok := e.names.owner[n]; ok {
			msg := fmt.Sprintf("%s left out: the NASM name %s is already %s", what, n, prev)
			e.p("; %s\n", msg)
			if e.names.warn != nil {
				e.names.warn(msg)
			}
			return false
		}
	}
	for _, n := range ns {
		e.names.owner[n] = what
	}
	return true
}

// reservedNames are what the include itself defines beside the model.
var reservedNames = []string{GuardName, "NULL", "NullMethodDef", "PY_CALL", "PY_ADDR", "_pyinc_call_with",
	"Py_INCREF", "Py_DECREF", "Py_XINCREF", "Py_XDECREF", "Py_RETURN_NONE", "Py_RETURN_TRUE", "Py_RETURN_FALSE",
	"PY_JMP", "PY_BF_LOAD", "PY_BF_TEST", "PY_JUMP_UNLESS_FLAG",
	"_pyinc_one_of", "_pyinc_regbits", "_pyinc_hit", "_pyinc_want", "_pyinc_bits", "_pyinc_lo",
	"_pyinc_imp", "PY_ARG1", "PY_ARG2", "PY_ARG3", "PY_ARG4", "PY_ARG1D", "PY_ARG2D", "PY_ARG3D", "PY_ARG4D",
	"PY_SHADOW", "PY_FUNC", "PY_EPILOGUE", "PY_ENDFUNC"}
