package main

import (
	"encoding/json"
	"os"
	"path/filepath"
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
