package snapshots

import (
	"bytes"
	"fmt"
	"strings"
)

// Index writes the README of the snapshots folder: what each file is and
// what it is made from, from the manifest and each file's own header.
func Index(entries []Entry, header func(file string) string) []byte {
	var b bytes.Buffer
	b.WriteString(`# Snapshots

The includes pyinc generates for each Python and build configuration,
committed so that a change in the output shows in review. ` + "`make regen-inc`" + `
regenerates them from the Pythons on the machine (a file whose Python is not
installed is left as it is), and the tests regenerate each one whose Python is
installed and fail on any difference. ` + "`manifest.txt`" + ` says how each is made;
this index is written from it by ` + "`pyinc regen`" + `.

| file | Python | interpreter build | pyinc gen flags | configuration in the file |
|---|---|---|---|---|
`)
	for _, e := range entries {
		build := "release"
		if e.Debug {
			build = "debug"
		}
		cfg := "(not generated yet)"
		if h := header(e.File); h != "" {
			cfg = h
		}
		flags := e.Flags()
		if flags == "" {
			flags = "-"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s |\n", e.File, e.Version, build, flags, cfg)
	}
	return b.Bytes()
}

// HeaderConfig reads the build configuration line of a generated include.
func HeaderConfig(inc []byte) string {
	for _, line := range strings.Split(string(inc), "\n") {
		if c, ok := strings.CutPrefix(line, "; Build configuration: "); ok {
			return c
		}
	}
	return ""
}
