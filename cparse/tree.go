package cparse

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// A tree is a root file system of another distribution (say a Debian
// unstable debootstrap) whose interpreters cannot run on this host: a newer
// glibc. Its Pythons are described from their files: headers, pyconfig.h,
// libpython and EXT_SUFFIX from the _sysconfigdata module.

var treeInterpRE = regexp.MustCompile(`^python([0-9]\.[0-9]+)(d|-dbg)?$`)

// FromTree describes the Python of interpreter path interp inside the tree
// rooted at root (interp is root/usr/bin/pythonX.Y[d]).
func FromTree(root, interp string) (*Python, error) {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	m := treeInterpRE.FindStringSubmatch(filepath.Base(interp))
	if m == nil {
		return nil, fmt.Errorf("%s: not a pythonX.Y interpreter name", interp)
	}
	flags := ""
	if m[2] != "" {
		flags = "d"
	}
	inc := filepath.Join(root, "usr", "include", "python"+m[1]+flags)
	p, err := FromIncludeDir(inc)
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(interp); err == nil {
		interp = abs
	}
	p.Interpreter = interp
	p.Root = root
	p.Source = "tree"
	p.AfterDirs = []string{filepath.Join(root, "usr", "include")}
	p.ExtSuffix = treeExtSuffix(root, m[1], flags)
	return p, nil
}

var extSuffixRE = regexp.MustCompile(`'EXT_SUFFIX':\s*'([^']*)'`)

// treeExtSuffix reads EXT_SUFFIX from the tree's _sysconfigdata module for
// the build with these ABI flags.
func treeExtSuffix(root, mm, flags string) string {
	files, _ := filepath.Glob(filepath.Join(root, "usr", "lib", "python"+mm, "_sysconfigdata_"+flags+"_*.py"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			if m := extSuffixRE.FindSubmatch(b); m != nil && ValidExtSuffix(string(m[1])) {
				return string(m[1])
			}
		}
	}
	return ""
}

// treeRoot finds the root of the tree an interpreter path is in:
// ROOT/usr/bin/pythonX.Y gives ROOT.
func treeRoot(interp string) (string, bool) {
	abs, err := filepath.Abs(interp)
	if err != nil {
		return "", false
	}
	bin := filepath.Dir(abs)
	if filepath.Base(bin) != "bin" || filepath.Base(filepath.Dir(bin)) != "usr" {
		return "", false
	}
	root := filepath.Dir(filepath.Dir(bin))
	return root, root != "/"
}

// DiscoverRoot lists the Pythons of the tree at root, newest first.
func DiscoverRoot(root string) []*Python {
	names, _ := filepath.Glob(filepath.Join(root, "usr", "bin", "python3.*"))
	sortByVersion(names, filepath.Base)
	var out []*Python
	for _, n := range names {
		base := filepath.Base(n)
		if !treeInterpRE.MatchString(base) || strings.HasSuffix(base, "-dbg") {
			continue // python3.14-dbg is python3.14d
		}
		if p, err := FromTree(root, n); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// DiscoverWith is Discover followed by the Pythons of each tree in roots.
func DiscoverWith(roots []string) []*Python {
	all := Discover()
	for _, r := range roots {
		all = append(all, DiscoverRoot(r)...)
	}
	return all
}
