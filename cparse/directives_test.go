package cparse

import (
	"slices"
	"testing"
)

func TestIncludeDirectives(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []includeDirective
	}{
		{"plain", "#include <a.h>\n  #  include \"b.h\" // why\nint x;\n", []includeDirective{{1, true}, {2, true}}},
		{"others", "#include_next <a.h>\n#import \"b.h\"\n#define include 1\n#includes\n", []includeDirective{{1, false}, {2, false}}},
		{"comment before", "/**/#include \"self.h\"\n", []includeDirective{{1, false}}},
		{"comment inside", "# /* c */ include \"self.h\"\n", []includeDirective{{1, false}}},
		{"continued", "#\\\ninclude \"self.h\"\n#include \\\n<x.h>\n", []includeDirective{{1, false}, {3, true}}},
		{"after a comment of lines", "/* a\nb */ #include \"x.h\"\n", []includeDirective{{2, false}}},
		{"in a comment", "/*\n#include <a.h>\n*/\n// #include <b.h>\n// continued \\\n#include <c.h>\n", nil},
		{"in a macro", "#define X \\\n#include <a.h>\nint y = '#';\n", nil},
		{"in a string", "char *s = \"\\\n#include <a.h>\";\n#include <b.h>\n", []includeDirective{{3, true}}},
		{"not first", "int x; #include <a.h>\n", nil},
		// A header name is not a comment: what follows it is read.
		{"header name", "#include <a/*b.h>\n#include \"self.h\"\n", []includeDirective{{1, true}, {2, true}}},
		{"unterminated", "#error don't\n#include <a.h>\n", []includeDirective{{2, true}}},
	} {
		if got := includeDirectives([]byte(c.text)); !slices.Equal(got, c.want) {
			t.Errorf("%s: includeDirectives = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestHasPragmaOnce(t *testing.T) {
	for text, want := range map[string]bool{
		"#pragma once\n":                     true,
		"/* x */\n  #  pragma   once // y\n": true,
		"#pragma \\\nonce\n":                 true,
		"// #pragma once\n":                  false,
		"#pragma onceler\n":                  false,
		"#pragma GCC system_header\n":        false,
		"#define P \\\n#pragma once\n":       false,
	} {
		if got := hasPragmaOnce([]byte(text)); got != want {
			t.Errorf("hasPragmaOnce(%q) = %v, want %v", text, got, want)
		}
	}
}
