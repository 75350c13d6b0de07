package shiptest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyinc/pyinc/internal/testutil"
)

// TestPlatformTagAgainstAuditwheel: wheels whose modules need symbols of
// particular glibc versions (memcpy@GLIBC_2.14, getrandom@GLIBC_2.25), or
// none, are tagged by pyinc and judged by auditwheel show: the two must
// agree. TestShip's wheels need no versioned symbol at all, so without
// these the manylinux decision would meet auditwheel only at its floor.
func TestPlatformTagAgainstAuditwheel(t *testing.T) {
	testutil.NeedTools(t, "nasm", "cc")
	rs := runners(t)
	var host *runner
	for i := range rs {
		if rs[i].root == "" {
			host = &rs[i]
			break
		}
	}
	if host == nil {
		t.Skip("no Python 3 runs on this host")
	}
	var wheels []string
	for _, c := range []struct{ name, libc string }{
		{"needsnone", ""},
		{"needsmemcpy", "memcpy"},
		{"needsgetrandom", "getrandom"},
	} {
		proj := filepath.Join(t.TempDir(), c.name)
		pyinc(t, "", "new", c.name, proj)
		if c.libc != "" {
			// A tail call the module never makes: enough for the linker to
			// bind the symbol, with its version, from libc.
			src := filepath.Join(proj, c.name+".asm")
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, []byte("\nsection .text\nextern "+c.libc+"\nunused_libc_call:\n    jmp "+c.libc+" wrt ..plt\n")...)
			os.WriteFile(src, b, 0o644)
		}
		out := pyinc(t, proj, "build", "-q", "--python", host.py.Interpreter, "-o", filepath.Join(proj, "dist"))
		if len(out) != 1 || !strings.HasSuffix(out[0], ".whl") {
			t.Fatalf("%s: pyinc build printed %q", c.name, out)
		}
		wheels = append(wheels, out[0])
	}
	// The tags differ, or the fixtures test nothing.
	if p0, p2 := parseWheelName(t, wheels[0]).platforms, parseWheelName(t, wheels[2]).platforms; strings.Join(p0, ".") == strings.Join(p2, ".") {
		t.Errorf("a module needing getrandom@GLIBC_2.25 got the same platform tag as one needing nothing: %v", p0)
	}
	auditwheel(t, treeRoot(), wheels)
}
