package shiptest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// wheelName is a wheel's file name taken apart (the binary distribution
// format: {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl, each
// tag part possibly a dot-separated set).
type wheelName struct {
	name, version            string
	pythons, abis, platforms []string
}

func parseWheelName(t testing.TB, path string) wheelName {
	t.Helper()
	base := filepath.Base(path)
	parts := strings.Split(strings.TrimSuffix(base, ".whl"), "-")
	if !strings.HasSuffix(base, ".whl") || (len(parts) != 5 && len(parts) != 6) {
		t.Fatalf("%s: not a wheel file name", base)
	}
	n := len(parts)
	return wheelName{parts[0], parts[1],
		strings.Split(parts[n-3], "."), strings.Split(parts[n-2], "."), strings.Split(parts[n-1], ".")}
}

// tags expands the compressed tag sets: every python-abi-platform triple.
func (w wheelName) tags() []string {
	var out []string
	for _, p := range w.pythons {
		for _, a := range w.abis {
			for _, pl := range w.platforms {
				out = append(out, p+"-"+a+"-"+pl)
			}
		}
	}
	sort.Strings(out)
	return out
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.]+$`)

// checkWheel reads a wheel as the binary distribution format describes
// it, independently of pyinc's writer: the file name is normalized, there
// is one .dist-info named for it, RECORD lists every member exactly once
// with its sha256 (urlsafe base64, no padding) and size, WHEEL says
// Root-Is-Purelib: false and lists exactly the file name's tags, METADATA
// names the same project and version. It returns the members.
func checkWheel(t testing.TB, path string) map[string][]byte {
	t.Helper()
	w := parseWheelName(t, path)
	if !nameRE.MatchString(w.name) || strings.ToLower(w.name) != w.name || strings.Contains(w.name, ".") {
		t.Errorf("%s: distribution name %q is not normalized (lower case, runs of -_. as _)", path, w.name)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	members := map[string][]byte{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if _, dup := members[f.Name]; dup {
			t.Errorf("%s: member %s appears twice", path, f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		b, err := io.ReadAll(rc) // checks the zip's CRC too
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		members[f.Name] = b
	}
	distInfo := w.name + "-" + w.version + ".dist-info/"
	for name := range members {
		if strings.Contains(name, ".dist-info/") && !strings.HasPrefix(name, distInfo) {
			t.Errorf("%s: %s is outside %s", path, name, distInfo)
		}
	}
	checkRecord(t, path, members, distInfo+"RECORD")
	checkWheelFile(t, path, w, members[distInfo+"WHEEL"])
	meta := string(members[distInfo+"METADATA"])
	if !strings.HasPrefix(meta, "Metadata-Version: ") {
		t.Errorf("%s: METADATA does not start with Metadata-Version:\n%s", path, meta)
	}
	name := headerValue(meta, "Name")
	if normalize(name) != w.name {
		t.Errorf("%s: METADATA Name %q does not normalize to the file name's %q", path, name, w.name)
	}
	if v := headerValue(meta, "Version"); v != w.version {
		t.Errorf("%s: METADATA Version %q, file name says %q", path, v, w.version)
	}
	return members
}

func checkRecord(t testing.TB, path string, members map[string][]byte, recordName string) {
	t.Helper()
	rec, ok := members[recordName]
	if !ok {
		t.Fatalf("%s: no %s", path, recordName)
	}
	rows, err := csv.NewReader(bytes.NewReader(rec)).ReadAll()
	if err != nil {
		t.Fatalf("%s: RECORD is not CSV: %v", path, err)
	}
	listed := map[string]bool{}
	for _, row := range rows {
		if len(row) != 3 {
			t.Errorf("%s: RECORD row %q has %d fields, want 3", path, row, len(row))
			continue
		}
		name, hash, size := row[0], row[1], row[2]
		if listed[name] {
			t.Errorf("%s: RECORD lists %s twice", path, name)
		}
		listed[name] = true
		data, ok := members[name]
		switch {
		case !ok:
			t.Errorf("%s: RECORD lists %s, which the wheel does not hold", path, name)
		case name == recordName:
			if hash != "" || size != "" {
				t.Errorf("%s: RECORD's own row must have no hash and size: %q", path, row)
			}
		default:
			sum := sha256.Sum256(data)
			if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); hash != want {
				t.Errorf("%s: RECORD hash of %s is %q, the member hashes to %q", path, name, hash, want)
			}
			if want := strconv.Itoa(len(data)); size != want {
				t.Errorf("%s: RECORD size of %s is %q, the member has %s bytes", path, name, size, want)
			}
		}
	}
	for name := range members {
		if !listed[name] {
			t.Errorf("%s: %s is not in RECORD", path, name)
		}
	}
}

func checkWheelFile(t testing.TB, path string, w wheelName, wheel []byte) {
	t.Helper()
	text := string(wheel)
	if v := headerValue(text, "Wheel-Version"); v != "1.0" {
		t.Errorf("%s: Wheel-Version %q, want 1.0", path, v)
	}
	if v := headerValue(text, "Root-Is-Purelib"); v != "false" {
		t.Errorf("%s: Root-Is-Purelib %q, want false for an extension module", path, v)
	}
	var tags []string
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "Tag: "); ok {
			tags = append(tags, strings.TrimSpace(v))
		}
	}
	sort.Strings(tags)
	if strings.Join(tags, " ") != strings.Join(w.tags(), " ") {
		t.Errorf("%s: WHEEL Tag lines %v, the file name's tags are %v", path, tags, w.tags())
	}
}

// headerValue is the value of the first "Key: value" line of an email
// style header block.
func headerValue(text, key string) string {
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(line, key+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var runsRE = regexp.MustCompile(`[-_.]+`)

// normalize is the file name form of a distribution name (PEP 503, with
// _ for the wheel file name).
func normalize(name string) string {
	return runsRE.ReplaceAllString(strings.ToLower(name), "_")
}

// moduleFiles lists the members that are extension modules.
func moduleFiles(members map[string][]byte) []string {
	var out []string
	for name := range members {
		if strings.HasSuffix(name, ".so") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// legacyAlias maps a PEP 600 manylinux tag to the older name that pips
// before 20.3 know, which a wheel may carry beside it.
var legacyAlias = map[string]string{
	"manylinux_2_5_x86_64":  "manylinux1_x86_64",
	"manylinux_2_12_x86_64": "manylinux2010_x86_64",
	"manylinux_2_17_x86_64": "manylinux2014_x86_64",
}

var consistentRE = regexp.MustCompile(`is consistent with the following platform tag: "([^"]+)"`)

// auditwheel runs auditwheel show (Debian unstable's, in the tree) on each
// wheel and checks that the platform it judges the wheel's ELF files
// consistent with is the wheel's platform tag (with at most its legacy
// alias beside it).
func auditwheel(t *testing.T, root string, wheels []string) {
	t.Helper()
	if root == "" {
		t.Skip("auditwheel runs in the Debian unstable tree (make pythons), which is not built")
	}
	if os.Geteuid() != 0 {
		t.Skip("auditwheel runs in the tree with chroot, which needs root")
	}
	if _, err := os.Stat(filepath.Join(root, "usr", "bin", "auditwheel")); err != nil {
		t.Skip("the tree has no auditwheel (python3-auditwheel): run make pythons")
	}
	dir, err := os.MkdirTemp(filepath.Join(root, "tmp"), "auditwheel-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for _, whl := range wheels {
		copyFile(t, whl, filepath.Join(dir, filepath.Base(whl)))
		in := "/tmp/" + filepath.Base(dir) + "/" + filepath.Base(whl)
		out, err := exec.Command("chroot", root, "auditwheel", "show", in).CombinedOutput()
		if err != nil {
			t.Errorf("auditwheel show %s: %v\n%s", filepath.Base(whl), err, out)
			continue
		}
		m := consistentRE.FindStringSubmatch(strings.Join(strings.Fields(string(out)), " "))
		if m == nil {
			t.Errorf("auditwheel show %s says no platform:\n%s", filepath.Base(whl), out)
			continue
		}
		judged := m[1]
		w := parseWheelName(t, whl)
		want := []string{judged}
		if a, ok := legacyAlias[judged]; ok && len(w.platforms) == 2 {
			want = append(want, a)
		}
		sort.Strings(want)
		got := append([]string(nil), w.platforms...)
		sort.Strings(got)
		if strings.Join(got, ".") != strings.Join(want, ".") {
			t.Errorf("%s: platform tag %s, auditwheel show judges it %q", filepath.Base(whl), strings.Join(w.platforms, "."), judged)
		}
	}
}

// twineCheck runs twine check --strict on every file at once.
func twineCheck(t *testing.T, files []string) {
	t.Helper()
	twine := need(t, "twine", "Debian: twine")
	out, err := exec.Command(twine, append([]string{"check", "--strict"}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("twine check --strict: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "PASSED"); n != len(files) {
		t.Fatalf("twine check --strict passed %d of %d files:\n%s", n, len(files), out)
	}
}
