package wheel

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckMembers: names that climb out of the archive's root, or name
// one member twice, are refused before anything is written.
func TestCheckMembers(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  string // "" accepted
	}{
		{[]string{"m.so", "d-1.dist-info/METADATA"}, ""},
		{[]string{"/etc/passwd"}, "is not a relative"},
		{[]string{"m.so/../../../tmp/planted"}, `has a part ".."`},
		{[]string{"fm-0.1.0/./LICENSE"}, `has a part "."`},
		{[]string{"a//b"}, `has a part ""`},
		{[]string{`a\b`}, "is not a relative"},
		{[]string{"LICENSE", "LICENSE"}, "named twice"},
	} {
		var files []File
		for _, n := range c.names {
			files = append(files, File{Name: n})
		}
		err := CheckMembers(files)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("CheckMembers(%q) = %v, want %q", c.names, err, c.want)
		}
	}
	// A module whose name climbs out (a faked suffix) gives no wheel.
	p := testProject(t)
	_, _, err := Build(p, []File{{Name: "fast.so/../../../tmp/planted", Data: []byte("x")}}, Options{Tag: testTag, Epoch: time.Unix(0, 0)})
	if err == nil || !strings.Contains(err.Error(), "nothing written") {
		t.Errorf("Build with a climbing member: %v", err)
	}
}

// TestEpochRange: a SOURCE_DATE_EPOCH a zip cannot hold is refused in
// one line; the last second it can hold is taken.
func TestEpochRange(t *testing.T) {
	for v, want := range map[string]string{"99999999999": "after 2107", "4354819198": "", "4354819200": "after 2107", "-1": "not a count"} {
		t.Setenv("SOURCE_DATE_EPOCH", v)
		_, err := Epoch()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n")) {
			t.Errorf("SOURCE_DATE_EPOCH=%s: %v, want %q", v, err, want)
		}
	}
}

// TestSdistPax: names ustar cannot hold (non-ASCII, a part over 100
// characters) are written, as pax, and read back.
func TestSdistPax(t *testing.T) {
	p := testProject(t)
	long := strings.Repeat("x", 120) + ".txt"
	for _, n := range []string{"docs/ünïcode.txt", "docs/" + long} {
		os.MkdirAll(filepath.Join(p.Dir, "docs"), 0o755)
		os.WriteFile(filepath.Join(p.Dir, n), []byte("x"), 0o644)
	}
	p.SdistInclude = []string{"docs"}
	_, data, err := Sdist(p, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := gzip.NewReader(bytes.NewReader(data))
	tr := tar.NewReader(gz)
	found := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		found[h.Name] = true
	}
	for _, n := range []string{"docs/ünïcode.txt", "docs/" + long} {
		if !found["fast_math_lib-1.0rc1/"+n] {
			t.Errorf("%s is not in the sdist: %v", n, found)
		}
	}
}
