package project

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// TestHostileProject: a project made hostile or careless one way at a
// time is refused with one line naming the value and the fix (issue 23):
// paths leaving the project (directly or through a link), inputs that are
// not regular files, metadata that would forge fields, values PEP 440 or
// PEP 508 refuse, and keys pyinc does not know.
func TestHostileProject(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("root:x:0:0\n"), 0o644)
	cases := []struct {
		name, from, to string
		prep           func(t *testing.T, dir string)
		want           string // "" loads
	}{
		{name: "readme links outside", prep: link("README.rst", outside), want: "readme README.rst is a link to " + outside + ", outside the project"},
		{name: "readme links to /etc/passwd", prep: link("README.rst", "/etc/passwd"), want: "is a link to /etc/passwd, outside the project"},
		{name: "source links outside", prep: link("src/more.asm", outside), want: "source src/more.asm is a link to " + outside},
		{name: "license file links outside", from: `license = "MIT"`, to: `license = {file = "COPYING"}`, prep: link("COPYING", outside), want: "license file COPYING is a link to"},
		{name: "license-files link outside", from: `license = "MIT"`, to: "license = \"MIT\"\nlicense-files = [\"COPYING\"]", prep: link("COPYING", outside), want: "license-files \"COPYING\" COPYING is a link to"},
		{name: "backend-path outside", from: `backend-path = ["."]`, to: `backend-path = ["../../../../usr/lib/python3"]`, want: `backend-path "../../../../usr/lib/python3" is outside the project`},
		{name: "backend-path link outside", from: `backend-path = ["."]`, to: `backend-path = ["be"]`, prep: link("be", "/usr"), want: `backend-path "be" is a link to /usr, outside the project`},
		{name: "backend-path absolute", from: `backend-path = ["."]`, to: `backend-path = ["/usr/lib"]`, want: "is an absolute path"},
		{name: "build-backend not a module", from: `build-backend = "pyinc_backend"`, to: `build-backend = "../../x"`, want: "does not name a Python module"},
		{name: "readme is a FIFO", prep: fifo("README.rst"), want: "readme README.rst is not a regular file"},
		{name: "readme links to /dev/zero", prep: link("README.rst", "/dev/zero"), want: "is a link to /dev/zero, outside the project"},
		{name: "readme too large", prep: sparse("README.rst", 65<<20), want: "readme README.rst is larger than 64 MiB"},
		{name: "readme not UTF-8", prep: write("README.rst", "caf\xe9\n"), want: "readme README.rst is not UTF-8 text"},
		{name: "source is a directory", from: `"src/more.asm"`, to: `"src"`, want: "source src is a directory, not a file"},
		{name: "classifier forging a field", from: `keywords = ["asm", "nasm"]`, to: `classifiers = ["Foo\rRequires-Dist: evilpkg"]`, want: "classifiers: \"Foo\\rRequires-Dist: evilpkg\" holds a line break"},
		{name: "keyword with a newline", from: `keywords = ["asm", "nasm"]`, to: `keywords = ["a\nb"]`, want: "keywords: \"a\\nb\" holds a line break"},
		{name: "author with a line break", from: `{name = "Bob"}`, to: `{name = "Bob\u2028Requires-Dist: x"}`, want: "authors: \"Bob\\u2028Requires-Dist: x\" <> holds a line break"},
		{name: "url with a line break", from: `Docs = "https://example.org/docs"`, to: `Docs = "https://x\rRequires-Dist: evil"`, want: "urls \"Docs\""},
		{name: "license string with a line break", from: `license = "MIT"`, to: `license = "MIT\nRequires-Dist: evil"`, want: "must be one line"},
		{name: "license text with a carriage return", from: `license = "MIT"`, to: `license = {text = "a\rRequires-Dist: evil"}`, want: "line break other than"},
		{name: "description with a line break", from: `description = "adds"`, to: `description = "adds\rRequires-Dist: evil"`, want: "description must be one line"},
		{name: "requires-python banana", from: `requires-python = ">=3.8"`, to: `requires-python = "banana"`, want: `requires-python "banana" is not a PEP 440 version specifier set`},
		{name: "requires-python bad version", from: `requires-python = ">=3.8"`, to: `requires-python = ">=3.x"`, want: `">=3.x" is not a PEP 440 version specifier set`},
		{name: "dependency not PEP 508", from: `dependencies = ["numpy>=1.20"]`, to: `dependencies = ["not a requirement!!"]`, want: `dependencies: "not a requirement!!" is not a PEP 508 requirement`},
		{name: "dependency with a bad marker", from: `dependencies = ["numpy>=1.20"]`, to: `dependencies = ["numpy; python_versoin < '3.9'"]`, want: `"python_versoin" is not an environment marker`},
		{name: "requirement forging a field", from: `dependencies = ["numpy>=1.20"]`, to: `dependencies = ["x; os_name == 'a\rRequires-Dist: evil'"]`, want: "holds a line break"},
		{name: "specifier forging a field", from: `requires-python = ">=3.8"`, to: `requires-python = "===3.8\rRequires-Dist: evil"`, want: "holds a line break"},
		{name: "extra name", from: `test = [`, to: `"bad extra" = [`, want: `optional-dependencies: "bad extra" is not an extra name`},
		{name: "typo in [project]", from: `requires-python = ">=3.8"`, to: `requires_python = ">=3.8"`, want: `unknown key "requires_python" in [project]; did you mean requires-python?`},
		{name: "standard key not supported", from: `requires-python = ">=3.8"`, to: "requires-python = \">=3.8\"\nscripts = {x = \"m:f\"}", want: "[project] scripts is a standard key pyinc does not support"},
		{name: "typo in [tool.pyinc]", from: `sdist-include = ["tests/*.py"]`, to: `sdist-includes = ["tests/*.py"]`, want: `unknown key "sdist-includes" in [tool.pyinc]; did you mean sdist-include?`},
		{name: "typo in a module", from: `sources = [`, to: `srcs = [`, want: `unknown key "srcs" in [tool.pyinc.modules]; did you mean sources?`},
		{name: "readme file and text", from: `readme = "README.rst"`, to: `readme = {file = "README.rst", text = "hi"}`, want: "readme has both file and text: keep one"},
		{name: "license file and text", from: `license = "MIT"`, to: `license = {file = "README.rst", text = "MIT"}`, want: "license has both file and text: keep one"},
		{name: "readme table typo", from: `readme = "README.rst"`, to: `readme = {file = "README.rst", content_type = "text/plain"}`, want: `unknown key "content_type" in [project] readme; did you mean content-type?`},
		{name: "readme content type", from: `readme = "README.rst"`, to: `readme = {file = "README.rst", content-type = "text/html"}`, want: `content-type "text/html"`},
		{name: "include-name outside", from: `sdist-include = ["tests/*.py"]`, to: `include-name = "../python.inc"`, want: `include-name "../python.inc" must be a file name relative to the project`},
		{name: "include-name not a string", from: `sdist-include = ["tests/*.py"]`, to: `include-name = 3`, want: "include-name"},
		{name: "include-name in a directory", from: `sdist-include = ["tests/*.py"]`, to: `include-name = "asm/python.inc"`},
		{name: "good requirements", from: `dependencies = ["numpy>=1.20"]`, to: `dependencies = ["numpy[a,b] (>=1.20, !=1.21.*)", "x @ https://e.org/x.whl ; os_name == 'posix'", "y~=1.2; python_version >= \"3.8\" and (sys_platform == 'linux' or extra not in 'z')"]`},
		{name: "good requires-python", from: `requires-python = ">=3.8"`, to: `requires-python = ">=3.8, !=3.9.*, <4"`},
		{name: "other tools' keys", from: `[tool.pyinc]`, to: "[tool.black]\nline_lenght = 3\n[tool.pyinc]"},
	}
	for _, c := range cases {
		toml := goodToml
		if c.from != "" {
			toml = strings.Replace(goodToml, c.from, c.to, 1)
			if toml == goodToml {
				t.Fatalf("%s: %q is not in the test's pyproject.toml", c.name, c.from)
			}
		}
		dir := project(t, toml)
		if c.prep != nil {
			c.prep(t, dir)
		}
		_, err := Load(dir)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if _, ok := err.(*Error); !ok || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v\nwant one line saying %s", c.name, err, c.want)
		}
	}
}

// TestLicenseFilesOnce: a file named by license and license-files, or by
// two spellings, is one license file, under its cleaned name.
func TestLicenseFilesOnce(t *testing.T) {
	toml := strings.Replace(goodToml, `license = "MIT"`, "license = {file = \"LICENSE\"}\nlicense-files = [\"LICENSE\", \"./LICENSE\", \"src/../LICENSE\", \"LICEN[CS]E*\"]", 1)
	p, err := Load(project(t, toml, "LICENSE", "LICENSE.extra"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"LICENSE", "LICENSE.extra"}; !reflect.DeepEqual(p.LicenseFiles, want) {
		t.Errorf("license files %q, want %q", p.LicenseFiles, want)
	}
}

// TestGlob: sdist-include's patterns are matched inside the project
// only, part by part: ** recurses, a directory means its files, a pattern
// matching nothing is an error, and the project directory's own name
// (proj[x]) is no pattern.
func TestGlob(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "proj[x]")
	files := []string{"pyproject.toml", "tests/a.py", "tests/sub/b.py", "tests/sub/deep/c.py", "tests/sub/data.txt", "docs/x.md", ".hidden",
		".venv/lib/site.py", "tests/.cache/c.py"}
	for _, f := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
	}
	// The sibling "proj[x]" would match as a pattern.
	os.MkdirAll(filepath.Join(parent, "projx", "tests"), 0o755)
	os.WriteFile(filepath.Join(parent, "projx", "tests", "evil.py"), []byte("x"), 0o644)
	elsewhere := t.TempDir()
	os.WriteFile(filepath.Join(elsewhere, "key"), []byte("x"), 0o644)
	os.Symlink(elsewhere, filepath.Join(dir, "linked"))
	os.Symlink("tests", filepath.Join(dir, "alias"))
	p := &Project{Dir: dir}
	cases := []struct {
		pattern string
		want    []string
		err     string
	}{
		{pattern: "tests", want: []string{"tests/.cache/c.py", "tests/a.py", "tests/sub/b.py", "tests/sub/data.txt", "tests/sub/deep/c.py"}},
		{pattern: "tests/**/*.py", want: []string{"tests/a.py", "tests/sub/b.py", "tests/sub/deep/c.py"}},
		{pattern: "tests/*.py", want: []string{"tests/a.py"}},
		{pattern: "**/b.py", want: []string{"alias/sub/b.py", "tests/sub/b.py"}},
		{pattern: "./docs/../docs/*.md", want: []string{"docs/x.md"}},
		{pattern: ".hid*", want: []string{".hidden"}},
		{pattern: "*hidden", err: "matches no file"},
		{pattern: "**/site.py", err: "matches no file"},
		{pattern: ".venv/**/*.py", want: []string{".venv/lib/site.py"}},
		{pattern: "alias/a.py", want: []string{"alias/a.py"}},
		{pattern: "nothing*", err: "matches no file"},
		{pattern: "tests/*.c", err: "matches no file"},
		{pattern: "../projx/tests/*.py", err: "is outside the project"},
		{pattern: "/etc/passwd", err: "is an absolute path"},
		{pattern: "linked", err: "linked is a link to " + elsewhere + ", outside the project"},
		{pattern: "link*/key", err: "is a link to"},
		{pattern: "tests/[", err: "is not a valid pattern"},
	}
	for _, c := range cases {
		got, err := p.Glob(c.pattern)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Glob(%q) = %q, %v; want an error saying %q", c.pattern, got, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Glob(%q) = %q, %v; want %q", c.pattern, got, err, c.want)
		}
	}
}

func link(name, target string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		os.Remove(filepath.Join(dir, name))
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func fifo(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		os.Remove(filepath.Join(dir, name))
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sparse(name string, size int64) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Truncate(filepath.Join(dir, name), size); err != nil {
			t.Fatal(err)
		}
	}
}

func write(name, content string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
