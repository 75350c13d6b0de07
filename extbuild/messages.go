package extbuild

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/pyinc/pyinc/internal/infile"
)

// nasmMsgRE is one message of nasm: "file:line: kind: text".
var nasmMsgRE = regexp.MustCompile(`^(.+?):([0-9]+): (error|warning|fatal|panic): (.*)$`)

// firstWordRE is the first word of a source line after an optional label:
// the instruction or macro it uses.
var firstWordRE = regexp.MustCompile(`^\s*(?:[A-Za-z_.?@$][\w.?@$#~]*:\s*)?([A-Za-z_.?@][\w.?@$#~]*)`)

// nasmMessage is one message of nasm's output.
type nasmMessage struct {
	file    string
	line    int
	kind    string // error, warning, fatal, panic
	text    string
	unavail string // the macro the include left out, used on that line
	why     string // why the include left it out
}

// String is the message as pyinc shows it: a warning as the warnings of a
// build that succeeds ("warning: file:line: text"), an error as nasm
// wrote it, and a left-out macro by name and reason.
func (m nasmMessage) String(scope string) string {
	switch {
	case m.unavail != "":
		return fmt.Sprintf("%s:%d: %s is not available %s: %s", m.file, m.line, m.unavail, scope, m.why)
	case m.kind == "warning":
		return fmt.Sprintf("warning: %s:%d: %s", m.file, m.line, m.text)
	}
	return fmt.Sprintf("%s:%d: %s: %s", m.file, m.line, m.kind, m.text)
}

// messages are nasm's messages in out, in nasm's order, each once; a
// message on a line that uses a macro the include left out (nasm calls
// it an unknown instruction, or a label alone) names the macro and the
// include's reason instead.
func (a *assembler) messages(out string) []nasmMessage {
	var ms []nasmMessage
	seen := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		m := nasmMsgRE.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil || seen[m[0]] {
			continue
		}
		seen[m[0]] = true
		n, _ := strconv.Atoi(m[2])
		msg := nasmMessage{file: m[1], line: n, kind: m[3], text: m[4]}
		if name := a.leftOutAt(msg.file, n); name != "" {
			msg.unavail, msg.why = name, a.leftOut[name]
		}
		ms = append(ms, msg)
	}
	return ms
}

// leftOutAt is the macro the include left out that line n of file (as
// nasm names it, from the project directory) uses as its instruction, "".
func (a *assembler) leftOutAt(file string, n int) string {
	if len(a.leftOut) == 0 {
		return ""
	}
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(a.dir, path)
	}
	text, err := infile.Read(path, infile.ProjectLimit)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(text), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	m := firstWordRE.FindStringSubmatch(lines[n-1])
	if m == nil {
		return ""
	}
	if _, ok := a.leftOut[m[1]]; ok {
		return m[1]
	}
	return ""
}

// failure is the build error for nasm's messages: the last error names
// the failure, the messages before it are Notes, shown first.
func (a *assembler) failure(ms []nasmMessage, out string, err error) error {
	last := -1
	for i, m := range ms {
		if m.kind != "warning" || m.unavail != "" {
			last = i
		}
	}
	if last < 0 {
		return errorf("%s", firstMatch(out, "error", err))
	}
	e := &Error{Msg: ms[last].String(a.scope)}
	for i, m := range ms {
		if i != last {
			e.Notes = append(e.Notes, m.String(a.scope))
		}
	}
	return e
}
