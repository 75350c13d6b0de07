package project

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/pyinc/pyinc/internal/outfile"
)

//go:embed template
var templates embed.FS

// BackendModule is the in-tree build backend New writes, importable from
// the project directory (backend-path ["."]).
const BackendModule = "pyinc_backend"

// scaffold maps each file New writes to its template.
var scaffold = []struct{ file, tmpl string }{
	{"pyproject.toml", "pyproject.toml.tmpl"},
	{BackendModule + ".py", "pyinc_backend.py.tmpl"},
	{"{{.Name}}.asm", "module.asm.tmpl"},
	{"test_{{.Name}}.py", "test_module.py.tmpl"},
	{"README.md", "README.md.tmpl"},
	{".gitignore", "gitignore.tmpl"},
}

// New scaffolds the project name in dir: pyproject.toml, the backend, the
// module's assembly source, a test, a README and a .gitignore. name must be
// a Python identifier (it is the module's import name); dir must not exist
// or be empty. Either all of it is written or none: the files are made in a
// tracked temporary directory beside dir and renamed into place.
func New(name, dir string) error {
	if err := checkModuleName(name); err != nil {
		return err
	}
	if name == BackendModule {
		// The built module would sit beside the backend's .py and be
		// imported in its place.
		return errorf("%q is the name of the project's build backend: pick another name", name)
	}
	if !nameRE.MatchString(name) {
		return errorf("%q cannot be a distribution name (it must start and end with a letter or digit): pick another name", name)
	}
	ents, err := os.ReadDir(dir)
	if err == nil && len(ents) > 0 {
		return errorf("%s exists and is not empty: pick a new directory", dir)
	}
	if err == nil {
		// An existing empty directory (".", say) is filled in place.
		return fillEmpty(dir, name)
	}
	if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
		return errorf("%s exists and is not a directory: pick a new directory", dir)
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if st, err := os.Stat(parent); err != nil || !st.IsDir() {
		return errorf("cannot create %s: directory %s does not exist", dir, parent)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new*")
	if err != nil {
		return errorf("cannot create %s: %v", dir, outfile.Reason(err))
	}
	forget := outfile.Track(tmp)
	defer forget()
	if err := writeScaffold(tmp, name); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return errorf("cannot create %s: %v", dir, outfile.Reason(err))
	}
	return nil
}

// fillEmpty writes the scaffold into the existing empty directory dir:
// each file goes to a temporary name first, and all are renamed in at the
// end, so an error leaves dir empty.
func fillEmpty(dir, name string) error {
	tmp, done, err := outfile.TempDir("pyinc-new")
	if err != nil {
		return errorf("cannot create the project: %v", outfile.Reason(err))
	}
	defer done()
	if err := writeScaffold(tmp, name); err != nil {
		return err
	}
	var files []outfile.File
	ents, _ := os.ReadDir(tmp)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(tmp, e.Name()))
		if err != nil {
			return err
		}
		files = append(files, outfile.File{Path: filepath.Join(dir, e.Name()), Data: b, Perm: 0o644})
	}
	if err := outfile.WriteAll(files); err != nil {
		return errorf("%v", err)
	}
	return nil
}

type scaffoldData struct{ Name, Title string }

func writeScaffold(dir, name string) error {
	data := scaffoldData{Name: name, Title: strings.ToUpper(name[:1]) + name[1:]}
	for _, f := range scaffold {
		text, err := templates.ReadFile("template/" + f.tmpl)
		if err != nil {
			return err
		}
		body, err := render(f.tmpl, string(text), data)
		if err != nil {
			return err
		}
		file, err := render("name", f.file, data)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, string(file)), body, 0o644); err != nil {
			return fmt.Errorf("cannot write %s: %v", file, outfile.Reason(err))
		}
	}
	return nil
}

func render(name, text string, data scaffoldData) ([]byte, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
