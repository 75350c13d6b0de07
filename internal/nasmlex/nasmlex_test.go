package nasmlex

import (
	"reflect"
	"testing"
)

func TestIdentifiers(t *testing.T) {
	for line, want := range map[string][]string{
		"    mov rax, [rdi + PyObject.ob_type] ; PyTypeObject.tp_flags": {"mov", "rax", "rdi", "PyObject.ob_type"},
		`label: db "Py_None", 'x', ` + "`a\\`b`" + `, 0x1F, 10h ; c`:    {"label", "db"},
		"    at PyMethodDef.ml_flags, dd METH_O|$Py_DEBUG":              {"at", "PyMethodDef.ml_flags", "dd", "METH_O", "Py_DEBUG"},
		"%ifdef METH_FASTCALL":                       {"ifdef", "METH_FASTCALL"},
		"    and eax, PyASCIIObject.state.kind_MASK": {"and", "eax", "PyASCIIObject.state.kind_MASK"},
		"    call @@helper":                          {"call", "@@helper"}, // nasm's isidstart takes '@'
	} {
		if got := Identifiers(line); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", line, got, want)
		}
	}
}

func TestIncbin(t *testing.T) {
	for line, want := range map[string]string{
		`incbin "blob.bin"`:              "blob.bin",
		`data: INCBIN 'a/b.bin', 16, 32`: "a/b.bin", // instructions ignore case
		"table incbin `t.bin`":           "t.bin",
		`  .local:  incbin "c.bin" ; x`:  "c.bin",
		`mov rax, 1 ; incbin "e"`:        "",
		`incbinx "d"`:                    "",
		`db "incbin", 0`:                 "",
	} {
		if got, _ := Incbin(line); got != want {
			t.Errorf("%q: got %q, want %q", line, got, want)
		}
	}
}

func TestInclude(t *testing.T) {
	for line, want := range map[string]string{
		`%include "python.inc"`:     "python.inc",
		`  %include 'a/b.inc' ; x`:  "a/b.inc",
		`%include <c.inc>`:          "c.inc",
		`%INCLUDE "up.inc"`:         "up.inc", // directives ignore case
		`%includex "d"`:             "",
		`mov rax, 1 ; %include "e"`: "",
	} {
		if got, _ := Include(line); got != want {
			t.Errorf("%q: got %q, want %q", line, got, want)
		}
	}
}
