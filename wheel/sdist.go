package wheel

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/pyinc/pyinc/project"
)

// SdistName is the source distribution's file name: the normalized name
// and the version, .tar.gz.
func SdistName(p *project.Project) string {
	return escape(p.Name) + "-" + escapeVersion(p.Version) + ".tar.gz"
}

// SdistFiles lists what the sdist of p holds, relative to p.Dir, sorted:
// pyproject.toml, the in-tree backend, the readme, license files, every
// module's sources and what [tool.pyinc] sdist-include names.
func SdistFiles(p *project.Project) ([]string, error) {
	set := map[string]bool{"pyproject.toml": true}
	add := func(f string) {
		if f != "" {
			set[filepath.ToSlash(filepath.Clean(f))] = true
		}
	}
	add(p.BackendFile)
	add(p.Readme)
	for _, f := range p.LicenseFiles {
		add(f)
	}
	for _, m := range p.Modules {
		for _, s := range m.Sources {
			add(s)
		}
	}
	for _, g := range p.SdistInclude {
		matches, err := p.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("[tool.pyinc] sdist-include %q %v", g, err)
		}
		for _, m := range matches {
			add(m)
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

// Sdist writes the source distribution of p: every file of SdistFiles and
// PKG-INFO under name-version/. It returns the file name and bytes.
func Sdist(p *project.Project, epoch time.Time) (string, []byte, error) {
	names, err := SdistFiles(p)
	if err != nil {
		return "", nil, err
	}
	top := escape(p.Name) + "-" + escapeVersion(p.Version)
	files := []File{{Name: top + "/PKG-INFO", Data: Metadata(p), Mode: 0o644}}
	for _, n := range names {
		b, err := p.ReadFile(n)
		if err != nil {
			return "", nil, fmt.Errorf("cannot read %v", err)
		}
		mode := os.FileMode(0o644)
		if st, err := os.Stat(filepath.Join(p.Dir, filepath.FromSlash(n))); err == nil && st.Mode()&0o111 != 0 {
			mode = 0o755
		}
		files = append(files, File{Name: top + "/" + n, Data: b, Mode: mode})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	if err := CheckMembers(files); err != nil {
		return "", nil, err
	}
	data, err := tarGz(top, files, epoch)
	if err != nil {
		return "", nil, err
	}
	return SdistName(p), data, nil
}

// tarGz writes files as a pax archive (the source distribution format's:
// names of any length and in UTF-8; a member whose name ustar holds gets
// no extended header, so its bytes are ustar's), gzip-compressed, with owner,
// times and the gzip header fixed, so that the bytes depend on the files
// alone. Directories get entries too, before their files.
func tarGz(top string, files []File, epoch time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	gz.ModTime = epoch // the header's time, as every member's
	tw := tar.NewWriter(gz)
	done := map[string]bool{}
	var writeDir func(d string) error
	writeDir = func(d string) error {
		if d == "." || done[d] {
			return nil
		}
		if err := writeDir(filepath.Dir(d)); err != nil {
			return err
		}
		done[d] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX})
	}
	for _, f := range files {
		if err := writeDir(filepath.Dir(f.Name)); err != nil {
			return nil, err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.Name, Mode: int64(f.Mode), Size: int64(len(f.Data)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("%s: %v", f.Name, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
