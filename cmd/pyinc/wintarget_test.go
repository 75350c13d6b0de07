package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildWindowsRefusals: pyinc build --target windows-x86_64 refuses
// what it cannot build with one line and exit status 2, writing nothing.
func TestBuildWindowsRefusals(t *testing.T) {
	pys := pythons(t)
	dir := scaffold(t, "winbad")
	before := treeState(t, dir)
	var py3 string
	for _, py := range pys {
		if strings.HasPrefix(py.Version, "3.") && py.Interpreter != "" {
			py3 = py.Interpreter
			break
		}
	}
	if py3 == "" {
		t.Skip("no Python 3 interpreter")
	}
	missing := filepath.Join(t.TempDir(), "pyconfig.h")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--target", "windows-x86_64", "--python", py3}, "--pyconfig"},
		{[]string{"--target", "win64", "--python", py3}, "linux-x86_64, windows-x86_64"},
		{[]string{"--target", "windows-x86_64", "--python", py3, "--pyconfig", missing}, "pyconfig.h"},
		{[]string{"--target", "windows-x86_64", "--python", py3, "--include-dir", dir}, "--include-dir and --python"},
	} {
		_, stderr, code := pyinc(t, append([]string{"build", dir}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("pyinc build %s: exit %d, stderr %q; want 2 and one line with %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
	if after := treeState(t, dir); after != before {
		t.Errorf("refused builds changed the project:\n%s\n---\n%s", before, after)
	}
}

// TestListWindows: pyinc list --target windows-x86_64 shows each Python 3's
// headers with the file suffix and DLL of that version's Windows build.
func TestListWindows(t *testing.T) {
	pys := pythons(t)
	stdout, stderr, code := pyinc(t, "list", "--target", "windows-x86_64", "--porcelain")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := strings.Split(strings.TrimSpace(stdout), "\n")
	n := 0
	for _, py := range pys {
		if strings.HasPrefix(py.Version, "3.") {
			n++
		}
	}
	if len(rows) != n {
		t.Fatalf("%d rows for %d Pythons 3:\n%s", len(rows), n, stdout)
	}
	for _, r := range rows {
		f := strings.Split(r, "\t")
		if len(f) != 5 {
			t.Fatalf("row %q: want 5 fields", r)
		}
		mm := strings.Join(strings.SplitN(f[0], ".", 3)[:2], "")
		debug := strings.Contains(f[4], "Py_DEBUG")
		d := map[bool]string{true: "_d", false: ""}[debug]
		// A free-threaded build's module and DLL names carry "t"
		// (python313t.dll, .cp313t-win_amd64.pyd), as CPython's own.
		ft := map[bool]string{true: "t", false: ""}[strings.Contains(f[4], "Py_GIL_DISABLED")]
		if !strings.HasSuffix(f[2], "cp"+mm+ft+"-win_amd64.pyd") || strings.HasPrefix(f[2], "_d") != debug {
			t.Errorf("row %q: suffix %s for CPython %s (%s)", r, f[2], f[0], f[4])
		}
		if !strings.HasPrefix(f[3], "python"+mm+ft) || !strings.HasSuffix(f[3], d+".dll") {
			t.Errorf("row %q: DLL %s for CPython %s (%s)", r, f[3], f[0], f[4])
		}
		if _, err := os.Stat(f[1]); err != nil {
			t.Errorf("row %q: include dir: %v", r, err)
		}
	}
}
