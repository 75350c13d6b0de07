package winpy

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes a tree in go-embed-python's stored form: files.json,
// and each file beside it, gzip-compressed when marked so.
func writeTree(t *testing.T, list string, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "files.json"), []byte(list), 0o644)
	for name, data := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	return dir
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestUnpack(t *testing.T) {
	src := writeTree(t, `{"contentHash": "h1", "files": [
		{"name": "Lib", "size": 0, "perm": 2147484141},
		{"name": "Lib/os.py", "size": 5, "perm": 420},
		{"name": "python.exe", "size": 3, "perm": 493, "compressed": true}]}`,
		map[string][]byte{"Lib/os.py": []byte("os!\n\n"), "python.exe.gz": gz("MZ!")})
	dst := filepath.Join(t.TempDir(), "3.11.11")
	if err := Unpack(src, dst); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"Lib/os.py": "os!\n\n", "python.exe": "MZ!", stampName: "h1"} {
		if got, _ := os.ReadFile(filepath.Join(dst, name)); string(got) != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// The same content hash: nothing is unpacked again.
	os.WriteFile(filepath.Join(dst, "python.exe"), []byte("kept"), 0o644)
	if err := Unpack(src, dst); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "python.exe")); string(got) != "kept" {
		t.Errorf("an unpacked tree with the same hash was unpacked again")
	}
	bad := writeTree(t, `{"contentHash": "h2", "files": [{"name": "../evil", "size": 1, "perm": 420}]}`, nil)
	if err := Unpack(bad, filepath.Join(t.TempDir(), "x")); err == nil || !strings.Contains(err.Error(), "leaves the tree") {
		t.Errorf("a name outside the tree: %v", err)
	}
}

func TestFindHeaders(t *testing.T) {
	src := t.TempDir()
	for _, f := range []string{"Python-3.11.2/Include/Python.h", "Python-3.11.2/PC/pyconfig.h", "Python-3.13.15/Include/Python.h", "Python-3.13.15/PC/pyconfig.h.in"} {
		os.MkdirAll(filepath.Dir(filepath.Join(src, f)), 0o755)
		os.WriteFile(filepath.Join(src, f), nil, 0o644)
	}
	h, err := FindHeaders(src, "3.11", nil)
	if err != nil || h.Args[0] != "--include-dir" || h.ConfigHeader != filepath.Join(src, "Python-3.11.2/PC/pyconfig.h") {
		t.Errorf("3.11: %+v %v", h, err)
	}
	inst := []Installed{{Version: "3.14.10", IncludeDir: "/tree/usr/include/python3.14", Root: "/tree"}}
	h, err = FindHeaders(src, "3.14", inst)
	want := []string{"--python", "3.14", "--pyconfig", filepath.Join(src, "Python-3.13.15/PC/pyconfig.h.in"), "--root", "/tree"}
	if err != nil || strings.Join(h.Args, " ") != strings.Join(want, " ") || h.IncludeDir != inst[0].IncludeDir {
		t.Errorf("3.14: %+v %v, want args %v", h, err, want)
	}
	if _, err := FindHeaders(src, "3.9", inst); err == nil || !strings.Contains(err.Error(), "3.9") {
		t.Errorf("3.9 without headers: %v", err)
	}
}
