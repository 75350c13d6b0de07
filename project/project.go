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

	"github.com/BurntSushi/toml"

	"github.com/pyinc/pyinc/internal/outfile"
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
	// IncludeName is the file name the sources %include the generated
	// include by ([tool.pyinc] include-name): python.inc, asm/python.inc.
	IncludeName string
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

// The file as TOML gives it; the checks turn it into a Project.
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
	// nameRE is PEP 508's distribution name.
	nameRE  = regexp.MustCompile(`(?i)^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`)
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Load reads and checks dir/pyproject.toml. Every error is an *Error with
// one line naming the problem and the fix.
func Load(dir string) (*Project, error) {
	path := filepath.Join(dir, "pyproject.toml")
	b, err := os.ReadFile(path)
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
	if _, err := toml.Decode(string(b), &raw); err != nil {
		return nil, errorf("%s: %s", path, firstLine(err.Error()))
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
	if strings.ContainsAny(rp.Description, "\r\n") {
		return nil, errorf("%s: [project] description must be one line", path)
	}
	p.Summary = rp.Description
	p.RequiresPython = rp.RequiresPython
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
		p.URLs = append(p.URLs, [2]string{label, url})
	}
	sort.Slice(p.URLs, func(i, j int) bool { return p.URLs[i][0] < p.URLs[j][0] })
	p.dependencies(rp.Dependencies, rp.OptionalDependencies)
	if err := p.modules(path, raw); err != nil {
		return nil, err
	}
	if err := p.includeName(path, raw.Tool.Pyinc.IncludeName); err != nil {
		return nil, err
	}
	p.backend(raw)
	return p, nil
}

func (p *Project) readme(path string, r any) error {
	switch r := r.(type) {
	case nil:
		return nil
	case string:
		p.Readme = r
	case map[string]any:
		if f, ok := r["file"].(string); ok {
			p.Readme = f
		} else if t, ok := r["text"].(string); ok {
			p.ReadmeText = t
		} else {
			return errorf("%s: [project] readme table needs file or text", path)
		}
		if ct, ok := r["content-type"].(string); ok {
			p.ReadmeType = ct
		}
	default:
		return errorf("%s: [project] readme must be a file name or a table", path)
	}
	if p.Readme != "" {
		if !inside(p.Readme) {
			return errorf("%s: [project] readme %s must be inside the project", path, p.Readme)
		}
		b, err := os.ReadFile(filepath.Join(p.Dir, p.Readme))
		if err != nil {
			return errorf("%s: [project] readme %s: %v: create it or fix the name", path, p.Readme, outfile.Reason(err))
		}
		p.ReadmeText = string(b)
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

func (p *Project) license(path string, l any, files []string) error {
	switch l := l.(type) {
	case nil:
	case string:
		p.License = l
	case map[string]any:
		if t, ok := l["text"].(string); ok {
			p.License = t
		} else if f, ok := l["file"].(string); ok {
			if !inside(f) {
				return errorf("%s: [project] license file %s must be inside the project", path, f)
			}
			b, err := os.ReadFile(filepath.Join(p.Dir, f))
			if err != nil {
				return errorf("%s: [project] license file %s: %v", path, f, outfile.Reason(err))
			}
			p.License = string(b)
			files = append([]string{f}, files...)
		} else {
			return errorf("%s: [project] license table needs file or text", path)
		}
	default:
		return errorf("%s: [project] license must be a string or a table", path)
	}
	for _, f := range files {
		if !inside(f) {
			return errorf("%s: [project] license file %s must be inside the project", path, f)
		}
		if _, err := os.Stat(filepath.Join(p.Dir, f)); err != nil {
			return errorf("%s: [project] license file %s: %v", path, f, outfile.Reason(err))
		}
	}
	p.LicenseFiles = files
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
		out = append(out, Person{Name: m["name"], Email: m["email"]})
	}
	return out, nil
}

func (p *Project) dependencies(deps []string, extras map[string][]string) {
	p.Dependencies = append(p.Dependencies, deps...)
	names := make([]string, 0, len(extras))
	for e := range extras {
		names = append(names, e)
	}
	sort.Strings(names)
	for _, e := range names {
		p.Extras = append(p.Extras, e)
		for _, d := range extras[e] {
			req, marker, ok := strings.Cut(d, ";")
			cond := fmt.Sprintf("extra == %q", e)
			if ok && strings.TrimSpace(marker) != "" {
				cond = "(" + strings.TrimSpace(marker) + ") and " + cond
			}
			p.Dependencies = append(p.Dependencies, strings.TrimSpace(req)+"; "+cond)
		}
	}
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
		for _, s := range m.Sources {
			if !inside(s) {
				return errorf("%s: [tool.pyinc] module %s: source %s must be inside the project", path, m.Name, s)
			}
			if st, err := os.Stat(filepath.Join(p.Dir, s)); err != nil || st.IsDir() {
				return errorf("%s: [tool.pyinc] module %s: source %s does not exist", path, m.Name, s)
			}
		}
		p.Modules = append(p.Modules, Module{Name: m.Name, Sources: m.Sources})
	}
	for _, g := range tp.SdistInclude {
		if !inside(g) {
			return errorf("%s: [tool.pyinc] sdist-include %s must be inside the project", path, g)
		}
	}
	p.SdistInclude = tp.SdistInclude
	return nil
}

// includeName checks [tool.pyinc] include-name: a relative path, in /
// form, that stays inside the directory nasm looks in, as an %include
// names it.
func (p *Project) includeName(path string, name *string) error {
	p.IncludeName = DefaultIncludeName
	if name == nil {
		return nil
	}
	n := *name
	switch {
	case n == "" || strings.HasSuffix(n, "/"):
		return errorf("%s: [tool.pyinc] include-name %q names no file: write the name your sources %%include, such as \"asm/python.inc\"", path, n)
	case strings.ContainsAny(n, "\\\"'<>\n") || strings.ContainsRune(n, 0):
		return errorf("%s: [tool.pyinc] include-name %q: use / between directories and no quotes", path, n)
	case !inside(n) || filepath.Clean(n) != n:
		return errorf("%s: [tool.pyinc] include-name %q must be a plain relative path, as the %%include line writes it (no .., no ./)", path, n)
	}
	p.IncludeName = n
	return nil
}

// IncludeNameIn is the include-name of the project in dir, read without
// checking the rest of its pyproject.toml (pyinc diff --uses skips that
// include); the default when there is none or it is not valid.
func IncludeNameIn(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "pyproject.toml"))
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
	p := &Project{}
	if _, err := toml.Decode(string(b), &raw); err != nil || p.includeName("", raw.Tool.Pyinc.IncludeName) != nil {
		return DefaultIncludeName
	}
	return p.IncludeName
}

// inside says whether the relative path rel stays inside the project: the
// wheel and the sdist are made of such paths only.
func inside(rel string) bool {
	c := filepath.Clean(rel)
	return !filepath.IsAbs(c) && c != ".." && !strings.HasPrefix(c, ".."+string(filepath.Separator))
}

// backend finds the in-tree backend's file: build-backend "mod" (or
// "mod:obj") in one of backend-path's directories.
func (p *Project) backend(raw *pyproject) {
	mod, _, _ := strings.Cut(raw.BuildSystem.BuildBackend, ":")
	if mod == "" {
		return
	}
	rel := strings.ReplaceAll(mod, ".", "/")
	for _, bp := range raw.BuildSystem.BackendPath {
		for _, f := range []string{rel + ".py", rel + "/__init__.py"} {
			cand := filepath.ToSlash(filepath.Join(bp, f))
			if _, err := os.Stat(filepath.Join(p.Dir, cand)); err == nil {
				p.BackendFile = cand
				return
			}
		}
	}
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
