package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pyinc/pyinc/internal/infile"
	"github.com/pyinc/pyinc/internal/outfile"
)

// Every path a project names (readme, license files, sources,
// sdist-include, backend-path) is relative to the project directory and
// must stay inside it once symbolic links are followed: the sdist and the
// wheel hold only the project's own files, under the relative, cleaned
// names the project gives them.

// root is the project directory with every symbolic link resolved, the
// reference for "inside".
func (p *Project) root() (string, error) {
	if p.realDir != "" {
		return p.realDir, nil
	}
	abs, err := filepath.Abs(p.Dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", errorf("%s: %v", p.Dir, err)
	}
	p.realDir = abs
	return abs, nil
}

// cleanRel is rel cleaned and slash-separated, or an error when it is not
// a relative path that stays inside the project as written.
func cleanRel(rel string) (string, error) {
	if rel == "" {
		return "", errors.New("is empty")
	}
	if strings.ContainsRune(rel, 0) || hasLineBreak(rel) {
		return "", errors.New("holds a control character")
	}
	if filepath.IsAbs(rel) || strings.HasPrefix(rel, "/") {
		return "", errors.New("is an absolute path: name it relative to the project directory")
	}
	c := filepath.ToSlash(filepath.Clean(rel))
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", errors.New("is outside the project: move it into the project directory")
	}
	return c, nil
}

// realInside resolves the relative, cleaned path rel (symbolic links
// followed) and requires the result inside the project. It returns the
// resolved path and what it is.
func (p *Project) realInside(rel string) (string, fs.FileInfo, error) {
	root, err := p.root()
	if err != nil {
		return "", nil, err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, errors.New("does not exist: create it or fix the name")
	}
	if err != nil {
		return "", nil, outfile.Reason(err)
	}
	if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", nil, fmt.Errorf("is a link to %s, outside the project: copy the file into the project", real)
	}
	st, err := os.Stat(real)
	if err != nil {
		return "", nil, outfile.Reason(err)
	}
	return real, st, nil
}

// regularFile checks that rel names a regular file inside the project
// and returns its cleaned name.
func (p *Project) regularFile(rel string) (string, error) {
	c, err := cleanRel(rel)
	if err != nil {
		return "", err
	}
	real, st, err := p.realInside(c)
	if err != nil {
		return "", err
	}
	if err := infile.Check(real, st, infile.ProjectLimit); err != nil {
		var ie *infile.Error
		if errors.As(err, &ie) {
			return "", errors.New(ie.Reason)
		}
		return "", err
	}
	return c, nil
}

// ReadFile reads the file the project names as rel (checked by Load:
// inside the project, regular, not too large).
func (p *Project) ReadFile(rel string) ([]byte, error) {
	c, err := cleanRel(rel)
	if err != nil {
		return nil, fmt.Errorf("%s %v", rel, err)
	}
	real, _, err := p.realInside(c)
	if err != nil {
		return nil, fmt.Errorf("%s %v", rel, err)
	}
	return infile.Read(real, infile.ProjectLimit)
}

// Glob lists the files pattern names, relative to the project and
// slash-separated, sorted: pattern is matched part by part against the
// project's own entries (never against the project directory's path, so
// that a directory named "proj[x]" is no pattern), "**" matches any
// number of directories (not hidden ones), a part matches a hidden name
// only when it starts with "." itself, and a directory matched means
// every file in it.
// A pattern that matches no file is an error.
func (p *Project) Glob(pattern string) ([]string, error) {
	c, err := cleanRel(pattern)
	if err != nil {
		return nil, err
	}
	segs := strings.Split(c, "/")
	for _, s := range segs {
		if _, err := path.Match(s, ""); err != nil {
			return nil, fmt.Errorf("is not a valid pattern (%v)", err)
		}
	}
	g := &globber{p: p, found: map[string]bool{}}
	if c == "." {
		segs = nil
	}
	if err := g.match(".", segs); err != nil {
		return nil, err
	}
	if len(g.found) == 0 {
		return nil, errors.New("matches no file: fix or remove it")
	}
	out := make([]string, 0, len(g.found))
	for f := range g.found {
		out = append(out, f)
	}
	sort.Strings(out)
	return out, nil
}

type globber struct {
	p     *Project
	found map[string]bool
}

// match finds what segs matches below the directory dir (relative).
func (g *globber) match(dir string, segs []string) error {
	if strings.Count(dir, "/") > maxDepth {
		return fmt.Errorf("%s: directories nested more than %d deep (a loop of symbolic links?)", dir, maxDepth)
	}
	if len(segs) == 0 {
		return g.add(dir, 0)
	}
	seg, rest := segs[0], segs[1:]
	if seg == "**" {
		if err := g.match(dir, rest); err != nil {
			return err
		}
		return g.eachEntry(dir, func(name string, isDir bool, linkErr error) error {
			if !isDir || linkErr != nil || strings.HasPrefix(name, ".") {
				// A link leaving the project is not descended into, nor
				// a hidden directory (.git, .venv), as glob's ** does not.
				return nil
			}
			return g.match(join(dir, name), segs)
		})
	}
	return g.eachEntry(dir, func(name string, isDir bool, linkErr error) error {
		if ok, _ := path.Match(seg, name); !ok {
			return nil
		}
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(seg, ".") {
			return nil // a wildcard matches a hidden name only when it starts with "." too, as in a shell
		}
		if linkErr != nil {
			return linkErr
		}
		if len(rest) > 0 && !isDir {
			return nil
		}
		return g.match(join(dir, name), rest)
	})
}

// eachEntry calls fn for every entry of the directory dir; isDir follows
// a symbolic link, and linkErr says why a link cannot be followed (it
// leaves the project, or leads nowhere).
func (g *globber) eachEntry(dir string, fn func(name string, isDir bool, linkErr error) error) error {
	real, st, err := g.p.realInside(dir)
	if err != nil {
		return fmt.Errorf("%s %v", dir, err)
	}
	if !st.IsDir() {
		return nil
	}
	entries, err := os.ReadDir(real)
	if err != nil {
		return fmt.Errorf("%s: %v", dir, outfile.Reason(err))
	}
	for _, e := range entries {
		isDir := e.IsDir()
		var linkErr error
		if e.Type()&fs.ModeSymlink != 0 {
			if _, st, err := g.p.realInside(join(dir, e.Name())); err != nil {
				linkErr = fmt.Errorf("%s %v", join(dir, e.Name()), err)
			} else {
				isDir = st.IsDir()
			}
		}
		if err := fn(e.Name(), isDir, linkErr); err != nil {
			return err
		}
	}
	return nil
}

// maxDepth bounds the directories a matched directory's files are looked
// for in: symbolic links inside the project may make a loop.
const maxDepth = 64

// add records rel: a file, or every file below a directory.
func (g *globber) add(rel string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: directories nested more than %d deep (a loop of symbolic links?)", rel, maxDepth)
	}
	real, st, err := g.p.realInside(rel)
	if err != nil {
		return fmt.Errorf("%s %v", rel, err)
	}
	if st.IsDir() {
		return g.eachEntry(rel, func(name string, _ bool, linkErr error) error {
			if linkErr != nil {
				return linkErr
			}
			return g.add(join(rel, name), depth+1)
		})
	}
	if err := infile.Check(real, st, infile.ProjectLimit); err != nil {
		var ie *infile.Error
		if errors.As(err, &ie) {
			return fmt.Errorf("%s %s", rel, ie.Reason)
		}
		return err
	}
	g.found[rel] = true
	return nil
}

func join(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}
