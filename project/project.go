// Package project reads and checks a pyinc project: the pyproject.toml that
// names the distribution ([project]), its extension modules and their
// assembly sources ([tool.pyinc]), and the in-tree build backend. New
// scaffolds one.
package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"

	"github.com/pyinc/pyinc/internal/infile"
)

// Project is a checked pyproject.toml.
type Project struct {
	Dir     string // the directory holding pyproject.toml
	Name    string // as written in [project] name
	Version string // normalized (PEP 440)

	Summary        string
	Readme         string // path relative to Dir, "" when none or inline
	ReadmeText     string // the long description
	ReadmeType     string // its content type: text/markdown, text/x-rst, text/plain
	RequiresPython string
	License        string   // an SPDX expression or a license text
	LicenseFiles   []string // relative to Dir
	Authors        []Person
	Maintainers    []Person
	Keywords       []string
	Classifiers    []string
	URLs           [][2]string // label, URL, in label order
	Dependencies   []string    // Requires-Dist lines, extras' markers included
	Extras         []string

	Modules []Module
	// SdistInclude are extra files (globs relative to Dir) the sdist holds:
	// tests, docs, included .inc files.
	SdistInclude []string
	// BackendFile is the in-tree backend's file, relative to Dir, "" when
	// the project names another backend.
	BackendFile string
	// IncludeName is [tool.pyinc] include-name: where sources find the
	// generated include, relative to the project ("python.inc").
	IncludeName string

	realDir string // Dir with every symbolic link resolved
}

// DefaultIncludeName is the include's name when the project names none.
const DefaultIncludeName = "python.inc"

// Module is one extension module: its import name and the assembly files
// linked into it.
type Module struct {
	Name    string
	Sources []string // relative to Dir
}

// Person is an author or maintainer.
type Person struct{ Name, Email string }

// Error is a problem in the project the user must fix.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func errorf(format string, args ...any) error { return &Error{fmt.Sprintf(format, args...)} }

// The file as TOML gives it; the checks turn it into a Project. The keys
// [project] and [tool.pyinc] know are these structs' toml tags, and only
// those: adding a key is one field here (a key not listed is refused,
// with the nearest known one; see unknownKeys).
type pyproject struct {
	BuildSystem struct {
		Requires     []string `toml:"requires"`
		BuildBackend string   `toml:"build-backend"`
		BackendPath  []string `toml:"backend-path"`
	} `toml:"build-system"`
	Project *struct {
		Name                 string              `toml:"name"`
		Version              any                 `toml:"version"`
		Description          string              `toml:"description"`
		Readme               any                 `toml:"readme"`
		RequiresPython       string              `toml:"requires-python"`
		License              any                 `toml:"license"`
		LicenseFiles         []string            `toml:"license-files"`
		Authors              []map[string]string `toml:"authors"`
		Maintainers          []map[string]string `toml:"maintainers"`
		Keywords             []string            `toml:"keywords"`
		Classifiers          []string            `toml:"classifiers"`
		URLs                 map[string]string   `toml:"urls"`
		Dependencies         []string            `toml:"dependencies"`
		OptionalDependencies map[string][]string `toml:"optional-dependencies"`
		Dynamic              []string            `toml:"dynamic"`
	} `toml:"project"`
	Tool struct {
		Pyinc *struct {
			Modules []struct {
				Name    string   `toml:"name"`
				Sources []string `toml:"sources"`
			} `toml:"modules"`
			SdistInclude []string `toml:"sdist-include"`
			IncludeName  *string  `toml:"include-name"`
		} `toml:"pyinc"`
	} `toml:"tool"`
}

var (
	// nameRE is PEP 508's identifier: a distribution or an extra name.
	nameRE  = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// moduleRE is a dotted module name.
	moduleRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
)

// Load reads and checks dir/pyproject.toml. Every error is an *Error with
// one line naming the problem and the fix.
func Load(dir string) (*Project, error) {
	path := filepath.Join(dir, "pyproject.toml")
	b, err := infile.Read(path, infile.ProjectLimit)
	if errors.Is(err, fs.ErrNotExist) {
		if st, serr := os.Stat(dir); serr != nil || !st.IsDir() {
			return nil, errorf("%s: no such directory", dir)
		}
		return nil, errorf("%s is not a project: no pyproject.toml (make one with pyinc new NAME)", dir)
	}
	if err != nil {
		return nil, errorf("cannot read %s: %v", path, err)
	}
	var raw pyproject
	md, err := toml.Decode(string(b), &raw)
	if err != nil {
		return nil, errorf("%s: %s", path, firstLine(err.Error()))
	}
	if err := unknownKeys(path, md.Undecoded()); err != nil {
		return nil, err
	}
	return check(dir, path, &raw)
}

func check(dir, path string, raw *pyproject) (*Project, error) {
	p := &Project{Dir: dir}
	rp := raw.Project
	if rp == nil {
		return nil, errorf("%s: no [project] table: add one with name and version", path)
	}
	if len(rp.Dynamic) > 0 {
		return nil, errorf("%s: [project] dynamic = %q: pyinc reads every field from the file; write them out", path, rp.Dynamic)
	}
	if rp.Name == "" {
		return nil, errorf("%s: [project] has no name: add name = \"yourname\"", path)
	}
	if !nameRE.MatchString(rp.Name) {
		return nil, errorf("%s: [project] name %q is not a valid distribution name: use letters, digits, and . _ - inside", path, rp.Name)
	}
	p.Name = rp.Name
	vs, ok := rp.Version.(string)
	if rp.Version == nil {
		return nil, errorf("%s: [project] has no version: add version = \"0.1.0\"", path)
	}
	if !ok {
		return nil, errorf("%s: [project] version must be a string such as \"0.1.0\"", path)
	}
	v, err := NormalizeVersion(vs)
	if err != nil {
		return nil, errorf("%s: [project] version %v", path, err)
	}
	p.Version = v
	if hasLineBreak(rp.Description) {
		return nil, errorf("%s: [project] description must be one line", path)
	}
	p.Summary = rp.Description
	if rp.RequiresPython != "" {
		if err := CheckSpecifierSet(rp.RequiresPython); err != nil {
			return nil, errorf("%s: [project] requires-python %v", path, err)
		}
	}
	p.RequiresPython = rp.RequiresPython
	if err := oneLineEach(path, "keywords", rp.Keywords); err != nil {
		return nil, err
	}
	if err := oneLineEach(path, "classifiers", rp.Classifiers); err != nil {
		return nil, err
	}
	p.Keywords, p.Classifiers = rp.Keywords, rp.Classifiers
	if err := p.readme(path, rp.Readme); err != nil {
		return nil, err
	}
	if err := p.license(path, rp.License, rp.LicenseFiles); err != nil {
		return nil, err
	}
	if p.Authors, err = people(path, "authors", rp.Authors); err != nil {
		return nil, err
	}
	if p.Maintainers, err = people(path, "maintainers", rp.Maintainers); err != nil {
		return nil, err
	}
	for label, url := range rp.URLs {
		if hasLineBreak(label) || hasLineBreak(url) || strings.Contains(label, ",") {
			return nil, errorf("%s: [project] urls %q = %q: a label and its URL are one line each, the label without a comma", path, label, url)
		}
		p.URLs = append(p.URLs, [2]string{label, url})
	}
	sort.Slice(p.URLs, func(i, j int) bool { return p.URLs[i][0] < p.URLs[j][0] })
	if err := p.dependencies(path, rp.Dependencies, rp.OptionalDependencies); err != nil {
		return nil, err
	}
	if err := p.modules(path, raw); err != nil {
		return nil, err
	}
	if err := p.backend(path, raw); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Project) readme(path string, r any) error {
	switch r := r.(type) {
	case nil:
		return nil
	case string:
		p.Readme = r
	case map[string]any:
		if err := tableKeys(path, "readme", r, "file", "text", "content-type"); err != nil {
			return err
		}
		f, isFile := r["file"].(string)
		t, isText := r["text"].(string)
		switch {
		case isFile && isText:
			return errorf("%s: [project] readme has both file and text: keep one", path)
		case isFile:
			p.Readme = f
		case isText:
			p.ReadmeText = t
		default:
			return errorf("%s: [project] readme table needs file or text (a string)", path)
		}
		if ct, ok := r["content-type"]; ok {
			s, _ := ct.(string)
			if !readmeTypeRE.MatchString(s) {
				return errorf("%s: [project] readme content-type %q: use text/markdown, text/x-rst or text/plain", path, ct)
			}
			p.ReadmeType = s
		}
	default:
		return errorf("%s: [project] readme must be a file name or a table", path)
	}
	if p.Readme != "" {
		rel, text, err := p.metadataText(path, "readme", p.Readme)
		if err != nil {
			return err
		}
		p.Readme, p.ReadmeText = rel, text
	}
	if p.ReadmeType == "" {
		switch strings.ToLower(filepath.Ext(p.Readme)) {
		case ".md", ".markdown":
			p.ReadmeType = "text/markdown"
		case ".rst":
			p.ReadmeType = "text/x-rst"
		default:
			p.ReadmeType = "text/plain"
		}
	}
	return nil
}

// metadataText reads the file f that [project] key names (readme, license
// file) for the metadata: a regular file inside the project, in UTF-8. It
// returns its cleaned name and its text.
func (p *Project) metadataText(path, key, f string) (rel, text string, err error) {
	rel, err = p.regularFile(f)
	if err != nil {
		return "", "", errorf("%s: [project] %s %s %v", path, key, f, err)
	}
	b, err := p.ReadFile(rel)
	if err != nil {
		return "", "", errorf("%s: [project] %s %v", path, key, err)
	}
	if !utf8.Valid(b) {
		return "", "", errorf("%s: [project] %s %s is not UTF-8 text, which the metadata must be: save it as UTF-8", path, key, f)
	}
	return rel, string(b), nil
}

// readmeTypeRE is the content types the core metadata names for a long
// description, with parameters (charset, variant).
var readmeTypeRE = regexp.MustCompile(`^text/(markdown|x-rst|plain)(\s*;\s*[A-Za-z0-9_-]+=[A-Za-z0-9_.-]+)*$`)

func (p *Project) license(path string, l any, patterns []string) error {
	var files []string
	switch l := l.(type) {
	case nil:
	case string:
		if hasLineBreak(l) {
			return errorf("%s: [project] license %q must be one line (an SPDX expression such as MIT): a text goes in license = {text = \"...\"}", path, l)
		}
		p.License = l
	case map[string]any:
		if err := tableKeys(path, "license", l, "file", "text"); err != nil {
			return err
		}
		f, isFile := l["file"].(string)
		t, isText := l["text"].(string)
		switch {
		case isFile && isText:
			return errorf("%s: [project] license has both file and text: keep one", path)
		case isText:
			p.License = t
		case isFile:
			rel, text, err := p.metadataText(path, "license file", f)
			if err != nil {
				return err
			}
			p.License = text
			files = append(files, rel)
		default:
			return errorf("%s: [project] license table needs file or text (a string)", path)
		}
		// A license text spans lines in the License field, continued as
		// the core metadata says; no other line break may end a line.
		p.License = strings.ReplaceAll(p.License, "\r\n", "\n")
		if strings.ContainsAny(p.License, strings.ReplaceAll(lineBreaks, "\n", "")) {
			return errorf("%s: [project] license text holds a line break other than \\n (a carriage return, form feed, ...): remove it", path)
		}
	default:
		return errorf("%s: [project] license must be a string or a table", path)
	}
	for _, g := range patterns {
		matched, err := p.Glob(g)
		if err != nil {
			return errorf("%s: [project] license-files %q %v", path, g, err)
		}
		files = append(files, matched...)
	}
	seen := map[string]bool{}
	for _, f := range files {
		if !seen[f] { // named twice (by license and license-files): one member
			seen[f] = true
			p.LicenseFiles = append(p.LicenseFiles, f)
		}
	}
	return nil
}

// oneLineEach refuses a list whose values span lines: each becomes one
// metadata field.
func oneLineEach(path, key string, values []string) error {
	for _, v := range values {
		if hasLineBreak(v) {
			return errorf("%s: [project] %s: %q holds a line break, which would end its metadata field: remove it", path, key, v)
		}
	}
	return nil
}

func people(path, key string, in []map[string]string) ([]Person, error) {
	var out []Person
	for _, m := range in {
		for k := range m {
			if k != "name" && k != "email" {
				return nil, errorf("%s: [project] %s: unknown key %q: use name and email", path, key, k)
			}
		}
		if hasLineBreak(m["name"]) || hasLineBreak(m["email"]) {
			return nil, errorf("%s: [project] %s: %q <%s> holds a line break: remove it", path, key, m["name"], m["email"])
		}
		out = append(out, Person{Name: m["name"], Email: m["email"]})
	}
	return out, nil
}

func (p *Project) dependencies(path string, deps []string, extras map[string][]string) error {
	for _, d := range deps {
		if err := CheckRequirement(d); err != nil {
			return errorf("%s: [project] dependencies: %v", path, err)
		}
	}
	p.Dependencies = append(p.Dependencies, deps...)
	names := make([]string, 0, len(extras))
	for e := range extras {
		names = append(names, e)
	}
	sort.Strings(names)
	for _, e := range names {
		if !nameRE.MatchString(e) {
			return errorf("%s: [project] optional-dependencies: %q is not an extra name: use letters, digits, and . _ - inside", path, e)
		}
		p.Extras = append(p.Extras, e)
		for _, d := range extras[e] {
			if err := CheckRequirement(d); err != nil {
				return errorf("%s: [project] optional-dependencies %s: %v", path, e, err)
			}
			req, marker, ok := strings.Cut(d, ";")
			cond := fmt.Sprintf("extra == %q", e)
			if ok && strings.TrimSpace(marker) != "" {
				cond = "(" + strings.TrimSpace(marker) + ") and " + cond
			}
			p.Dependencies = append(p.Dependencies, strings.TrimSpace(req)+"; "+cond)
		}
	}
	return nil
}

func (p *Project) modules(path string, raw *pyproject) error {
	tp := raw.Tool.Pyinc
	if tp == nil || len(tp.Modules) == 0 {
		return errorf("%s: no [[tool.pyinc.modules]]: add one with name = \"mod\" and sources = [\"mod.asm\"]", path)
	}
	seen := map[string]bool{}
	for _, m := range tp.Modules {
		if err := checkModuleName(m.Name); err != nil {
			return errorf("%s: [tool.pyinc] %v", path, err)
		}
		if seen[m.Name] {
			return errorf("%s: [tool.pyinc] module %s is named twice", path, m.Name)
		}
		seen[m.Name] = true
		if len(m.Sources) == 0 {
			return errorf("%s: [tool.pyinc] module %s has no sources: add sources = [\"%s.asm\"]", path, m.Name, m.Name)
		}
		var sources []string
		for _, s := range m.Sources {
			rel, err := p.regularFile(s)
			if err != nil {
				return errorf("%s: [tool.pyinc] module %s: source %s %v", path, m.Name, s, err)
			}
			sources = append(sources, rel)
		}
		p.Modules = append(p.Modules, Module{Name: m.Name, Sources: sources})
	}
	for _, g := range tp.SdistInclude {
		if _, err := cleanRel(g); err != nil {
			return errorf("%s: [tool.pyinc] sdist-include %q %v", path, g, err)
		}
	}
	p.SdistInclude = tp.SdistInclude
	name, ok := includeName(tp.IncludeName)
	if !ok {
		return errorf("%s: [tool.pyinc] include-name %q must be a file name relative to the project, such as \"python.inc\" or \"asm/python.inc\"", path, *tp.IncludeName)
	}
	p.IncludeName = name
	return nil
}

// includeName is the include's name that [tool.pyinc] include-name gives
// (nil: not given, the default), cleaned; ok is false when it names no
// file inside the project.
func includeName(v *string) (name string, ok bool) {
	if v == nil {
		return DefaultIncludeName, true
	}
	rel, err := cleanRel(*v)
	if err != nil || rel == "." {
		return "", false
	}
	return rel, true
}

// IncludeNameIn is the include-name of the project in dir, read without
// checking the rest of its pyproject.toml (pyinc diff --uses skips that
// include); the default when there is none or it is not valid.
func IncludeNameIn(dir string) string {
	b, err := infile.Read(filepath.Join(dir, "pyproject.toml"), infile.ProjectLimit)
	if err != nil {
		return DefaultIncludeName
	}
	var raw struct {
		Tool struct {
			Pyinc struct {
				IncludeName *string `toml:"include-name"`
			} `toml:"pyinc"`
		} `toml:"tool"`
	}
	if _, err := toml.Decode(string(b), &raw); err != nil {
		return DefaultIncludeName
	}
	if name, ok := includeName(raw.Tool.Pyinc.IncludeName); ok {
		return name
	}
	return DefaultIncludeName
}

// backend finds the in-tree backend's file: build-backend "mod" (or
// "mod:obj") in one of backend-path's directories, each inside the
// project.
func (p *Project) backend(path string, raw *pyproject) error {
	var dirs []string
	for _, bp := range raw.BuildSystem.BackendPath {
		rel, err := cleanRel(bp)
		if err == nil {
			var st fs.FileInfo
			if _, st, err = p.realInside(rel); err == nil && !st.IsDir() {
				err = errors.New("is not a directory")
			}
		}
		if err != nil {
			return errorf("%s: [build-system] backend-path %q %v", path, bp, err)
		}
		dirs = append(dirs, rel)
	}
	mod, _, _ := strings.Cut(raw.BuildSystem.BuildBackend, ":")
	if mod == "" {
		return nil
	}
	if !moduleRE.MatchString(mod) {
		return errorf("%s: [build-system] build-backend %q does not name a Python module (such as pyinc_backend)", path, raw.BuildSystem.BuildBackend)
	}
	rel := strings.ReplaceAll(mod, ".", "/")
	for _, bp := range dirs {
		for _, f := range []string{rel + ".py", rel + "/__init__.py"} {
			cand := join(bp, f)
			if _, st, err := p.realInside(cand); err == nil && st.Mode().IsRegular() {
				p.BackendFile = cand
				return nil
			}
		}
	}
	return nil
}

// pythonKeywords cannot be imported by name, though they are identifiers.
var pythonKeywords = map[string]bool{"False": true, "None": true, "True": true, "and": true,
	"as": true, "assert": true, "async": true, "await": true, "break": true, "class": true,
	"continue": true, "def": true, "del": true, "elif": true, "else": true, "except": true,
	"finally": true, "for": true, "from": true, "global": true, "if": true, "import": true,
	"in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true}

// checkModuleName requires an import name: an ASCII Python identifier that
// is not a keyword.
func checkModuleName(name string) error {
	if !identRE.MatchString(name) {
		return errorf("module name %q is not a Python identifier: use letters, digits and _, not starting with a digit", name)
	}
	if pythonKeywords[name] {
		return errorf("module name %q is a Python keyword, which import cannot name: pick another", name)
	}
	return nil
}

// NormalizedName is the name as the binary distribution format writes it
// in file names: lowercase, each run of "-", "_" and "." one "_".
func NormalizedName(name string) string {
	return strings.ToLower(sepRE.ReplaceAllString(name, "_"))
}

var sepRE = regexp.MustCompile(`[-_.]+`)

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
