package testutil

import (
	"bytes"
	"fmt"
	"os"
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
// headers of CPython majorMinor ("3.11"), or skips the test saying what
// is missing. No Windows CPython here ships its include/, so the headers
// are a CPython source tree's Include/ of that version from make pythons
// (.cache/src, whose PC/ configuration header gen finds itself), else an
// installed Python of that version (or the Debian tree's) with the Windows
// configuration header of the nearest version whose source is at hand
// (PC/pyconfig.h changes between versions in nothing the layouts read;
// the runtime tests under Windows CPython are what vouch for that).
func WinHeaders(t testing.TB, majorMinor string) []string {
	t.Helper()
	src := filepath.Join(repoRoot(), ".cache", "src")
	trees, _ := filepath.Glob(filepath.Join(src, "Python-3.*"))
	var best string
	bestDist := 1 << 30
	for _, tree := range trees {
		mm := strings.Join(strings.SplitN(strings.TrimPrefix(filepath.Base(tree), "Python-"), ".", 3)[:2], ".")
		if mm == majorMinor {
			return []string{"--include-dir", filepath.Join(tree, "Include")}
		}
		if d := minorDistance(mm, majorMinor); d < bestDist {
			best, bestDist = tree, d
		}
	}
	if best == "" {
		t.Skipf("no CPython source tree in %s for a Windows configuration header (make pythons)", src)
	}
	header := filepath.Join(best, "PC", "pyconfig.h")
	if !fileExists(header) {
		header += ".in"
	}
	args := []string{"--python", majorMinor, "--pyconfig", header}
	for _, py := range AllPythons(t) {
		if py.MajorMinor() != majorMinor {
			continue
		}
		if py.Root != "" {
			return append(args, "--root", py.Root)
		}
		return args
	}
	t.Skipf("no CPython %s headers here (neither a source tree in %s nor an installed Python)", majorMinor, src)
	return nil
}

func minorDistance(a, b string) int {
	var am, bm int
	fmt.Sscanf(a, "3.%d", &am)
	fmt.Sscanf(b, "3.%d", &bm)
	if am > bm {
		return am - bm
	}
	return bm - am
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
