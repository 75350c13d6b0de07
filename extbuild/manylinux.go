package extbuild

import (
	"debug/elf"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The platform tag says which Linux systems a module loads on. A
// manylinux_2_X tag (PEP 600) promises it needs no more than glibc 2.X and
// the libraries every such system has. pyinc judges the linked module as
// auditwheel does: every versioned symbol it needs (the ELF's verneed
// entries, the dynamic linker's own aside) must be one a policy allows, and
// every DT_NEEDED library must be on the policy's list. Version sets of a
// prefix a policy does not name (a library of the project's own) do not
// count against it.

// policy is one manylinux baseline.
type policy struct {
	glibc  int    // X of manylinux_2_X
	legacy string // the PEP 513/571/599 name older pips know, "" when none
	// max is the newest version of each versioned prefix besides GLIBC the
	// baseline's libraries provide ("" : none at all, so any use fails).
	max map[string]string
}

// The baselines as auditwheel's policy file describes them: the distribution
// each manylinux image is built on fixes its libstdc++, libgcc_s and zlib.
var policies = []policy{
	{5, "manylinux1", map[string]string{"CXXABI": "1.3.1", "GCC": "4.2.0", "GLIBCXX": "3.4.8", "LIBATOMIC": "", "ZLIB": ""}},
	{12, "manylinux2010", map[string]string{"CXXABI": "1.3.3", "GCC": "4.3.0", "GLIBCXX": "3.4.13", "LIBATOMIC": "", "ZLIB": "1.2.2.4"}},
	{17, "manylinux2014", map[string]string{"CXXABI": "1.3.7", "GCC": "4.8.0", "GLIBCXX": "3.4.19", "LIBATOMIC": "", "ZLIB": "1.2.5.2"}},
	{24, "", map[string]string{"CXXABI": "1.3.10", "GCC": "4.8.0", "GLIBCXX": "3.4.22", "LIBATOMIC": "1.2", "ZLIB": "1.2.5.2"}},
	{26, "", map[string]string{"CXXABI": "1.3.10", "GCC": "4.8.0", "GLIBCXX": "3.4.22", "LIBATOMIC": "1.2", "ZLIB": "1.2.5.2"}},
	{27, "", map[string]string{"CXXABI": "1.3.11", "GCC": "7.0.0", "GLIBCXX": "3.4.24", "LIBATOMIC": "1.2", "ZLIB": "1.2.9"}},
	{28, "", map[string]string{"CXXABI": "1.3.11", "GCC": "7.0.0", "GLIBCXX": "3.4.24", "LIBATOMIC": "1.2", "ZLIB": "1.2.9"}},
	{31, "", map[string]string{"CXXABI": "1.3.12", "GCC": "7.0.0", "GLIBCXX": "3.4.28", "LIBATOMIC": "1.2", "ZLIB": "1.2.9"}},
	{34, "", map[string]string{"CXXABI": "1.3.13", "GCC": "7.0.0", "GLIBCXX": "3.4.29", "LIBATOMIC": "1.2", "ZLIB": "1.2.9"}},
	{35, "", map[string]string{"CXXABI": "1.3.13", "GCC": "12.0.0", "GLIBCXX": "3.4.30", "LIBATOMIC": "1.2", "ZLIB": "1.2.9"}},
}

// baseLibs are the libraries every manylinux system provides (PEP 600's
// list, as auditwheel keeps it); the dynamic linker is always there too.
var baseLibs = map[string]bool{
	"libatomic.so.1": true, "libgcc_s.so.1": true, "libstdc++.so.6": true, "libm.so.6": true,
	"libanl.so.1": true, "libdl.so.2": true, "librt.so.1": true, "libc.so.6": true,
	"libnsl.so.1": true, "libutil.so.1": true, "libpthread.so.0": true, "libX11.so.6": true,
	"libXext.so.6": true, "libXrender.so.1": true, "libICE.so.6": true, "libSM.so.6": true,
	"libGL.so.1": true, "libgobject-2.0.so.0": true, "libgthread-2.0.so.0": true,
	"libglib-2.0.so.0": true, "libresolv.so.2": true, "libz.so.1": true,
}

// Linkage is what of a module's ELF the platform tag depends on.
type Linkage struct {
	Needed   []string            // DT_NEEDED
	Versions map[string][]string // library -> versions needed from it ("GLIBC_2.14")
}

// ReadLinkage reads the DT_NEEDED entries and version needs of an ELF file.
func ReadLinkage(f *elf.File) (*Linkage, error) {
	l := &Linkage{Versions: map[string][]string{}}
	needed, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	l.Needed = needed
	needs, err := f.DynamicVersionNeeds()
	if err != nil && f.Section(".gnu.version_r") != nil {
		return nil, err
	}
	for _, n := range needs {
		for _, d := range n.Needs {
			l.Versions[n.Name] = append(l.Versions[n.Name], d.Dep)
		}
	}
	return l, nil
}

// isLoader reports whether lib is the dynamic linker, which no policy
// judges.
func isLoader(lib string) bool { return strings.HasPrefix(lib, "ld-linux") }

// Platform is the lowest manylinux tag every linkage allows, with its
// legacy alias ("manylinux_2_5_x86_64.manylinux1_x86_64"), else
// linux_x86_64; why says what kept it from manylinux, "" when nothing did.
func Platform(links ...*Linkage) (tag, why string) {
	why = "no manylinux policy fits"
	for _, p := range policies {
		if reason := p.refuses(links); reason != "" {
			why = reason
			continue
		}
		tag := fmt.Sprintf("manylinux_2_%d_x86_64", p.glibc)
		if p.legacy != "" {
			tag += "." + p.legacy + "_x86_64"
		}
		return tag, ""
	}
	return "linux_x86_64", why
}

// refuses says why p does not allow one of links, "" when it allows all.
func (p policy) refuses(links []*Linkage) string {
	for _, l := range links {
		for _, lib := range l.Needed {
			if !isLoader(lib) && !baseLibs[lib] {
				return fmt.Sprintf("it needs %s, which manylinux systems do not all have", lib)
			}
		}
		// In sorted order, so that the reason given is the same each run.
		for _, lib := range slices.Sorted(maps.Keys(l.Versions)) {
			if isLoader(lib) {
				continue
			}
			for _, v := range l.Versions[lib] {
				if !p.allows(v) {
					return fmt.Sprintf("it needs %s from %s", v, lib)
				}
			}
		}
	}
	return ""
}

// allows reports whether version v ("GLIBC_2.14") is one p's baseline has.
func (p policy) allows(v string) bool {
	prefix, ver, _ := strings.Cut(v, "_")
	if prefix == "GLIBC" {
		if ver == "ABI_DT_RELR" { // packed relative relocations: glibc 2.36
			return p.glibc >= 36
		}
		n, ok := parseVersion(ver)
		return ok && n[0] == 2 && (len(n) < 2 || n[1] <= p.glibc)
	}
	max, known := p.max[prefix]
	if !known {
		return true // a prefix no baseline knows: the project's own library
	}
	if max == "" {
		return false
	}
	if ver == "TM_1" { // CXXABI_TM_1: transactional memory, from GCC 4.7
		return p.glibc >= 17
	}
	a, ok1 := parseVersion(ver)
	b, _ := parseVersion(max)
	return ok1 && compareVersions(a, b) <= 0
}

func parseVersion(s string) ([]int, bool) {
	var out []int
	for _, f := range strings.Split(s, ".") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, len(out) > 0
}

func compareVersions(a, b []int) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
