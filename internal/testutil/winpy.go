package testutil

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/winpy"
)

// WinPythons lists the Windows CPython interpreters make pythons unpacked
// (3.10, 3.11, 3.14, run under Wine), or skips the test saying why there
// are none.
func WinPythons(t testing.TB) []winpy.Python {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the fast tier runs no Windows Python")
	}
	root, err := filepath.Abs(filepath.Join(repoRoot(), ".cache"))
	if err != nil {
		t.Fatal(err)
	}
	found, why := winpy.CacheLayout{Root: root}.Find()
	if len(found) == 0 {
		t.Skipf("no Windows CPython to run under Wine: %s", why)
	}
	return found
}

// RunWin runs a Windows Python under Wine in dir with args and returns its
// output; a failure ends the test with both streams.
func RunWin(t testing.TB, py winpy.Python, dir string, env []string, args ...string) string {
	t.Helper()
	out, errOut, err := TryWin(py, dir, env, args...)
	if err != nil {
		t.Fatalf("Windows CPython %s: python %s: %v\nstdout:\n%s\nstderr:\n%s", py.Version, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// TryWin runs a Windows Python under Wine and returns its output streams.
func TryWin(py winpy.Python, dir string, env []string, args ...string) (stdout, stderr string, err error) {
	cmd := py.Command(args...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// WinHeaders returns the pyinc gen/build arguments that give the Windows
// headers of CPython majorMinor ("3.11"), as winpy.FindHeaders finds them,
// or skips the test saying what is missing.
func WinHeaders(t testing.TB, majorMinor string) []string {
	t.Helper()
	var installed []winpy.Installed
	for _, py := range AllPythons(t) {
		installed = append(installed, winpy.Installed{Version: py.Version, IncludeDir: py.IncludeDirs[0], Root: py.Root})
	}
	h, err := winpy.FindHeaders(filepath.Join(repoRoot(), ".cache", "src"), majorMinor, installed)
	if err != nil {
		t.Skip(err)
	}
	return h.Args
}
