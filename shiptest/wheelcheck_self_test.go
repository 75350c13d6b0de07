package shiptest

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps the checker's complaints instead of
// failing, so that the checker itself can be tested.
type recorder struct {
	testing.TB
	errs []string
}

type fatal struct{}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	panic(fatal{})
}

// complaints runs checkWheel on a wheel of these members and returns what
// it said.
func complaints(t *testing.T, file string, members [][2]string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), file)
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(fh)
	for _, m := range members {
		w, _ := zw.Create(m[0])
		w.Write([]byte(m[1]))
	}
	zw.Close()
	fh.Close()
	rec := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(fatal); !ok {
					panic(p)
				}
			}
		}()
		checkWheel(rec, path)
	}()
	return rec.errs
}

func row(name, data string) string {
	sum := sha256.Sum256([]byte(data))
	return fmt.Sprintf("%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(sum[:]), len(data))
}

// TestCheckWheelCatches shows the wheel checker passes a correct wheel and
// names each fault planted in an otherwise correct one.
func TestCheckWheelCatches(t *testing.T) {
	const (
		file  = "demo_pkg-1.0-cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64.whl"
		mod   = "demo.cpython-311-x86_64-linux-gnu.so"
		meta  = "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n"
		wheel = "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_5_x86_64\nTag: cp311-cp311-manylinux1_x86_64\n"
		di    = "demo_pkg-1.0.dist-info/"
	)
	good := func(record string) [][2]string {
		return [][2]string{{mod, "\x7fELF"}, {di + "METADATA", meta}, {di + "WHEEL", wheel}, {di + "RECORD", record}}
	}
	rows := row(mod, "\x7fELF") + row(di+"METADATA", meta) + row(di+"WHEEL", wheel)
	if errs := complaints(t, file, good(rows+di+"RECORD,,\n")); len(errs) != 0 {
		t.Fatalf("a correct wheel drew complaints: %q", errs)
	}
	for _, c := range []struct {
		name, file string
		members    [][2]string
		want       string
	}{
		{"wrong hash", file, good(strings.Replace(rows, "sha256=", "sha256=A", 1) + di + "RECORD,,\n"), "RECORD hash of " + mod},
		{"wrong size", file, good(strings.Replace(rows, ",4\n", ",5\n", 1) + di + "RECORD,,\n"), "RECORD size of " + mod},
		{"unlisted member", file, good(row(di+"METADATA", meta) + row(di+"WHEEL", wheel) + di + "RECORD,,\n"), mod + " is not in RECORD"},
		{"listed twice", file, good(rows + row(mod, "\x7fELF") + di + "RECORD,,\n"), "lists " + mod + " twice"},
		{"RECORD hashed", file, good(rows + di + "RECORD,sha256=x,1\n"), "own row"},
		{"no RECORD", file, good(rows + di + "RECORD,,\n")[:3], "no " + di + "RECORD"},
		{"tags differ", strings.Replace(file, ".manylinux1_x86_64", "", 1), good(rows + di + "RECORD,,\n"), "WHEEL Tag lines"},
		{"name not normalized", "Demo.Pkg-1.0-cp311-cp311-linux_x86_64.whl", good(rows + di + "RECORD,,\n"), "not normalized"},
	} {
		errs := complaints(t, c.file, c.members)
		if !strings.Contains(strings.Join(errs, "\n"), c.want) {
			t.Errorf("%s: want a complaint containing %q, got %q", c.name, c.want, errs)
		}
	}
}
