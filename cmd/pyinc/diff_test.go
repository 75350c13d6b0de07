package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	all := pythons(t)
	var py312, py313 string
	for _, p := range all {
		switch {
		case p.Version == "3.12.1" && p.Interpreter != "":
			py312 = p.Interpreter
		case p.MajorMinor() == "3.13" && p.Interpreter != "":
			py313 = p.Interpreter
		}
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "a.inc")
	if _, stderr, code := pyinc(t, "gen", "-q", "--python", all[0].Interpreter, "-o", a); code != 0 {
		t.Fatal(stderr)
	}
	t.Run("same", func(t *testing.T) {
		stdout, stderr, code := pyinc(t, "diff", a, a)
		if code != 0 || !strings.Contains(stdout, "No differences.") {
			t.Errorf("exit %d, %q %q", code, stdout, stderr)
		}
		if _, _, code := pyinc(t, "diff", "--unified", a, a); code != 0 {
			t.Errorf("--unified on equal files: exit %d", code)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"diff", a}, "two arguments"},
			{[]string{"diff", a, filepath.Join(dir, "missing.inc")}, "cannot read"},
			{[]string{"diff", "3.99", a}, "no Python 3.99"},
			{[]string{"diff", "--format", "xml", a, a}, "--format"},
			{[]string{"diff", "--define", "Py_DEBUG", a, a}, "configuration flags do not apply"},
		} {
			_, stderr, code := pyinc(t, c.args...)
			checkError(t, stderr, code, c.want)
		}
		notInc := filepath.Join(dir, "x.inc")
		os.WriteFile(notInc, []byte("; hello\n"), 0o644)
		_, stderr, code := pyinc(t, "diff", notInc, a)
		checkError(t, stderr, code, "not an include written by pyinc")
	})
	t.Run("versions", func(t *testing.T) {
		if py312 == "" || py313 == "" {
			t.Skip("Python 3.12.1 and 3.13 are needed")
		}
		stdout, stderr, code := pyinc(t, "diff", py312, py313)
		if code != 1 || !strings.HasPrefix(stdout, "ABI diff: CPython 3.12.1") || !strings.Contains(stdout, "Breaking changes") {
			t.Errorf("exit %d, stderr %q, stdout starts %q", code, stderr, firstN(stdout, 200))
		}
		stdout, _, code = pyinc(t, "diff", "--format", "json", py312, py313)
		var r struct {
			From, To string
			Changes  []struct {
				Section, Name, Kind string
				Breaking            bool
			}
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 1 || len(r.Changes) == 0 {
			t.Errorf("json: exit %d, %v, %d changes", code, err, len(r.Changes))
		}
		stdout, _, code = pyinc(t, "diff", "--unified", py312, py313)
		if code != 1 || !strings.HasPrefix(stdout, "--- ") || !strings.Contains(stdout, "\n@@ -") {
			t.Errorf("--unified: exit %d, %q", code, firstN(stdout, 200))
		}
	})
	t.Run("variants", func(t *testing.T) {
		if py313 == "" {
			t.Skip("Python 3.13 is needed")
		}
		stdout, stderr, code := pyinc(t, "diff", "--to-define", "Py_GIL_DISABLED", py313, py313)
		if code != 1 || !strings.Contains(stdout, "PyObject.ob_tid: added") || !strings.Contains(stdout, "PyObject.ob_refcnt: removed") {
			t.Errorf("free-threaded variant: exit %d, %s\n%s", code, stderr, firstN(stdout, 2000))
		}
	})
}

// lineOf is the number of the first line of file holding text.
func lineOf(t *testing.T, file, text string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) && !strings.HasPrefix(strings.TrimSpace(l), ";") {
			return file + ":" + strconv.Itoa(i+1)
		}
	}
	t.Fatalf("%s holds no %q", file, text)
	return ""
}

// TestDiffUses: --uses on the committed snapshots (no Python needed) with
// a fixture that reads members later versions took away, and on refext.
func TestDiffUses(t *testing.T) {
	snap := func(v string) string { return filepath.Join("..", "..", "snapshots", "python"+v+".inc") }
	port, helpers := filepath.Join("testdata", "uses", "port.asm"), filepath.Join("testdata", "uses", "helpers.inc")
	t.Run("wstr", func(t *testing.T) {
		stdout, stderr, code := pyinc(t, "diff", snap("3.11"), snap("3.12"), "--uses", port)
		for _, want := range []string{
			"PyASCIIObject.wstr: removed",
			"PyASCIIObject.wstr used at " + lineOf(t, port, "PyASCIIObject.wstr]") + "\n",
			"PyASCIIObject.state.ready: bit 7 of PyASCIIObject.state: was ready, now statically_allocated",
			"PyASCIIObject.state.ready_MASK used at " + lineOf(t, helpers, "ready_MASK") + "\n",
			"Used, but not defined by CPython 3.12",
			// Gone long before 3.11: a member name of a struct all the same.
			"  PyTypeObject.tp_print used at " + lineOf(t, port, "tp_print]") + "\n",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("no %q in\n%s", want, stdout)
			}
		}
		if code != 1 || stderr != "" || strings.Contains(stdout, "ob_refcnt") {
			t.Errorf("exit %d, stderr %q, stdout\n%s", code, stderr, stdout)
		}
	})
	t.Run("tp_print", func(t *testing.T) {
		stdout, _, code := pyinc(t, "diff", snap("3.7"), snap("3.8"), "--uses", port)
		if code != 1 || !strings.Contains(stdout, "PyTypeObject.tp_print: moved @56 -> @") {
			t.Errorf("3.7 -> 3.8: exit %d\n%s", code, stdout)
		}
		stdout, _, code = pyinc(t, "diff", "--format", "json", snap("3.7"), snap("3.9"), "--uses", port)
		var r struct {
			Undefined []struct {
				Name  string
				Sites []struct {
					File string
					Line int
				}
			}
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 1 {
			t.Fatalf("exit %d, %v\n%s", code, err, stdout)
		}
		found := false
		for _, u := range r.Undefined {
			if u.Name == "PyTypeObject.tp_print" && len(u.Sites) == 1 && u.Sites[0].File+":"+strconv.Itoa(u.Sites[0].Line) == lineOf(t, port, "tp_print]") {
				found = true
			}
		}
		if !found {
			t.Errorf("PyTypeObject.tp_print not undefined in 3.9 at its line:\n%s", stdout)
		}
	})
	t.Run("refext", func(t *testing.T) {
		// refext builds and runs on every Python 3 (ext tests): nothing it
		// uses breaks.
		refext := filepath.Join("..", "..", "ext", "refext.asm")
		for _, p := range [][2]string{{"3.6", "3.13"}, {"3.11", "3.12"}} {
			stdout, stderr, code := pyinc(t, "diff", snap(p[0]), snap(p[1]), "--uses", refext)
			if code != 0 || stderr != "" || !strings.Contains(stdout, "PY_VERSION_HEX used at "+lineOf(t, refext, "PY_VERSION_HEX")) {
				t.Errorf("%s -> %s: exit %d, %s\n%s", p[0], p[1], code, stderr, stdout)
			}
		}
		// The limited API has no PyTypeObject.tp_alloc (the type object is
		// opaque); refext uses it only inside %if blocks, which --uses does
		// not evaluate: it names it as a conditional use, and does not fail.
		stdout, _, code := pyinc(t, "diff", snap("3.12"), snap("3.13-abi3"), "--uses", refext)
		if code != 0 || !strings.Contains(stdout, "Used only inside %if blocks") ||
			!strings.Contains(stdout, "PyTypeObject.tp_alloc used at "+lineOf(t, refext, "PyTypeObject.tp_alloc")) {
			t.Errorf("3.12 -> 3.13 limited API: exit %d\n%s", code, stdout)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, stderr, code := pyinc(t, "diff", snap("3.11"), snap("3.12"), "--uses", "testdata/uses/missing.asm")
		checkError(t, stderr, code, "cannot read testdata/uses/missing.asm")
		_, stderr, code = pyinc(t, "diff", "--unified", snap("3.11"), snap("3.12"), "--uses", port)
		checkError(t, stderr, code, "do not go together")
		_, stderr, code = pyinc(t, "diff", snap("3.11"), snap("3.12"), port)
		checkError(t, stderr, code, "two arguments")
	})
}

// TestDiffShort: runs of moves are one line, --verbose and JSON list each;
// JSON is not HTML-escaped.
func TestDiffShort(t *testing.T) {
	a, b := filepath.Join("..", "..", "snapshots", "python3.11.inc"), filepath.Join("..", "..", "snapshots", "python3.12.inc")
	short, _, _ := pyinc(t, "diff", a, b)
	long, _, _ := pyinc(t, "diff", "--verbose", a, b)
	js, _, _ := pyinc(t, "diff", "--format", "json", a, b)
	if !regexp.MustCompile("(?m)^  struct   PyConfig: [0-9]+ members from `[a-z_]+` (on|to `[a-z_]+`) moved \\+8$").MatchString(short) {
		t.Errorf("no PyConfig run in\n%s", short)
	}
	if strings.Contains(short, "PyConfig.argv: moved") || !strings.Contains(long, "PyConfig.argv: moved @") {
		t.Errorf("PyConfig.argv: listed in the short report, or not in the verbose one")
	}
	if strings.Count(long, "\n") <= strings.Count(short, "\n") {
		t.Errorf("verbose %d lines, short %d", strings.Count(long, "\n"), strings.Count(short, "\n"))
	}
	if strings.Contains(js, `\u003e`) || !strings.Contains(js, `"detail": "moved @`) || !strings.Contains(js, `"name": "PyConfig.argv"`) {
		t.Errorf("JSON escapes -> or lacks a move")
	}
}

// TestDiffUsesIncludeName: --uses never reads the include the project in
// the current directory names (include-name), nor warns that it is not
// there; a file of another name is still followed.
func TestDiffUsesIncludeName(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("[tool.pyinc]\ninclude-name = \"asm/api.inc\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "m.asm"), []byte("%include \"asm/api.inc\"\n%include \"other.inc\"\nmov rax, PyObject_size\n"), 0o644)
	a, _ := filepath.Abs(filepath.Join("..", "..", "snapshots", "python3.11.inc"))
	b, _ := filepath.Abs(filepath.Join("..", "..", "snapshots", "python3.12.inc"))
	_, stderr, _ := pyincIn(t, dir, "diff", a, b, "--uses", "m.asm")
	if strings.Contains(stderr, "api.inc") || !strings.Contains(stderr, `%include "other.inc" not found`) {
		t.Errorf("stderr %q: want a warning for other.inc only", stderr)
	}
}
