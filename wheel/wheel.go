// Package wheel writes the two distribution formats pip installs from: the
// binary distribution format (a .whl zip with .dist-info/METADATA, WHEEL
// and RECORD) and the source distribution (name-version.tar.gz with
// PKG-INFO). Both are deterministic: the same inputs give the same bytes,
// with entries in a fixed order and one timestamp (SOURCE_DATE_EPOCH when
// set).
package wheel

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pyinc/pyinc/project"
)

// File is one member of a distribution.
type File struct {
	Name string // slash-separated path inside the archive
	Data []byte
	Mode fs.FileMode // permission bits
}

// Tag is a wheel's compatibility tag. Platform may be a compressed set
// ("manylinux_2_5_x86_64.manylinux1_x86_64"), as the wheel file name
// allows: older pips know only the legacy manylinux names.
type Tag struct{ Python, ABI, Platform string }

func (t Tag) String() string { return t.Python + "-" + t.ABI + "-" + t.Platform }

// Expand lists every single tag of a compressed tag set, for WHEEL.
func (t Tag) Expand() []Tag {
	var out []Tag
	for _, py := range strings.Split(t.Python, ".") {
		for _, abi := range strings.Split(t.ABI, ".") {
			for _, plat := range strings.Split(t.Platform, ".") {
				out = append(out, Tag{py, abi, plat})
			}
		}
	}
	return out
}

// FileName is the wheel's file name: {name}-{version}-{tag}.whl with the
// name and version escaped as the binary distribution format says.
func FileName(p *project.Project, t Tag) string {
	return escape(p.Name) + "-" + escapeVersion(p.Version) + "-" + t.String() + ".whl"
}

// DistInfo is the wheel's .dist-info directory name.
func DistInfo(p *project.Project) string {
	return escape(p.Name) + "-" + escapeVersion(p.Version) + ".dist-info"
}

// escape makes a name safe for a file name component: the normalized name
// (lowercase, "-", "_" and "." runs become "_").
func escape(s string) string { return project.NormalizedName(s) }

// escapeVersion makes a normalized version safe for a file name component:
// "-" would split the name, so it becomes "_" (normalized versions have
// none, but the rule is the format's).
func escapeVersion(v string) string { return strings.ReplaceAll(v, "-", "_") }

// Epoch is the one timestamp every archive member gets: SOURCE_DATE_EPOCH
// when set, else the earliest time a zip can hold. Zip cannot store times
// before 1980, so earlier epochs are raised to it; it cannot store times
// after 2107 either, and such an epoch is refused.
func Epoch() (time.Time, error) {
	earliest := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	latest := time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC) // zip's last (even) second
	s, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || s == "" {
		return earliest, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a count of seconds since 1970: unset it or give an integer", s)
	}
	if n > latest.Unix() {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%s is after 2107, the last year a zip can hold: unset it or give a time from 1980 to 2107 (%d at most)", s, latest.Unix())
	}
	t := time.Unix(n, 0).UTC()
	if t.Before(earliest) {
		t = earliest
	}
	return t, nil
}

// CheckMembers refuses archive member names that would climb out of the
// archive's root or stand for two members: each must be relative and
// slash-separated, with no empty, "." or ".." part, and named once. It
// runs before anything is written: a name that fails is a bug, or a
// project path or interpreter answer that got through its checks.
func CheckMembers(files []File) error {
	seen := map[string]bool{}
	for _, f := range files {
		if err := checkMember(f.Name); err != nil {
			return fmt.Errorf("archive member %q %v: nothing written", f.Name, err)
		}
		if seen[f.Name] {
			return fmt.Errorf("archive member %q is named twice: nothing written", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

func checkMember(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("is not a relative, slash-separated path")
	}
	for _, part := range strings.Split(name, "/") {
		switch part {
		case "", ".", "..":
			return fmt.Errorf("has a part %q", part)
		}
	}
	return nil
}

// Options are what a wheel says of itself beyond the project.
type Options struct {
	Tag       Tag
	Generator string // "pyinc 0.1.0"
	Epoch     time.Time
}

// Build writes the wheel holding files (the extension modules, at the top
// of the archive) for p; it returns the wheel's file name and bytes.
func Build(p *project.Project, files []File, o Options) (string, []byte, error) {
	files = append([]File(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	di := DistInfo(p)
	for _, lf := range p.LicenseFiles {
		b, err := p.ReadFile(lf)
		if err != nil {
			return "", nil, fmt.Errorf("license file %v", err)
		}
		files = append(files, File{Name: di + "/licenses/" + lf, Data: b, Mode: 0o644})
	}
	files = append(files,
		File{Name: di + "/METADATA", Data: Metadata(p), Mode: 0o644},
		File{Name: di + "/WHEEL", Data: wheelFile(o), Mode: 0o644})
	files = append(files, File{Name: di + "/RECORD", Data: Record(files, di+"/RECORD"), Mode: 0o644})
	if err := CheckMembers(files); err != nil {
		return "", nil, err
	}
	data, err := zipFiles(files, o.Epoch)
	if err != nil {
		return "", nil, err
	}
	return FileName(p, o.Tag), data, nil
}

func wheelFile(o Options) []byte {
	var b strings.Builder
	b.WriteString("Wheel-Version: 1.0\n")
	fmt.Fprintf(&b, "Generator: %s\n", o.Generator)
	b.WriteString("Root-Is-Purelib: false\n")
	for _, t := range o.Tag.Expand() {
		fmt.Fprintf(&b, "Tag: %s\n", t)
	}
	return []byte(b.String())
}

// Record is the RECORD file for files: each path with the urlsafe,
// unpadded base64 of its SHA-256 and its size; RECORD itself (self) last,
// with neither.
func Record(files []File, self string) []byte {
	var b strings.Builder
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		fmt.Fprintf(&b, "%s,sha256=%s,%d\n", csvField(f.Name), base64.RawURLEncoding.EncodeToString(sum[:]), len(f.Data))
	}
	fmt.Fprintf(&b, "%s,,\n", csvField(self))
	return []byte(b.String())
}

// csvField quotes a path the way Python's csv module would.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func zipFiles(files []File, epoch time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: epoch}
		h.SetMode(f.Mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
