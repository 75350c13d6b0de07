package main

import (
	"errors"

	"github.com/pyinc/pyinc/inccut"
)

// cutFor is include cut to what the source at src uses, as pyinc build
// cuts it for nasm (package inccut).
func cutFor(include, src string) string {
	inc, ok := inccut.Parse(include)
	if !ok {
		check(errors.New("the include cannot be cut"))
	}
	uses, ok, _ := inccut.Uses(".", []string{src}, nil)
	if !ok {
		check(errors.New(src + " gets no cut"))
	}
	return string(inc.Cut(uses))
}
