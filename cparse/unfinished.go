package cparse

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// When the user's headers end inside a declaration (its ';' or '}'
// missing), the front end notices only at the next token: the first of a
// source pyinc appended (the probe) or the end of input. Either is a place
// the user never wrote, so the error names where the headers' last
// declaration is instead, the way gcc does.

// madeByPyinc reports whether an error line is placed in a source pyinc
// wrote around the headers.
func madeByPyinc(line string) bool {
	return strings.HasPrefix(line, mainSourceName+":") || strings.HasPrefix(line, probeSourceName+":")
}

// unfinishedError says where the headers' last declaration starts to be
// unfinished: the last line of the headers that holds a token.
func unfinishedError(compiler string, u *Unit) (string, bool) {
	file, line, ok := lastHeaderLine(compiler, u)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%s:%d: the headers end inside this declaration (a missing ';' or '}'?)",
		trimHostPath(file, u.IncludeDirs), line), true
}

// lastHeaderLine preprocesses the unit's source with the host compiler
// and returns the file and line the last token comes from.
func lastHeaderLine(compiler string, u *Unit) (string, int, bool) {
	if compiler == "" {
		compiler = "cc"
	}
	args := append([]string{"-E"}, u.Target.CrossCFlags...)
	for _, d := range u.IncludeDirs {
		args = append(args, "-I", d)
	}
	for _, d := range u.AfterDirs {
		args = append(args, "-idirafter", d)
	}
	cmd := exec.Command(compiler, append(args, "-x", "c", "-")...)
	cmd.Stdin = strings.NewReader(u.CSource())
	out, err := cmd.Output()
	if err != nil {
		return "", 0, false
	}
	return lastTokenLine(out)
}

// lastTokenLine reads preprocessed text with its line markers
// (# LINE "FILE" FLAGS) and returns where its last token comes from.
func lastTokenLine(text []byte) (file string, line int, ok bool) {
	var cur string
	var n int
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "# ") {
			f := strings.Fields(l)
			if len(f) >= 3 {
				if num, err := strconv.Atoi(f[1]); err == nil {
					cur, n = strings.Trim(f[2], `"`), num
					continue
				}
			}
		}
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(cur, "<") {
			file, line, ok = cur, n, true
		}
		n++
	}
	return file, line, ok
}
