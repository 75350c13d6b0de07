package shiptest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
	"github.com/pyinc/pyinc/internal/winpy"
)

// TestShipWindows carries the scaffold of pyinc new to Windows: for each
// Windows CPython (3.10, 3.11, 3.14 under Wine) pyinc build --target
// windows-x86_64 makes a wheel, which the RECORD check and twine check
// --strict judge, which a second build with the same inputs reproduces
// byte for byte, which that interpreter's pip installs (offline, into a
// --target directory; pip refuses a wheel whose tags it does not accept),
// and whose module then passes the scaffold's own test.
func TestShipWindows(t *testing.T) {
	pys := testutil.WinPythons(t)
	need(t, "nasm", "it assembles the module")
	proj := filepath.Join(t.TempDir(), "winmath")
	pyinc(t, "", "new", "winmath", proj)
	var wheels []string
	shared := t.TempDir() // wheels outlive the subtests, for twine
	for _, py := range pys {
		t.Run(py.Version, func(t *testing.T) {
			dist := filepath.Join(shared, py.Version)
			args := append([]string{"build", proj, "-q", "--target", "windows-x86_64", "-o", dist}, testutil.WinHeaders(t, py.MajorMinor())...)
			whl := one(t, pyincEnv(t, "", []string{"SOURCE_DATE_EPOCH=1700000000"}, args...))
			tag := "cp" + strings.ReplaceAll(py.MajorMinor(), ".", "")
			if want := "winmath-0.1.0-" + tag + "-" + tag + "-win_amd64.whl"; filepath.Base(whl) != want {
				t.Fatalf("wheel %s, want %s", filepath.Base(whl), want)
			}
			members := checkWheel(t, whl)
			if _, ok := members["winmath."+tag+"-win_amd64.pyd"]; !ok {
				t.Errorf("the wheel lacks winmath.%s-win_amd64.pyd", tag)
			}
			first, _ := os.ReadFile(whl)
			again := t.TempDir()
			args[6] = again
			second, _ := os.ReadFile(one(t, pyincEnv(t, "", []string{"SOURCE_DATE_EPOCH=1700000000"}, args...)))
			if !bytes.Equal(first, second) {
				t.Error("two builds with the same inputs made different wheels")
			}
			wheels = append(wheels, whl)

			site := t.TempDir()
			testutil.RunWin(t, py, site, nil, winpy.PipArgs("install", "--no-index", "--disable-pip-version-check",
				"--no-cache-dir", "--target", winpy.WinPath(site), winpy.WinPath(whl))...)
			env := []string{"PYTHONPATH=" + winpy.WinPath(site)}
			where := testutil.RunWin(t, py, site, env, "-c", "import winmath; print(winmath.__file__)")
			if want := filepath.Join(site, "winmath."+tag+"-win_amd64.pyd"); !strings.EqualFold(strings.TrimSpace(where), winpy.WinPath(want)) {
				t.Errorf("winmath imported from %s, want %s", strings.TrimSpace(where), winpy.WinPath(want))
			}
			// unittest's exit status says whether the scaffold's tests passed.
			testutil.RunWin(t, py, site, env, winpy.WinPath(filepath.Join(proj, "test_winmath.py")))
		})
	}
	t.Run("twine-check", func(t *testing.T) { twineCheck(t, wheels) })
}
