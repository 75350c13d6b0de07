package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/cparse"
	"github.com/pyinc/pyinc/internal/testutil"
)

func TestMain(m *testing.M) {
	// The tests keep their own cache, away from the user's.
	dir, err := os.MkdirTemp("", "pyinc-cache")
	if err != nil {
		panic(err)
	}
	os.Setenv("PYINC_CACHE_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	testutil.RemovePyinc()
	os.Exit(code)
}

// pyinc runs the built binary in the current directory.
func pyinc(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return run(t, "", nil, args...)
}

func pythons(t *testing.T) []*cparse.Python { return testutil.Pythons(t) }

var timestampRE = regexp.MustCompile(`\b(19|20)\d\d-\d\d-\d\d\b|\b\d\d:\d\d:\d\d\b`)

// TestGenDeterministic: the same inputs give byte-identical output, with no
// host paths and no timestamps in it.
func TestGenDeterministic(t *testing.T) {
	for _, py := range pythons(t) {
		t.Run(testutil.Name(py), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a.inc"), filepath.Join(dir, "b.inc")
			for _, out := range []string{a, b} {
				if _, stderr, code := pyinc(t, "gen", "-q", "--no-cache", "--python", py.Interpreter, "-o", out); code != 0 {
					t.Fatalf("pyinc gen: exit %d: %s", code, stderr)
				}
			}
			x, _ := os.ReadFile(a)
			y, _ := os.ReadFile(b)
			if !bytes.Equal(x, y) {
				t.Fatal("two runs on the same headers gave different output")
			}
			host := append([]string{"/root/", "/home/", "/usr/", "/tmp/", dir}, py.IncludeDirs...)
			if py.LibPython != "" {
				host = append(host, filepath.Dir(py.LibPython))
			}
			for _, h := range host {
				if bytes.Contains(x, []byte(h)) {
					t.Errorf("output contains the host path %s", h)
				}
			}
			if m := timestampRE.Find(x); m != nil {
				t.Errorf("output contains what looks like a timestamp: %s", m)
			}
			if !bytes.Contains(x, []byte("CPython "+py.Version)) {
				t.Errorf("header does not name CPython %s", py.Version)
			}
		})
	}
}

// TestGenWays: the ways of naming a Python all work, and stdout output.
func TestGenWays(t *testing.T) {
	all := pythons(t)
	py := all[0]
	stdout, stderr, code := pyinc(t, "gen", "--python", py.Interpreter, "-o", "-")
	if code != 0 || !strings.HasPrefix(stdout, "; python.inc for CPython "+py.Version) {
		t.Fatalf("gen -o -: exit %d, stderr %q, stdout starts %q", code, stderr, firstN(stdout, 60))
	}
	if !regexp.MustCompile(`^stdout: CPython \S+, \d+ structs, \d+ constants, \d+ externs, [0-9.]+ s( \(cached\))?\n$`).MatchString(stderr) {
		t.Errorf("summary line: %q", stderr)
	}
	_, stderr, code = pyinc(t, "gen", "-q", "--python", py.MajorMinor(), "-o", filepath.Join(t.TempDir(), "v.inc"))
	if code != 0 {
		t.Errorf("--python %s: exit %d: %s", py.MajorMinor(), code, stderr)
	}
	stdout, stderr, code = pyinc(t, "gen", "-q", "--include-dir", py.IncludeDirs[0], "-o", "-")
	if code != 0 || !strings.Contains(stdout, "STRUC PyMethodDef") {
		t.Errorf("--include-dir: exit %d: %s", code, stderr)
	}
	stdout, _, code = pyinc(t, "list")
	if code != 0 || !strings.HasPrefix(stdout, "VERSION") || !strings.Contains(stdout, py.IncludeDirs[0]) {
		t.Errorf("list: exit %d:\n%s", code, stdout)
	}
	for _, args := range [][]string{{"--help"}, {"gen", "--help"}, {"list", "--help"}} {
		if stdout, _, code := pyinc(t, args...); code != 0 || !strings.Contains(stdout, "Usage") {
			t.Errorf("pyinc %v: exit %d, %q", args, code, stdout)
		}
	}
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// TestGenErrors: bad input gets one line on stderr, exit status 2, and an
// existing output file is left as it was.
func TestGenErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "python.inc")
	const old = "; an earlier python.inc\n"
	noHeaders := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown version", []string{"gen", "--python", "3.99", "-o", out}, "no Python 3.99 found"},
		{"missing include dir", []string{"gen", "--include-dir", filepath.Join(dir, "nope"), "-o", out}, "does not exist"},
		{"include dir without Python.h", []string{"gen", "--include-dir", noHeaders, "-o", out}, "no Python.h"},
		{"missing interpreter", []string{"gen", "--python", "/nonexistent/python3", "-o", out}, "does not exist"},
		{"unknown flag", []string{"gen", "--pyhton", "3.9", "-o", out}, "unknown flag"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "-"), func(t *testing.T) {
			if err := os.WriteFile(out, []byte(old), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := pyinc(t, c.args...)
			checkError(t, stderr, code, c.want)
			if b, _ := os.ReadFile(out); string(b) != old {
				t.Errorf("the existing output file was changed")
			}
		})
	}
	t.Run("configurations", func(t *testing.T) {
		var py313 *cparse.Python
		all := pythons(t)
		for _, p := range all {
			if p.MajorMinor() == "3.13" && p.Interpreter != "" {
				py313 = p
			}
		}
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"--define", "1bad"}, "not a C identifier"},
			{[]string{"--limited-api", "3"}, "pass a Python 3 version"},
			{[]string{"--define", "Py_LIMITED_API=3"}, "use --limited-api"},
		} {
			if err := os.WriteFile(out, []byte(old), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := pyinc(t, append([]string{"gen", "--python", all[0].Interpreter, "-o", out}, c.args...)...)
			checkError(t, stderr, code, c.want)
			if b, _ := os.ReadFile(out); string(b) != old {
				t.Errorf("the existing output file was changed")
			}
		}
		if py313 == nil {
			t.Skip("Python 3.13 is not installed: the free-threaded limited API refusal is not checked")
		}
		_, stderr, code := pyinc(t, "gen", "--python", py313.Interpreter, "-D", "Py_GIL_DISABLED", "--limited-api", "3.13", "-o", out)
		checkError(t, stderr, code, `#error "The limited API is not currently supported in the free-threaded build"`)
		if b, _ := os.ReadFile(out); string(b) != old {
			t.Errorf("the existing output file was changed")
		}
	})
	t.Run("unwritable-output", func(t *testing.T) {
		all := pythons(t)
		for _, o := range []string{filepath.Join(dir, "missing", "python.inc"), "/proc/pyinc-test.inc"} {
			_, stderr, code := pyinc(t, "gen", "-q", "--python", all[0].Interpreter, "-o", o)
			checkError(t, stderr, code, "cannot write")
			if _, err := os.Stat(o); err == nil {
				t.Errorf("%s was created", o)
			}
		}
		left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
		if len(left) > 0 {
			t.Errorf("temporary files left behind: %v", left)
		}
	})
}

func checkError(t *testing.T, stderr string, code int, want string) {
	t.Helper()
	if code != 2 {
		t.Errorf("exit status %d, want 2 (stderr %q)", code, stderr)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
		t.Errorf("stderr should be one line containing %q, got %q", want, stderr)
	}
}
