package wheel

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pyinc/pyinc/project"
)

func testProject(t *testing.T) *project.Project {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"README.md": "# Fast math\n\nAdds.\n", "LICENSE": "MIT License\n", "fast.asm": "; source\n",
		"pyinc_backend.py": "# backend\n", "pyproject.toml": "[project]\n", "tests/test_fast.py": "pass\n",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &project.Project{
		Dir: dir, Name: "Fast.Math-Lib", Version: "1.0rc1", Summary: "adds numbers",
		Readme: "README.md", ReadmeText: "# Fast math\n\nAdds.\n", ReadmeType: "text/markdown",
		RequiresPython: ">=3.8", License: "MIT", LicenseFiles: []string{"LICENSE"},
		Authors:      []project.Person{{Name: "Ann", Email: "ann@example.org"}, {Name: "Bob"}},
		Keywords:     []string{"asm", "nasm"},
		URLs:         [][2]string{{"Source", "https://example.org/src"}},
		Dependencies: []string{"numpy>=1.20", `pytest; extra == "test"`}, Extras: []string{"test"},
		Modules:      []project.Module{{Name: "fast", Sources: []string{"fast.asm"}}},
		SdistInclude: []string{"tests/*.py"}, BackendFile: "pyinc_backend.py",
	}
}

var testTag = Tag{"cp312", "cp312", "manylinux_2_5_x86_64.manylinux1_x86_64"}

func build(t *testing.T, p *project.Project, epoch time.Time) (string, []byte) {
	t.Helper()
	files := []File{{Name: "fast.cpython-312-x86_64-linux-gnu.so", Data: []byte("\x7fELF module"), Mode: 0o755}}
	name, data, err := Build(p, files, Options{Tag: testTag, Generator: "pyinc test", Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	return name, data
}

func TestFileName(t *testing.T) {
	p := testProject(t)
	if got, want := FileName(p, testTag), "fast_math_lib-1.0rc1-cp312-cp312-manylinux_2_5_x86_64.manylinux1_x86_64.whl"; got != want {
		t.Errorf("FileName = %s, want %s", got, want)
	}
	if got, want := DistInfo(p), "fast_math_lib-1.0rc1.dist-info"; got != want {
		t.Errorf("DistInfo = %s, want %s", got, want)
	}
	if got, want := SdistName(p), "fast_math_lib-1.0rc1.tar.gz"; got != want {
		t.Errorf("SdistName = %s, want %s", got, want)
	}
	tags := testTag.Expand()
	if len(tags) != 2 || tags[0].String() != "cp312-cp312-manylinux_2_5_x86_64" || tags[1].String() != "cp312-cp312-manylinux1_x86_64" {
		t.Errorf("Expand = %v", tags)
	}
}

func unzip(t *testing.T, data []byte) (names []string, files map[string][]byte, zf []*zip.File) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files = map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		names = append(names, f.Name)
		files[f.Name] = b
	}
	return names, files, zr.File
}

// TestRecord checks RECORD against an independent hash of every member:
// every member listed once, with its own sha256 and size, RECORD unhashed.
func TestRecord(t *testing.T) {
	_, data := build(t, testProject(t), time.Unix(0, 0))
	names, files, _ := unzip(t, data)
	record, ok := files["fast_math_lib-1.0rc1.dist-info/RECORD"]
	if !ok {
		t.Fatalf("no RECORD in %v", names)
	}
	rows, err := csv.NewReader(bytes.NewReader(record)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, r := range rows {
		if len(r) != 3 {
			t.Fatalf("RECORD row %q: want 3 fields", r)
		}
		listed[r[0]] = true
		if strings.HasSuffix(r[0], "/RECORD") {
			if r[1] != "" || r[2] != "" {
				t.Errorf("RECORD lists a hash for itself: %q", r)
			}
			continue
		}
		body, ok := files[r[0]]
		if !ok {
			t.Errorf("RECORD lists %s, which is not in the wheel", r[0])
			continue
		}
		sum := sha256.Sum256(body)
		if want := "sha256=" + base64.URLEncoding.EncodeToString(sum[:]); r[1] != strings.TrimRight(want, "=") {
			t.Errorf("%s: RECORD hash %s, the member hashes to %s", r[0], r[1], want)
		}
		if r[2] != strconv.Itoa(len(body)) {
			t.Errorf("%s: RECORD size %s, the member has %d bytes", r[0], r[2], len(body))
		}
	}
	for _, n := range names {
		if !listed[n] {
			t.Errorf("%s is in the wheel but not in RECORD", n)
		}
	}
	if names[len(names)-1] != "fast_math_lib-1.0rc1.dist-info/RECORD" {
		t.Errorf("RECORD is not the last member: %v", names)
	}
}

func TestWheelFiles(t *testing.T) {
	_, data := build(t, testProject(t), time.Unix(0, 0))
	names, files, zf := unzip(t, data)
	want := []string{"fast.cpython-312-x86_64-linux-gnu.so", "fast_math_lib-1.0rc1.dist-info/licenses/LICENSE",
		"fast_math_lib-1.0rc1.dist-info/METADATA", "fast_math_lib-1.0rc1.dist-info/WHEEL", "fast_math_lib-1.0rc1.dist-info/RECORD"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("members %v, want %v", names, want)
	}
	wheelFile := string(files["fast_math_lib-1.0rc1.dist-info/WHEEL"])
	for _, line := range []string{"Wheel-Version: 1.0\n", "Root-Is-Purelib: false\n", "Tag: cp312-cp312-manylinux_2_5_x86_64\n", "Tag: cp312-cp312-manylinux1_x86_64\n"} {
		if !strings.Contains(wheelFile, line) {
			t.Errorf("WHEEL lacks %q:\n%s", line, wheelFile)
		}
	}
	if zf[0].Mode().Perm() != 0o755 {
		t.Errorf("module mode %v, want 0755", zf[0].Mode())
	}
}

// TestMetadata parses METADATA as the email-header format it is.
func TestMetadata(t *testing.T) {
	md := string(Metadata(testProject(t)))
	head, body, ok := strings.Cut(md, "\n\n")
	if !ok {
		t.Fatalf("no blank line before the description:\n%s", md)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(head, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("not a header line: %q", line)
		}
		got[k] = append(got[k], v)
	}
	want := map[string][]string{
		"Metadata-Version": {"2.1"}, "Name": {"Fast.Math-Lib"}, "Version": {"1.0rc1"},
		"Summary": {"adds numbers"}, "Keywords": {"asm,nasm"}, "Author": {"Bob"},
		"Author-email": {"Ann <ann@example.org>"}, "License": {"MIT"},
		"Project-URL": {"Source, https://example.org/src"}, "Requires-Python": {">=3.8"},
		"Provides-Extra": {"test"}, "Requires-Dist": {"numpy>=1.20", `pytest; extra == "test"`},
		"Description-Content-Type": {"text/markdown"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("METADATA fields:\n got %v\nwant %v", got, want)
	}
	if body != "# Fast math\n\nAdds.\n" {
		t.Errorf("description %q", body)
	}
}

func TestDeterministic(t *testing.T) {
	p := testProject(t)
	epoch := time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)
	_, a := build(t, p, epoch)
	_, b := build(t, p, epoch)
	if !bytes.Equal(a, b) {
		t.Errorf("two wheels of the same inputs differ")
	}
	_, _, zf := unzip(t, a)
	for _, f := range zf {
		if !f.Modified.Equal(epoch) {
			t.Errorf("%s: time %v, want %v", f.Name, f.Modified, epoch)
		}
	}
	_, s1, err := Sdist(p, epoch)
	if err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(p.Dir, "fast.asm"), time.Now(), time.Now())
	_, s2, _ := Sdist(p, epoch)
	if !bytes.Equal(s1, s2) {
		t.Errorf("two sdists of the same inputs differ")
	}
}

func TestEpoch(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	if e, err := Epoch(); err != nil || e.Unix() != 1700000000 {
		t.Errorf("Epoch = %v, %v", e, err)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "5") // before 1980: zip's earliest
	if e, _ := Epoch(); e.Year() != 1980 {
		t.Errorf("Epoch for 5 = %v, want 1980", e)
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := Epoch(); err == nil || !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH") {
		t.Errorf("Epoch of a bad value: %v", err)
	}
}

func TestSdist(t *testing.T) {
	p := testProject(t)
	epoch := time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)
	name, data, err := Sdist(p, epoch)
	if err != nil {
		t.Fatal(err)
	}
	if name != "fast_math_lib-1.0rc1.tar.gz" {
		t.Errorf("name %s", name)
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var got []string
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(epoch) || h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: time %v uid %d gid %d", h.Name, h.ModTime, h.Uid, h.Gid)
		}
		got = append(got, h.Name)
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
	top := "fast_math_lib-1.0rc1/"
	want := []string{top, top + "LICENSE", top + "PKG-INFO", top + "README.md", top + "fast.asm",
		top + "pyinc_backend.py", top + "pyproject.toml", top + "tests/", top + "tests/test_fast.py"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("members %v\nwant %v", got, want)
	}
	if files[top+"PKG-INFO"] != string(Metadata(p)) {
		t.Errorf("PKG-INFO is not the core metadata")
	}
	p.SdistInclude = []string{"nothing/*.py"}
	if _, _, err := Sdist(p, epoch); err == nil || !strings.Contains(err.Error(), "matches no file") {
		t.Errorf("sdist-include matching nothing: %v", err)
	}
}
